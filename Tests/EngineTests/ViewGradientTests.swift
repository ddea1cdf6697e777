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
