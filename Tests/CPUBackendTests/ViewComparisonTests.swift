import XCTest
import NetIR
import Engine
import CPUBackend

/// Channel slices on the CPU against the reference (tolerances: Tolerance.of; slices are copies and fills).
final class ViewComparisonTests: XCTestCase {
    func testChannelSlices() throws {
        for threads in [1, 2] {
            var b = NetworkBuilder(input: TensorShape(channels: 3, height: 7, width: 9))
            let stem = try b.conv2d("stem", b.input, out: 7, kernel: 3, padding: 1)
            let low = try b.add("low", .slice(start: 0, count: 3), [stem])
            let high = try b.add("high", .slice(start: 4, count: 3), [stem])
            let middle = try b.add("middle", .slice(start: 2, count: 3), [stem])
            let gated = try b.add("mul", .multiply, [low, high])
            let out = try b.add("sum", .add, [gated, middle])
            let graph = try b.build(output: try b.linear("head", try b.flatten("flatten", out), out: 3))
            try assertBackendsAgree("slices (\(threads) threads)", graph, batches: [1, 3], candidate: CPUBackend(threads: threads))
        }
    }
}

/// Upsampling on the CPU against the reference (tolerances: Tolerance.of).
final class UpsampleComparisonTests: XCTestCase {
    func testNearestAndBilinear() throws {
        for a in [UpsampleAttributes(scale: Pair(2)), UpsampleAttributes(size: Pair(11, 13), bilinear: true),
                  UpsampleAttributes(scale: Pair(3, 2), bilinear: true), UpsampleAttributes(size: Pair(4, 5), bilinear: true)] {
            for threads in [1, 2] {
                var b = NetworkBuilder(input: TensorShape(channels: 3, height: 7, width: 9))
                let stem = try b.conv2d("stem", b.input, out: 5, kernel: 3, padding: 1)
                let up = try b.add("up", .upsample(a), [stem])
                let out = try b.conv2d("conv", up, out: 4, kernel: 3, padding: 1)
                let graph = try b.build(output: try b.linear("head", try b.flatten("flatten", out), out: 3))
                try assertBackendsAgree("upsample \(a) (\(threads) threads)", graph, batches: [1, 3], candidate: CPUBackend(threads: threads))
            }
        }
    }
}

/// ConvTranspose2d on the CPU against the reference (its convolutions are BLAS: Tolerance.of).
final class ConvTransposeComparisonTests: XCTestCase {
    func testTransposedConvolutions() throws {
        typealias A = ConvTranspose2dAttributes
        for a in [A(inChannels: 6, outChannels: 5, kernel: Pair(2), stride: Pair(2)),
                  A(inChannels: 6, outChannels: 4, kernel: Pair(3), stride: Pair(2), padding: Pair(1), outputPadding: Pair(1)),
                  A(inChannels: 6, outChannels: 6, kernel: Pair(3), padding: Pair(1), groups: 6, bias: false)] {
            for threads in [1, 2] {
                var b = NetworkBuilder(input: TensorShape(channels: 3, height: 7, width: 9))
                let stem = try b.conv2d("stem", b.input, out: 6, kernel: 3, padding: 1)
                let up = try b.relu("relu", try b.add("up", .convTranspose2d(a), [stem]))
                let graph = try b.build(output: try b.linear("head", try b.flatten("flatten", up), out: 3))
                try assertBackendsAgree("convTranspose \(a) (\(threads) threads)", graph, batches: [1, 3], candidate: CPUBackend(threads: threads))
            }
        }
    }
}

/// Permute and a Linear over tokens on the CPU against the reference.
final class PermuteComparisonTests: XCTestCase {
    func testPermutationsAndTokens() throws {
        for threads in [1, 2] {
            var b = NetworkBuilder(input: TensorShape(channels: 3, height: 7, width: 9))
            let stem = try b.conv2d("stem", b.input, out: 5, kernel: 3, padding: 1)
            let hwc = try b.add("hwc", .permute(order: [1, 2, 0]), [stem])
            let tokens = try b.add("tokens", .reshape(dims: [63, 5]), [hwc])
            let projected = try b.add("proj", .linear(inFeatures: 5, outFeatures: 6, bias: true), [tokens])
            let swapped = try b.add("swap", .permute(order: [1, 0]), [projected])
            let mixed = try b.add("mix", .permute(order: [2, 0, 1]), [try b.add("view", .reshape(dims: [6, 7, 9]), [swapped])])
            let graph = try b.build(output: try b.linear("head", try b.flatten("flatten", mixed), out: 3))
            try assertBackendsAgree("permutes and tokens (\(threads) threads)", graph, batches: [1, 3], candidate: CPUBackend(threads: threads))
        }
    }
}
