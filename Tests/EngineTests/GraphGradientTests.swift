import XCTest
import NetIR
import Engine
import ReferenceBackend

/// Gradients through the graph structure: fan-out, multi-input adds, concatenation, shared modules and the
/// built-in networks; and a check that the gradient check itself catches a wrong plan.
final class GraphGradientTests: XCTestCase {
    let image = TensorShape(channels: 2, height: 5, width: 6)

    func testResidualFanOut() throws {
        let g = try classifier(image) { b, x in
            let stem = try b.relu("stem_relu", try b.conv2d("stem", x, out: 3, kernel: 3, padding: 1))
            let branch = try b.conv2d("conv2", try b.relu("relu1", try b.conv2d("conv1", stem, out: 3, kernel: 3, padding: 1)),
                                      out: 3, kernel: 3, padding: 1)
            let sum = try b.relu("relu2", try b.addValues("add", branch, stem))
            return try b.maxPool("pool", sum, kernel: 2)
        }
        try assertGradientsMatch("residual", g)
    }

    /// `h + h`: the add's backward aliases dy for the first operand and accumulates it again for the second.
    func testAddOfAValueWithItselfAndThreeInputs() throws {
        let twice = try classifier(TensorShape(features: 5)) { b, x in
            let h = try b.activation("act", try b.linear("fc", x, out: 4), .tanh)
            return try b.activation("act2", try b.addValues("add", h, h), .sigmoid)
        }
        try assertGradientsMatch("h + h", twice)
        let three = try classifier(TensorShape(features: 5)) { b, x in
            let a = try b.linear("fa", x, out: 4)
            let c = try b.activation("act", try b.linear("fc", x, out: 4), .tanh)
            return try b.activation("sum_act", try b.add("sum", .add, [a, c, a]), .elu(alpha: 1))
        }
        try assertGradientsMatch("a + c + a", three)
    }

    func testConcat() throws {
        let g = try classifier(image) { b, x in
            let stem = try b.activation("stem_act", try b.conv2d("stem", x, out: 3, kernel: 1), .tanh)
            let a = try b.conv2d("a", stem, out: 2, kernel: 1)
            let c = try b.conv2d("c", stem, out: 3, kernel: 3, padding: 1)
            return try b.relu("relu", try b.concat("cat", [a, c]))
        }
        try assertGradientsMatch("concat of two branches", g)
        // The image needs no gradient (absent output), and a value concatenated twice accumulates both halves.
        let mixed = try classifier(image) { b, x in
            let a = try b.activation("act", try b.conv2d("a", x, out: 2, kernel: 3, padding: 1), .tanh)
            return try b.concat("cat", [x, a, a])
        }
        try assertGradientsMatch("concat [input, a, a]", mixed)
    }

    func testSharedModules() throws {
        var b = NetworkBuilder(input: TensorShape(features: 5))
        let fc = Layer.linear(inFeatures: 5, outFeatures: 5, bias: true)
        let h1 = try b.activation("act1", try b.add("fc", fc, [b.input]), .tanh)
        let h2 = try b.activation("act2", try b.add("fc_again", fc, [h1], module: "fc"), .tanh)
        let logits = try b.linear("head", h2, out: 3)
        try assertGradientsMatch("shared linear", try b.build(output: logits))

        let conv = try classifier(image) { b, x in
            let stem = try b.conv2d("stem", x, out: 3, kernel: 1)
            let layer = Layer.conv2d(Conv2dAttributes(inChannels: 3, outChannels: 3, kernel: Pair(3), padding: Pair(1)))
            let c1 = try b.relu("relu1", try b.add("conv", layer, [stem]))
            return try b.relu("relu2", try b.add("conv_again", layer, [c1], module: "conv"))
        }
        try assertGradientsMatch("shared conv", conv)

        // One conv module on two spatial sizes, and one batch-norm module on two tensors (its scale and shift
        // gradients accumulate through `accumulateParameters`).
        let sizes = try classifier(image) { b, x in
            let stem = try b.conv2d("stem", x, out: 3, kernel: 1)
            let layer = Layer.conv2d(Conv2dAttributes(inChannels: 3, outChannels: 3, kernel: Pair(3), padding: Pair(1)))
            let big = try b.activation("act1", try b.add("conv", layer, [stem]), .tanh)
            let small = try b.add("conv_small", layer, [try b.maxPool("pool", big, kernel: 2)], module: "conv")
            let bn = Layer.batchNorm(BatchNormAttributes(features: 3, dimensions: 2))
            let n1 = try b.add("bn", bn, [small])
            let n2 = try b.add("bn_again", bn, [try b.activation("act2", n1, .tanh)], module: "bn")
            return try b.activation("act3", n2, .sigmoid)
        }
        try assertGradientsMatch("shared conv on two sizes, shared batch norm", sizes)
    }

    /// Views (flatten, identity) share their input's gradient; an add that reads the image needs no gradient for
    /// it; an activation that is the network output is fused into its producer.
    func testViewsSkipsAndActivationOutput() throws {
        let views = try classifier(TensorShape(features: 6)) { b, x in
            let h = try b.activation("act", try b.linear("fc", x, out: 6), .tanh)
            let i = try b.add("id", .identity, [h])
            let s = try b.addValues("skip", x, i)
            return try b.addValues("sum", try b.linear("fa", s, out: 4), try b.linear("fb", i, out: 4))
        }
        try assertGradientsMatch("identity fan-out, add with the input", views)
        let flat = try classifier(TensorShape(channels: 2, height: 3, width: 3)) { b, x in
            let f = try b.flatten("flat", try b.activation("act", try b.conv2d("conv", x, out: 2, kernel: 3, padding: 1), .sigmoid))
            return try b.activation("sum_act", try b.addValues("sum", try b.linear("fa", f, out: 5), try b.linear("fb", f, out: 5)), .tanh)
        }
        try assertGradientsMatch("flatten fan-out", flat)
        var b = NetworkBuilder(input: TensorShape(features: 5))
        let out = try b.activation("out", try b.linear("fc", try b.activation("act", try b.linear("fc0", b.input, out: 6), .relu), out: 4), .elu(alpha: 1))
        let g = try b.build(output: out)
        try assertGradientsMatch("activation as the output", g)
    }

    func testBuiltinNetworks() throws {
        let input = TensorShape(channels: 1, height: 8, width: 8)
        try assertGradientsMatch("initial", try BuiltinNetwork.initial.graph(input: input, classes: 4), perSlot: 8)
        try assertGradientsMatch("smallcnn", try BuiltinNetwork.smallcnn.graph(input: input, classes: 4), batches: [2],
                                 perSlot: 4, unfusedFiniteDifferences: false)
        try assertGradientsMatch("resnet8", try BuiltinNetwork.resnet8.graph(input: TensorShape(channels: 1, height: 6, width: 6), classes: 4),
                                 batches: [2], perSlot: 3, unfusedFiniteDifferences: false)
    }

    /// The check is not a tautology: a plan whose shared module overwrites instead of accumulating its second
    /// parameter-gradient contribution (a plausible compiler bug) is caught.
    func testGradientCheckCatchesAWrongPlan() throws {
        var b = NetworkBuilder(input: TensorShape(features: 4))
        let fc = Layer.linear(inFeatures: 4, outFeatures: 4, bias: true)
        let h = try b.activation("act", try b.add("fc", fc, [b.input]), .tanh)
        let logits = try b.add("fc_again", fc, [h], module: "fc")
        let g = try b.build(output: logits)
        var plan = try PlanCompiler.compile(g, options: PlanOptions(batchSize: 2, optimizer: .sgd(momentum: 0, nesterov: false, weightDecay: 0)))
        XCTAssertTrue(checkGradients(try Harness(plan: plan)).mismatches.isEmpty)
        let k = try XCTUnwrap(plan.trainProgram.lastIndex { $0.opName == "linearBackwardFilter" && $0.accumulate })
        plan.trainProgram[k].accumulate = false
        XCTAssertFalse(checkGradients(try Harness(plan: plan)).mismatches.isEmpty)
    }
}
