import XCTest
import NetIR
import Engine
import CPUBackend

/// PReLU on the CPU against the reference (tolerances: `Tolerance.of`; dSlopes is a Float sum over batch × spatial).
final class PReLUComparisonTests: XCTestCase {
    func testPReLU() throws {
        let cases: [(TensorShape, Int, Int)] = [
            (TensorShape(channels: 8, height: 5, width: 3), 1, 3), (TensorShape(channels: 33, height: 3, width: 5), 33, 2),
            (TensorShape(channels: 3, height: 7, width: 9), 3, 1), (TensorShape(features: 65), 65, 5), (TensorShape(features: 31), 1, 2),
        ]
        for (k, (shape, slopes, batch)) in cases.enumerated() {
            var b = NetworkBuilder(input: shape)
            let stem = shape.rank == 1 ? try b.linear("stem", b.input, out: shape.count)
                                       : try b.conv2d("stem", b.input, out: shape.channels, kernel: 1)
            let y = try b.add("prelu", .prelu(slopes: slopes), [stem])
            let graph = try b.build(output: try b.linear("head", shape.rank == 1 ? y : try b.flatten("flatten", y), out: 3))
            try assertBackendsAgree("PReLU(\(slopes)) on \(shape)", graph, batches: [batch], fuse: [true], steps: 2,
                                    candidate: CPUBackend(threads: 1 + k % 2))
        }
    }
}
