import XCTest
import NetIR
import Engine

/// Mul (per-channel gate, equal shapes) and Affine on OpenCL against the reference.
final class ArithmeticTests: XCTestCase {
    func testGateSquareAndAffine() throws {
        let graph = try singleLayer(input: TensorShape(channels: 5, height: 7, width: 9)) { b, x in
            let squeezed = try b.add("view1", .reshape(dims: [5]), [try b.add("pool", .adaptiveAvgPool2d(outHeight: 1, outWidth: 1), [x])])
            let gate = try b.add("view2", .reshape(dims: [5, 1, 1]), [try b.activation("gate", try b.linear("excite", squeezed, out: 5), .sigmoid)])
            let gated = try b.add("mul", .multiply, [x, gate])
            let dropped = try b.add("drop", .dropout2d(p: 0.3), [gated])
            return try b.add("affine", .affine(scale: 0.5, shift: -0.25), [try b.add("sq", .multiply, [dropped, gated])])
        }
        // The gate's gradient sums 63 products per channel in Float (row_dot).
        try compareWithReference(graph, batch: 3, tolerance: .accumulation)
    }
}
