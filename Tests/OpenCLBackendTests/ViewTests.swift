import XCTest
import NetIR
import Engine

/// Channel slices on OpenCL against the reference.
final class ViewTests: XCTestCase {
    func testChannelSlices() throws {
        let graph = try singleLayer(input: TensorShape(channels: 7, height: 5, width: 6)) { b, x in
            let low = try b.add("low", .slice(start: 0, count: 3), [x])
            let high = try b.add("high", .slice(start: 4, count: 3), [x])
            let middle = try b.add("middle", .slice(start: 2, count: 3), [x])
            return try b.add("sum", .add, [try b.add("mul", .multiply, [low, high]), middle])
        }
        // Slices are copies and fills; the product and the head's GEMM are what round.
        try compareWithReference(graph, batch: 3, tolerance: .accumulation)
    }
}

/// Upsampling on OpenCL against the reference.
final class UpsampleTests: XCTestCase {
    func testNearestAndBilinear() throws {
        for a in [UpsampleAttributes(scale: Pair(2)), UpsampleAttributes(size: Pair(11, 13), bilinear: true),
                  UpsampleAttributes(scale: Pair(3, 2), bilinear: true), UpsampleAttributes(size: Pair(4, 5), bilinear: true)] {
            let graph = try singleLayer(input: TensorShape(channels: 3, height: 7, width: 9)) { b, x in
                try b.add("up", .upsample(a), [x])
            }
            // The backward sums a few weighted products per input (Float, another order than the reference's
            // Double), then the head's GEMM over the upsampled features.
            try compareWithReference(graph, batch: 3, tolerance: .accumulation)
        }
    }
}

/// ConvTranspose2d on OpenCL against the reference.
final class ConvTransposeTests: XCTestCase {
    func testTransposedConvolutions() throws {
        typealias A = ConvTranspose2dAttributes
        for a in [A(inChannels: 6, outChannels: 5, kernel: Pair(2), stride: Pair(2)),
                  A(inChannels: 6, outChannels: 4, kernel: Pair(3), stride: Pair(2), padding: Pair(1), outputPadding: Pair(1)),
                  A(inChannels: 6, outChannels: 6, kernel: Pair(3), padding: Pair(1), groups: 6, bias: false)] {
            let graph = try singleLayer(input: TensorShape(channels: 6, height: 7, width: 9)) { b, x in
                try b.add("up", .convTranspose2d(a), [x])
            }
            // GEMM/col2im sums of up to a few hundred products, as for Conv2d.
            try compareWithReference(graph, batch: 3, tolerance: .accumulation)
        }
    }
}

/// Permute and a Linear over tokens on OpenCL against the reference.
final class PermuteTests: XCTestCase {
    func testPermutationsAndTokens() throws {
        let graph = try singleLayer(input: TensorShape(channels: 5, height: 7, width: 9)) { b, x in
            let hwc = try b.add("hwc", .permute(order: [1, 2, 0]), [x])
            let projected = try b.add("proj", .linear(inFeatures: 5, outFeatures: 6, bias: true), [try b.add("tokens", .reshape(dims: [63, 5]), [hwc])])
            let swapped = try b.add("swap", .permute(order: [1, 0]), [projected])
            return try b.add("mix", .permute(order: [2, 0, 1]), [try b.add("view", .reshape(dims: [6, 7, 9]), [swapped])])
        }
        // Permutes are copies; the token Linear and the head are GEMMs.
        try compareWithReference(graph, batch: 3, tolerance: .accumulation)
    }
}
