import XCTest
import NetIR
import Engine

/// GroupNorm / InstanceNorm / LayerNorm (Kernels/rownorm.cl) against the reference. Tolerance `.reduction`:
/// Float work-group sums over a row (forward, dx) or over batch × spatial (dγ, dβ), then the differences of
/// near-equal sums in dx, as for BatchNorm.
final class NormalizationTests: XCTestCase {
    func testGroupAndInstanceNorm() throws {
        let cases: [(TensorShape, GroupNormAttributes, Int)] = [
            (TensorShape(channels: 8, height: 5, width: 3), GroupNormAttributes(groups: 2, channels: 8), 3),
            (TensorShape(channels: 3, height: 7, width: 9), GroupNormAttributes(groups: 3, channels: 3, affine: false), 1),
            (TensorShape(channels: 33, height: 3, width: 5), GroupNormAttributes(groups: 11, channels: 33, eps: 1e-3), 2),
        ]
        for (shape, a, batch) in cases {
            try compareWithReference(singleLayer(input: shape) { b, x in
                try b.relu("relu", try b.add("norm", .groupNorm(a), [x]))
            }, batch: batch, tolerance: .reduction, steps: 2)
        }
    }

    func testLayerNorm() throws {
        let cases: [(TensorShape, LayerNormAttributes, Int)] = [
            (TensorShape(channels: 3, height: 5, width: 4), LayerNormAttributes(shape: [3, 5, 4]), 3),
            (TensorShape(channels: 2, height: 3, width: 33), LayerNormAttributes(shape: [33], bias: false), 2),
        ]
        for (shape, a, batch) in cases {
            try compareWithReference(singleLayer(input: shape) { b, x in
                try b.relu("relu", try b.add("norm", .layerNorm(a), [x]))
            }, batch: batch, tolerance: .reduction, steps: 2)
        }
        var b = NetworkBuilder(input: TensorShape(features: 65))
        let h = try b.add("ln", .layerNorm(LayerNormAttributes(shape: [65])), [try b.linear("fc1", b.input, out: 65)])
        let logits = try b.linear("fc2", try b.activation("gelu", h, .gelu), out: 3)
        try compareWithReference(try b.build(output: logits), batch: 3, tolerance: .reduction, steps: 2)
    }
}
