import XCTest
import NetIR
import Engine
import ReferenceBackend

/// Channel slices (composed from Concat's forward and backward) against finite differences: slices at the
/// start, middle and end, two slices of one tensor (their gradients accumulate into it), and the features of a
/// flat tensor.
final class ViewGradientTests: XCTestCase {
    func testChannelSlices() throws {
        let g = try classifier(TensorShape(channels: 2, height: 3, width: 4)) { b, x in
            let stem = try b.activation("act", try b.conv2d("stem", x, out: 6, kernel: 3, padding: 1), .tanh)
            let first = try b.add("first", .slice(start: 0, count: 2), [stem])
            let middle = try b.add("middle", .slice(start: 2, count: 2), [stem])
            let last = try b.add("last", .slice(start: 4, count: 2), [stem])
            let gated = try b.add("gate", .multiply, [first, try b.activation("sig", middle, .sigmoid)])
            return try b.add("sum", .add, [gated, last])
        }
        try assertGradientsMatch("chunk(3) of 6 channels", g)
    }

    func testOverlappingSlicesAndTheWholeTensor() throws {
        let g = try classifier(TensorShape(channels: 2, height: 3, width: 3)) { b, x in
            let stem = try b.activation("act", try b.conv2d("stem", x, out: 5, kernel: 3, padding: 1), .tanh)
            let low = try b.add("low", .slice(start: 1, count: 3), [stem])
            let high = try b.add("high", .slice(start: 2, count: 3), [stem])
            let all = try b.add("all", .slice(start: 0, count: 5), [stem])
            return try b.concat("cat", [try b.add("mul", .multiply, [low, high]), all, stem])
        }
        try assertGradientsMatch("overlapping slices, a whole-range slice and the tensor itself", g)
    }

    func testFeatureSlice() throws {
        let g = try classifier(TensorShape(features: 7)) { b, x in
            let h = try b.activation("act", try b.linear("fc", x, out: 6), .tanh)
            return try b.add("mul", .multiply, [try b.add("a", .slice(start: 0, count: 3), [h]), try b.add("b", .slice(start: 3, count: 3), [h])])
        }
        try assertGradientsMatch("feature slices", g)
    }
}

/// Permute against finite differences: every order of an image's dims, and the token path of a ViT-style
/// head (flatten(2) view, transpose, a Linear over each token, the mean over tokens).
final class PermuteGradientTests: XCTestCase {
    func testPermutations() throws {
        for order in [[0, 2, 1], [1, 0, 2], [2, 1, 0], [1, 2, 0], [2, 0, 1]] {
            let g = try classifier(TensorShape(channels: 2, height: 3, width: 4)) { b, x in
                let stem = try b.activation("act", try b.conv2d("stem", x, out: 3, kernel: 1), .tanh)
                let p = try b.add("permute", .permute(order: order), [stem])
                return try b.add("mul", .multiply, [p, try b.add("again", .permute(order: order), [stem])])
            }
            try assertGradientsMatch("permute \(order)", g, batches: [2])
        }
    }

    func testTokenLinearAndMean() throws {
        let g = try classifier(TensorShape(channels: 2, height: 3, width: 4)) { b, x in
            let stem = try b.activation("act", try b.conv2d("stem", x, out: 5, kernel: 1), .tanh)
            let tokens = try b.add("tokens", .permute(order: [1, 0]), [try b.add("flat2", .reshape(dims: [5, 12]), [stem])])
            let projected = try b.activation("gelu", try b.add("proj", .linear(inFeatures: 5, outFeatures: 4, bias: true), [tokens]), .gelu)
            let back = try b.add("back", .reshape(dims: [4, 1, 12]), [try b.add("t", .permute(order: [1, 0]), [projected])])
            return try b.add("mean", .adaptiveAvgPool2d(outHeight: 1, outWidth: 1), [back])
        }
        try assertGradientsMatch("tokens: transpose, linear per token, mean", g)
    }
}
