import XCTest
import NetIR
import Engine

/// Every other op against the reference: linear, batch norm (train and eval), activations, pools, dropout, add,
/// concat, softmax outputs, the loss with smoothing and padding, and each optimizer.
final class LayerComparisonTests: XCTestCase {
    func image(_ c: Int, _ h: Int, _ w: Int) -> TensorShape { TensorShape(channels: c, height: h, width: w) }

    /// `input -> body -> (flatten) -> linear(3)`.
    func classifier(_ input: TensorShape, _ body: (inout NetworkBuilder, NetworkBuilder.Value) throws -> NetworkBuilder.Value) throws -> Graph {
        var b = NetworkBuilder(input: input)
        var x = try body(&b, b.input)
        if b.shape(of: x).rank != 1 { x = try b.flatten("flatten", x) }
        let logits = try b.linear("head", x, out: 3)
        return try b.build(output: logits)
    }

    func testLinearFeatureCounts() throws {
        let counts = [1, 3, 31, 32, 33, 63, 64, 65]
        let sizes = counts.flatMap { i in counts.map { (i, $0) } }
        for (k, (inF, outF)) in sizes.enumerated() {
            let g = try classifier(TensorShape(features: inF)) { b, x in
                let stem = try b.activation("stem_act", try b.linear("stem", x, out: inF), .tanh)
                return try b.linear("fc", stem, out: outF, bias: k % 3 != 1)
            }
            try assertBackendsAgree("linear \(inF)->\(outF)", g, batches: [[1, 2, 5][(k + k / 8) % 3]], fuse: [true])
        }
    }

    func testBatchNorm2d() throws {
        let cases: [(TensorShape, Bool, Int)] = [(image(1, 3, 5), true, 1), (image(3, 1, 1), true, 2), (image(32, 4, 4), true, 5),
                                                 (image(33, 3, 5), false, 2), (image(3, 5, 4), true, 5)]
        for (shape, affine, batch) in cases {
            let g = try classifier(shape) { b, x in
                let c = try b.conv2d("stem", x, out: shape.channels, kernel: 1, bias: false)
                let a = BatchNormAttributes(features: shape.channels, dimensions: 2, eps: 1e-3, momentum: 0.2, affine: affine)
                return try b.relu("relu", try b.add("bn", .batchNorm(a), [c]))
            }
            try assertBackendsAgree("batchNorm2d \(shape) affine \(affine)", g, batches: [batch])
        }
    }

    func testBatchNorm1d() throws {
        for (features, batch) in [(1, 2), (3, 1), (33, 5), (64, 2)] {
            let g = try classifier(TensorShape(features: features)) { b, x in
                let h = try b.linear("stem", x, out: features, bias: false)
                return try b.activation("act", try b.batchNorm("bn", h), .leakyRelu(slope: 0.2))
            }
            try assertBackendsAgree("batchNorm1d \(features)", g, batches: [batch])
        }
    }

    func testActivationsFusedAndAlone() throws {
        let all = Activation.examples
        for act in all {
            let g = try classifier(TensorShape(features: 7)) { b, x in try b.activation("act", try b.linear("fc", x, out: 33), act) }
            try assertBackendsAgree("linear + \(act)", g, batches: [3])
            // After batch norm and after an add (both fusable producers).
            let h = try classifier(image(3, 3, 4)) { b, x in
                let c = try b.conv2d("conv", x, out: 4, kernel: 3, padding: 1, bias: false)
                let n = try b.activation("bn_act", try b.batchNorm("bn", c), act)
                return try b.activation("add_act", try b.addValues("add", n, c), act)
            }
            try assertBackendsAgree("batchNorm/add + \(act)", h, batches: [2])
        }
    }

    func testPools() throws {
        let pools: [(String, Layer, TensorShape)] = [
            ("maxPool k2", .maxPool2d(Pool2dAttributes(kernel: Pair(2))), image(3, 7, 6)),
            ("maxPool k3 s2 p1", .maxPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(1))), image(33, 5, 7)),
            ("maxPool k3 s1 p1", .maxPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(1), padding: Pair(1))), image(2, 4, 4)),
            ("maxPool k(2,3) s(1,2)", .maxPool2d(Pool2dAttributes(kernel: Pair(2, 3), stride: Pair(1, 2))), image(3, 5, 8)),
            ("avgPool k3 s2 p1 include", .avgPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(1))), image(32, 5, 5)),
            ("avgPool k3 s2 p1 exclude", .avgPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(1), countIncludePad: false)), image(3, 6, 7)),
            ("avgPool k2 s1", .avgPool2d(Pool2dAttributes(kernel: Pair(2), stride: Pair(1))), image(3, 5, 4)),
            ("adaptive 5x7->3x2", .adaptiveAvgPool2d(outHeight: 3, outWidth: 2), image(3, 5, 7)),
            ("adaptive 7x7->1x1", .adaptiveAvgPool2d(outHeight: 1, outWidth: 1), image(33, 7, 7)),
            ("adaptive 6x6->3x3", .adaptiveAvgPool2d(outHeight: 3, outWidth: 3), image(2, 6, 6)),
            ("adaptive 4x5->7x3", .adaptiveAvgPool2d(outHeight: 7, outWidth: 3), image(2, 4, 5)),
        ]
        for (k, (name, layer, shape)) in pools.enumerated() {
            let g = try classifier(shape) { b, x in
                try b.add("pool", layer, [try b.activation("act", try b.conv2d("stem", x, out: shape.channels, kernel: 1), .tanh)])
            }
            try assertBackendsAgree(name, g, batches: [[1, 2, 5][k % 3]], fuse: [true])
        }
    }

    /// Equal values in a window: the argmax must be the first maximum in row-major order (compared bit for bit).
    func testMaxPoolTiesPickTheFirstMaximum() throws {
        var b = NetworkBuilder(input: image(1, 6, 6))
        let c = try b.conv2d("stem", b.input, out: 2, kernel: 1)
        let p = try b.add("pool", .maxPool2d(Pool2dAttributes(kernel: Pair(3), stride: Pair(2), padding: Pair(1))), [c])
        let logits = try b.linear("head", try b.flatten("flatten", p), out: 3)
        let g = try b.build(output: logits)
        let plan = try PlanCompiler.compile(g, options: PlanOptions(batchSize: 2))
        var state = ExecutorState(plan: plan, seed: 5)
        state.regions[.input] = (0..<plan.inputCount).map { Float($0 % 3 == 0 ? 1 : 0) }
        let found = try compareInstructions(plan, train: true, state: state, learningRate: 0.05)
        XCTAssertTrue(found.isEmpty, "\(found)")
    }

    func testDropout() throws {
        for (p, batch) in [(Float(0), 2), (0.3, 5), (0.5, 1)] {
            let g = try classifier(TensorShape(features: 33)) { b, x in
                try b.dropout("drop", try b.activation("act", try b.linear("fc", x, out: 33), .tanh), p: p)
            }
            try assertBackendsAgree("dropout \(p)", g, batches: [batch], fuse: [true], steps: 2)
        }
    }

    func testAddAndConcat() throws {
        let residual = try classifier(image(3, 5, 5)) { b, x in
            let stem = try b.relu("stem_relu", try b.conv2d("stem", x, out: 4, kernel: 3, padding: 1))
            let branch = try b.conv2d("conv", stem, out: 4, kernel: 3, padding: 1)
            let twice = try b.addValues("twice", stem, stem)
            return try b.relu("relu", try b.add("sum", .add, [branch, stem, twice]))
        }
        try assertBackendsAgree("add fan-out", residual, batches: [1, 3])
        let concat = try classifier(image(1, 4, 5)) { b, x in
            let a = try b.activation("a_act", try b.conv2d("a", x, out: 31, kernel: 1), .tanh)
            let c = try b.conv2d("c", x, out: 33, kernel: 3, padding: 1)
            return try b.relu("relu", try b.concat("cat", [x, a, c, a]))
        }
        try assertBackendsAgree("concat 1+31+33+31", concat, batches: [2])
    }

    func testSoftmaxOutputsSmoothingAndPadding() throws {
        for layer in [Layer.softmax, .logSoftmax] {
            var b = NetworkBuilder(input: TensorShape(features: 5))
            let h = try b.linear("fc2", try b.activation("act", try b.linear("fc1", b.input, out: 6), .tanh), out: 4)
            let out = try b.add("out", layer, [h])
            let g = try b.build(output: out)
            try assertBackendsAgree(layer.typeName, g, batches: [1, 3])
        }
        // Batches of 3 or more carry one padding label (-1); smoothing changes the loss and its gradient.
        let g = try classifier(TensorShape(features: 6)) { b, x in try b.relu("relu", try b.linear("fc", x, out: 8)) }
        try assertBackendsAgree("label smoothing", g, batches: [1, 5], fuse: [true], smoothing: 0.1)
    }

    func testOptimizers() throws {
        let g = try classifier(image(2, 4, 4)) { b, x in
            let c = try b.conv2d("conv", x, out: 3, kernel: 3, padding: 1, bias: false)
            return try b.relu("relu", try b.batchNorm("bn", c))
        }
        let configs: [OptimizerConfig] = [
            .sgd(momentum: 0, nesterov: false, weightDecay: 0),
            .sgd(momentum: 0.9, nesterov: false, weightDecay: 5e-4),
            .sgd(momentum: 0.9, nesterov: true, weightDecay: 0.01),
            .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false),
            .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: false),
            .adam(beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.05, decoupled: true),
        ]
        for config in configs {
            try assertBackendsAgree("\(config)", g, batches: [3], fuse: [true], optimizer: config, learningRate: 0.01, steps: 3)
        }
    }
}
