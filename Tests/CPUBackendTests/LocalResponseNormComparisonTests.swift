import XCTest
import NetIR
import Engine
import CPUBackend

/// LocalResponseNorm and F.normalize (the localResponseNorm op) on the CPU against the reference
/// (tolerance: `Tolerance.of`, a Float pow of a window sum).
final class LocalResponseNormComparisonTests: XCTestCase {
    func testLocalResponseNormAndNormalize() throws {
        let cases: [(TensorShape, Layer, Int)] = [
            (TensorShape(channels: 8, height: 5, width: 3), .localResponseNorm(LocalResponseNormAttributes(size: 2)), 3),
            (TensorShape(channels: 33, height: 3, width: 5), .localResponseNorm(LocalResponseNormAttributes(size: 5, alpha: 0.5, beta: 0.75, k: 2)), 2),
            (TensorShape(channels: 3, height: 7, width: 9), .localResponseNorm(LocalResponseNormAttributes(size: 7, alpha: 1)), 1),
            (TensorShape(features: 65), .l2Normalize(eps: 1e-12), 5),
            (TensorShape(channels: 6, height: 2, width: 3), .l2Normalize(eps: 1e-12), 2),
        ]
        for (k, (shape, layer, batch)) in cases.enumerated() {
            var b = NetworkBuilder(input: shape)
            let stem = shape.rank == 1 ? try b.linear("stem", b.input, out: shape.count)
                                       : try b.conv2d("stem", b.input, out: shape.channels, kernel: 1)
            let y = try b.add("norm", layer, [stem])
            let graph = try b.build(output: try b.linear("head", shape.rank == 1 ? y : try b.flatten("flatten", y), out: 3))
            try assertBackendsAgree("\(layer) on \(shape)", graph, batches: [batch], fuse: [true], steps: 2,
                                    candidate: CPUBackend(threads: 1 + k % 2))
        }
    }
}
