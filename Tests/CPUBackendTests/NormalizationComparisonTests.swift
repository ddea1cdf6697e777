import XCTest
import NetIR
import Engine
import CPUBackend

/// GroupNorm / InstanceNorm / LayerNorm (the rowNorm op) on the CPU against the reference, at awkward sizes, with
/// and without affine, on one and two threads (instruction tolerance: `Tolerance.of(.rowNorm)`, the batch-norm
/// entry: Float mean and variance over up to a few hundred values, amplified by invstd).
final class NormalizationComparisonTests: XCTestCase {
    func graph(_ input: TensorShape, _ layer: Layer) throws -> Graph {
        var b = NetworkBuilder(input: input)
        let stem = input.rank == 1 ? try b.linear("stem", b.input, out: input.count, bias: false)
                                   : try b.conv2d("stem", b.input, out: input.channels, kernel: 1, bias: false)
        let y = try b.relu("relu", try b.add("norm", layer, [stem]))
        let flat = input.rank == 1 ? y : try b.flatten("flatten", y)
        return try b.build(output: try b.linear("head", flat, out: 3))
    }

    func testGroupAndInstanceNorm() throws {
        let cases: [(TensorShape, GroupNormAttributes, Int)] = [
            (TensorShape(channels: 8, height: 5, width: 3), GroupNormAttributes(groups: 2, channels: 8), 3),
            (TensorShape(channels: 6, height: 1, width: 1), GroupNormAttributes(groups: 3, channels: 6, affine: false), 2),
            (TensorShape(channels: 33, height: 3, width: 5), GroupNormAttributes(groups: 11, channels: 33, eps: 1e-3), 2),
            (TensorShape(channels: 3, height: 7, width: 9), GroupNormAttributes(groups: 3, channels: 3), 1),
            (TensorShape(channels: 4, height: 4, width: 4), GroupNormAttributes(groups: 1, channels: 4), 5),
            (TensorShape(features: 12), GroupNormAttributes(groups: 4, channels: 12), 3),
        ]
        for (k, (shape, a, batch)) in cases.enumerated() {
            try assertBackendsAgree("GroupNorm \(a.groups)/\(a.channels) on \(shape)", try graph(shape, .groupNorm(a)),
                                    batches: [batch], fuse: [true], steps: 2, candidate: CPUBackend(threads: 1 + k % 2))
        }
    }

    func testLayerNorm() throws {
        let cases: [(TensorShape, LayerNormAttributes, Int)] = [
            (TensorShape(channels: 3, height: 5, width: 4), LayerNormAttributes(shape: [3, 5, 4]), 3),
            (TensorShape(channels: 3, height: 5, width: 4), LayerNormAttributes(shape: [4], eps: 1e-6), 2),
            (TensorShape(channels: 2, height: 3, width: 33), LayerNormAttributes(shape: [3, 33], bias: false), 2),
            (TensorShape(features: 65), LayerNormAttributes(shape: [65]), 5),
            (TensorShape(features: 31), LayerNormAttributes(shape: [31], affine: false), 1),
        ]
        for (k, (shape, a, batch)) in cases.enumerated() {
            try assertBackendsAgree("LayerNorm \(a.shape) on \(shape)", try graph(shape, .layerNorm(a)),
                                    batches: [batch], fuse: [true], steps: 2, candidate: CPUBackend(threads: 1 + k % 2))
        }
    }
}
