import XCTest
import Engine
import NetIR
@testable import OpenCLBackend

/// Every op against the reference, forward and backward, at awkward sizes (1, 3, 31, 33, 65), odd strides,
/// padding, dilation, groups and depthwise, batch 1 and 3.
final class OpsTests: XCTestCase {
    func conv(_ b: inout NetworkBuilder, _ x: NetworkBuilder.Value, out: Int, kernel: Pair, stride: Pair = Pair(1),
              padding: Pair = Pair(0), dilation: Pair = Pair(1), groups: Int = 1, bias: Bool = true) throws -> NetworkBuilder.Value {
        let a = Conv2dAttributes(inChannels: b.shape(of: x).channels, outChannels: out, kernel: kernel, stride: stride,
                                 padding: padding, dilation: dilation, groups: groups, bias: bias)
        return try b.add("conv", .conv2d(a), [x])
    }

    func testConvolutionIm2colGemm() throws {
        for batch in [1, 3] {
            // 3x3, stride 2, padding 1 on an odd 7x7 input.
            try compareWithReference(singleLayer(input: TensorShape(channels: 3, height: 7, width: 7)) { b, x in
                try self.conv(&b, x, out: 5, kernel: Pair(3), stride: Pair(2), padding: Pair(1))
            }, batch: batch, tolerance: .accumulation)
            // Non-square kernel and stride, dilation, no bias.
            try compareWithReference(singleLayer(input: TensorShape(channels: 2, height: 9, width: 8)) { b, x in
                try self.conv(&b, x, out: 3, kernel: Pair(3, 2), stride: Pair(1, 3), padding: Pair(2, 1), dilation: Pair(2, 1), bias: false)
            }, batch: batch, tolerance: .accumulation)
        }
    }

    /// K = batch x 16 x 16 = 768 splits the backward-filter GEMM into slices on small devices.
    func testConvolutionBackwardFilterSplitK() throws {
        try compareWithReference(singleLayer(input: TensorShape(channels: 3, height: 16, width: 16)) { b, x in
            try self.conv(&b, x, out: 4, kernel: Pair(3), padding: Pair(1))
        }, batch: 3, tolerance: .accumulation)
    }

    func testConvolutionGroupsDepthwisePointwise() throws {
        // Grouped: 4 -> 6 channels in 2 groups (two GEMMs batched over groups).
        try compareWithReference(singleLayer(input: TensorShape(channels: 4, height: 6, width: 5)) { b, x in
            try self.conv(&b, x, out: 6, kernel: Pair(3), padding: Pair(1), groups: 2)
        }, batch: 3, tolerance: .accumulation)
        // Depthwise with channel multiplier 2, stride 2 (direct kernels).
        try compareWithReference(singleLayer(input: TensorShape(channels: 3, height: 7, width: 7)) { b, x in
            try self.conv(&b, x, out: 6, kernel: Pair(3), stride: Pair(2), padding: Pair(1), groups: 3)
        }, batch: 3, tolerance: .accumulation)
        // Depthwise multiplier 1, batch 1.
        try compareWithReference(singleLayer(input: TensorShape(channels: 3, height: 5, width: 5)) { b, x in
            try self.conv(&b, x, out: 3, kernel: Pair(3), padding: Pair(1), groups: 3)
        }, batch: 1, tolerance: .accumulation)
        // 1x1 stride 1 as a plain GEMM over batch x plane, 33 and 65 output channels.
        for (out, batch) in [(33, 3), (65, 1)] {
            try compareWithReference(singleLayer(input: TensorShape(channels: 5, height: 3, width: 3)) { b, x in
                try self.conv(&b, x, out: out, kernel: Pair(1))
            }, batch: batch, tolerance: .accumulation)
        }
        // 1x1 with stride 2 goes through im2col.
        try compareWithReference(singleLayer(input: TensorShape(channels: 3, height: 5, width: 5)) { b, x in
            try self.conv(&b, x, out: 4, kernel: Pair(1), stride: Pair(2))
        }, batch: 3, tolerance: .accumulation)
    }

    func testConvolutionFusedAndUnfusedActivations() throws {
        // Every activation that may fuse (the registry's examples) runs in the conv epilogue too.
        for act in [Activation.gelu] + Activation.examples.filter(\.differentiableFromOutput) {
            for fuse in [true, false] {
                try compareWithReference(singleLayer(input: TensorShape(channels: 2, height: 5, width: 5)) { b, x in
                    let y = try self.conv(&b, x, out: 3, kernel: Pair(3), padding: Pair(1))
                    return try b.activation("act", y, act)
                }, batch: 3, tolerance: .accumulation, fuse: fuse)
            }
        }
    }

    func testLinearAtAwkwardSizes() throws {
        for (inF, outF, batch) in [(31, 65, 3), (33, 1, 1), (1, 3, 3)] {
            var b = NetworkBuilder(input: TensorShape(features: inF))
            let pre = try b.linear("pre", b.input, out: inF)
            let hidden = try b.relu("relu", try b.linear("fc1", pre, out: outF))
            let logits = try b.linear("fc2", hidden, out: 3)
            try compareWithReference(try b.build(output: logits), batch: batch, tolerance: .accumulation)
        }
    }

    func testBatchNorm2dAnd1d() throws {
        for batch in [1, 3] {
            try compareWithReference(singleLayer(input: TensorShape(channels: 3, height: 5, width: 4)) { b, x in
                try b.relu("relu", try b.batchNorm("bn", x))
            }, batch: batch, tolerance: .reduction, steps: 2)
        }
        var b = NetworkBuilder(input: TensorShape(features: 7))
        let h = try b.batchNorm("bn", try b.linear("fc1", b.input, out: 5))
        let logits = try b.linear("fc2", try b.activation("silu", h, .silu), out: 3)
        try compareWithReference(try b.build(output: logits), batch: 3, tolerance: .reduction, steps: 2)
    }

    func testActivationsStandalone() throws {
        for act in Activation.examples {
            try compareWithReference(singleLayer(input: TensorShape(channels: 2, height: 3, width: 3)) { b, x in
                try b.activation("act", x, act)
            }, batch: 3, tolerance: .transcendental, fuse: false)
        }
    }

    func testPooling() throws {
        let input = TensorShape(channels: 2, height: 7, width: 5)
        try compareWithReference(singleLayer(input: input) { b, x in try b.maxPool("pool", x, kernel: 3, stride: 2, padding: 1) },
                                 batch: 3, tolerance: .exact)
        try compareWithReference(singleLayer(input: input) { b, x in try b.maxPool("pool", x, kernel: 2) }, batch: 1, tolerance: .exact)
        for include in [true, false] {
            try compareWithReference(singleLayer(input: input) { b, x in
                try b.add("pool", .avgPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(1), countIncludePad: include)), [x])
            }, batch: 3, tolerance: .elementwise)
        }
        try compareWithReference(singleLayer(input: input) { b, x in try b.globalAvgPool("pool", x) }, batch: 3, tolerance: .elementwise)
        try compareWithReference(singleLayer(input: input) { b, x in
            try b.add("pool", .adaptiveAvgPool2d(outHeight: 3, outWidth: 2), [x])
        }, batch: 3, tolerance: .elementwise)
    }

    func testDropoutMasksMatchTheEngineBitForBit() throws {
        // Two steps: the step counter changes the masks; the arena comparison includes them.
        try compareWithReference(singleLayer(input: TensorShape(channels: 3, height: 5, width: 7)) { b, x in
            try b.dropout("drop", x, p: 0.3)
        }, batch: 3, tolerance: .elementwise, steps: 2)
    }

    func testAddConcatAndFanOut() throws {
        // x feeds three consumers (fan-out accumulation), a three-input add and a concat of three.
        try compareWithReference(singleLayer(input: TensorShape(channels: 2, height: 4, width: 3)) { b, x in
            let a = try b.conv2d("a", x, out: 3, kernel: 3, padding: 1)
            let c = try b.conv2d("c", x, out: 3, kernel: 1)
            let s = try b.add("sum", .add, [a, c, a])
            let r = try b.relu("r", s)
            return try b.concat("cat", [r, x, c])
        }, batch: 3, tolerance: .accumulation)
    }

    func testSoftmaxOutputsLabelSmoothingAndPadding() throws {
        for layer in [Layer.softmax, .logSoftmax] {
            var b = NetworkBuilder(input: TensorShape(features: 6))
            let h = try b.linear("fc", b.input, out: 5)
            let out = try b.add("sm", layer, [h])
            try compareWithReference(try b.build(output: out), batch: 3, tolerance: .transcendental)
        }
        var b = NetworkBuilder(input: TensorShape(features: 6))
        let fc = try b.linear("fc", b.input, out: 4)
        try compareWithReference(try b.build(output: fc), batch: 3, tolerance: .reduction, labelSmoothing: 0.1, paddingLabel: true)
    }

    func testOptimizers() throws {
        let graph = try singleLayer(input: TensorShape(channels: 2, height: 3, width: 3)) { b, x in
            try b.conv2d("conv", x, out: 3, kernel: 3, padding: 1)
        }
        let rules: [OptimizerConfig] = [
            .sgd(momentum: 0, nesterov: false, weightDecay: 0),
            .sgd(momentum: 0.9, nesterov: true, weightDecay: 1e-3),
            .defaultAdam,
            .adam(beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.01, decoupled: true),
            .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: false),
        ]
        for rule in rules {
            try compareWithReference(graph, batch: 3, tolerance: .accumulation, steps: 3, optimizer: rule, learningRate: 0.01)
        }
    }
}
