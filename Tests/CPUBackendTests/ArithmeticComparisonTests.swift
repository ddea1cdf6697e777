import XCTest
import NetIR
import Engine
import CPUBackend

/// Mul and Affine on the CPU against the reference (tolerances: Tolerance.of).
final class ArithmeticComparisonTests: XCTestCase {
    func testGateSquareAndAffine() throws {
        for threads in [1, 2] {
            var b = NetworkBuilder(input: TensorShape(channels: 5, height: 7, width: 9))
            let stem = try b.conv2d("stem", b.input, out: 6, kernel: 3, padding: 1)
            let squeezed = try b.add("view1", .reshape(dims: [6]), [try b.add("pool", .adaptiveAvgPool2d(outHeight: 1, outWidth: 1), [stem])])
            let gate = try b.add("view2", .reshape(dims: [6, 1, 1]), [try b.activation("gate", try b.linear("excite", squeezed, out: 6), .sigmoid)])
            let gated = try b.add("mul", .multiply, [stem, gate])
            let dropped = try b.add("drop", .dropout2d(p: 0.3), [gated])
            let out = try b.add("affine", .affine(scale: 0.5, shift: -0.25), [try b.add("sq", .multiply, [dropped, gated])])
            let graph = try b.build(output: try b.linear("head", try b.flatten("flatten", out), out: 3))
            try assertBackendsAgree("gate, square, affine (\(threads) threads)", graph, batches: [1, 3],
                                    candidate: CPUBackend(threads: threads))
        }
    }
}
