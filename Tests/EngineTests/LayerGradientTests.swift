import XCTest
import NetIR
import Engine
import ReferenceBackend

/// Builds `input -> body -> (flatten) -> linear(classes)`, the head every gradient case shares.
func classifier(_ input: TensorShape, classes: Int = 3,
                _ body: (inout NetworkBuilder, NetworkBuilder.Value) throws -> NetworkBuilder.Value) throws -> Graph {
    var b = NetworkBuilder(input: input)
    var x = try body(&b, b.input)
    if b.shape(of: x).rank != 1 { x = try b.flatten("flatten", x) }
    let logits = try b.linear("head", x, out: classes)
    return try b.build(output: logits)
}

/// Each layer type alone (behind a parameterised stem, so that its input gradient feeds the stem's parameter
/// gradient and is checked too), against central finite differences of the train-mode loss.
final class LayerGradientTests: XCTestCase {
    let image = TensorShape(channels: 2, height: 5, width: 6)

    func testConvolutionGradients() throws {
        typealias Case = (name: String, out: Int, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, groups: Int, bias: Bool)
        let cases: [Case] = [
            ("3x3 s1 p1", 4, Pair(3), Pair(1), Pair(1), Pair(1), 1, true),
            ("3x3 s2 p1 (kernel > stride)", 3, Pair(3), Pair(2), Pair(1), Pair(1), 1, true),
            ("3x3 dilation 2 p2", 3, Pair(3), Pair(1), Pair(2), Pair(2), 1, true),
            ("groups 2", 6, Pair(3), Pair(1), Pair(1), Pair(1), 2, true),
            ("depthwise", 4, Pair(3), Pair(1), Pair(1), Pair(1), 4, false),
            ("depthwise x2 s2", 8, Pair(3), Pair(2), Pair(1), Pair(1), 4, true),
            ("1x1 s1", 5, Pair(1), Pair(1), Pair(0), Pair(1), 1, true),
            ("1x1 s2 no bias", 3, Pair(1), Pair(2), Pair(0), Pair(1), 1, false),
            ("2x3 s(2,1) p(1,0) d(1,2)", 3, Pair(2, 3), Pair(2, 1), Pair(1, 0), Pair(1, 2), 1, true),
        ]
        for c in cases {
            let g = try classifier(image) { b, x in
                let stem = try b.activation("stem_act", try b.conv2d("stem", x, out: 4, kernel: 1), .tanh)
                let a = Conv2dAttributes(inChannels: 4, outChannels: c.out, kernel: c.kernel, stride: c.stride,
                                         padding: c.padding, dilation: c.dilation, groups: c.groups, bias: c.bias)
                return try b.add("conv", .conv2d(a), [stem])
            }
            try assertGradientsMatch("conv \(c.name)", g)
        }
    }

    func testLinearGradients() throws {
        let g = try classifier(TensorShape(features: 7)) { b, x in
            let h = try b.activation("act1", try b.linear("fc1", x, out: 5), .tanh)
            return try b.activation("act2", try b.linear("fc2", h, out: 4, bias: false), .sigmoid)
        }
        try assertGradientsMatch("linear", g)
    }

    func testBatchNorm2dGradients() throws {
        let g = try classifier(image) { b, x in
            let c = try b.conv2d("stem", x, out: 4, kernel: 3, padding: 1, bias: false)
            return try b.relu("relu", try b.batchNorm("bn", c))
        }
        try assertGradientsMatch("batchNorm2d + relu", g)
        let plain = try classifier(image) { b, x in
            let c = try b.conv2d("stem", x, out: 3, kernel: 3, stride: 2, bias: false)
            let bn = try b.add("bn", .batchNorm(BatchNormAttributes(features: 3, dimensions: 2, eps: 1e-3, momentum: 0.3, affine: false)), [c])
            return try b.activation("act", bn, .leakyRelu(slope: 0.2))
        }
        try assertGradientsMatch("batchNorm2d without affine + leakyRelu", plain)
    }

    /// Batch 1 is left out: one sample per feature normalises to x̂ = 0, so nothing upstream gets a gradient.
    func testBatchNorm1dGradients() throws {
        let g = try classifier(TensorShape(features: 6)) { b, x in
            let h = try b.linear("fc", x, out: 5, bias: false)
            return try b.activation("act", try b.batchNorm("bn", h), .tanh)
        }
        try assertGradientsMatch("batchNorm1d + tanh", g, batches: [2, 3])
    }

    func testEveryActivation() throws {
        // The op table's activation rows (the registry's examples) and a few edge parameters.
        let activations = Activation.examples + [.leakyRelu(slope: 0), .leakyRelu(slope: -0.5), .elu(alpha: 0.3)]
        for act in activations {
            let dense = try classifier(TensorShape(features: 6)) { b, x in
                try b.activation("act", try b.linear("fc", x, out: 5), act)
            }
            try assertGradientsMatch("linear + \(act)", dense)
            let conv = try classifier(TensorShape(channels: 2, height: 3, width: 4)) { b, x in
                try b.activation("act", try b.conv2d("conv", x, out: 3, kernel: 3, padding: 1), act)
            }
            try assertGradientsMatch("conv + \(act)", conv, batches: [2])
        }
    }

    func testPoolingGradients() throws {
        let pools: [(String, Layer)] = [
            ("maxPool k2", .maxPool2d(Pool2dAttributes(kernel: Pair(2)))),
            ("maxPool k3 s2 p1", .maxPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(1)))),
            ("maxPool k(2,3) s(1,2) p1", .maxPool2d(Pool2dAttributes(kernel: Pair(2, 3), stride: Pair(1, 2), padding: Pair(1)))),
            ("avgPool k3 s2 p1 include pad", .avgPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(1)))),
            ("avgPool k3 s2 p1 exclude pad", .avgPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(1), countIncludePad: false))),
            ("avgPool k2 s1", .avgPool2d(Pool2dAttributes(kernel: Pair(2), stride: Pair(1)))),
            ("adaptive 5x6 -> 3x2", .adaptiveAvgPool2d(outHeight: 3, outWidth: 2)),
            ("adaptive 5x6 -> 7x4", .adaptiveAvgPool2d(outHeight: 7, outWidth: 4)),
        ]
        for (name, layer) in pools {
            let g = try classifier(image) { b, x in
                try b.add("pool", layer, [try b.activation("act", try b.conv2d("stem", x, out: 3, kernel: 1), .tanh)])
            }
            try assertGradientsMatch(name, g)
        }
    }

    func testAdaptivePoolingOfNonDivisibleSizes() throws {
        let g = try classifier(TensorShape(channels: 2, height: 5, width: 7)) { b, x in
            let stem = try b.activation("act", try b.conv2d("stem", x, out: 2, kernel: 1), .sigmoid)
            return try b.add("pool", .adaptiveAvgPool2d(outHeight: 3, outWidth: 2), [stem])
        }
        try assertGradientsMatch("adaptive 5x7 -> 3x2", g)
    }

    func testDropoutGradients() throws {
        for p: Float in [0, 0.3] {
            let g = try classifier(TensorShape(features: 6)) { b, x in
                try b.dropout("drop", try b.activation("act", try b.linear("fc", x, out: 8), .tanh), p: p)
            }
            // A fixed step makes the p > 0 mask the same in every loss evaluation.
            try assertGradientsMatch("dropout \(p)", g, dropoutStep: 5)
        }
    }

    func testSoftmaxAndLogSoftmaxAtTheOutput() throws {
        for layer in [Layer.softmax, .logSoftmax] {
            var b = NetworkBuilder(input: TensorShape(features: 5))
            let h = try b.activation("act", try b.linear("fc1", b.input, out: 6), .tanh)
            let out = try b.add("out", layer, [try b.linear("fc2", h, out: 4)])
            let g = try b.build(output: out)
            try assertGradientsMatch("\(layer.typeName) output", g)
        }
    }

    func testLabelSmoothingAndPaddingLabels() throws {
        let g = try classifier(TensorShape(features: 5), classes: 4) { b, x in
            try b.activation("act", try b.linear("fc", x, out: 6), .tanh)
        }
        try assertGradientsMatch("label smoothing 0.1", g, smoothing: 0.1)
        // Batch 3 with one real label: -1 and 9 (>= classes) are padding and must not count.
        try assertGradientsMatch("padding labels", g, batches: [3], smoothing: 0.2, labels: { _ in [-1, 2, 9] })
    }
}
