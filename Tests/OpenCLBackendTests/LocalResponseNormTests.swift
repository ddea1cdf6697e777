import XCTest
import NetIR
import Engine

/// LocalResponseNorm and F.normalize (Kernels/localresponse.cl) against the reference. Tolerance
/// `.transcendental`: OpenCL's pow is allowed 16 ulp, and the running window sum is Float here, Double there.
final class LocalResponseNormTests: XCTestCase {
    func testLocalResponseNormAndNormalize() throws {
        let cases: [(TensorShape, Layer, Int)] = [
            (TensorShape(channels: 8, height: 5, width: 3), .localResponseNorm(LocalResponseNormAttributes(size: 2, alpha: 0.5)), 3),
            (TensorShape(channels: 33, height: 3, width: 5), .localResponseNorm(LocalResponseNormAttributes(size: 5, alpha: 0.5, beta: 0.75, k: 2)), 2),
            (TensorShape(channels: 6, height: 2, width: 3), .l2Normalize(eps: 1e-12), 2),
        ]
        for (shape, layer, batch) in cases {
            try compareWithReference(singleLayer(input: shape) { b, x in try b.add("norm", layer, [x]) },
                                     batch: batch, tolerance: .transcendental, steps: 2)
        }
        var b = NetworkBuilder(input: TensorShape(features: 65))
        let h = try b.add("normalize", .l2Normalize(eps: 1e-12), [try b.linear("fc1", b.input, out: 65)])
        try compareWithReference(try b.build(output: try b.linear("fc2", h, out: 3)), batch: 3, tolerance: .transcendental, steps: 2)
    }
}
