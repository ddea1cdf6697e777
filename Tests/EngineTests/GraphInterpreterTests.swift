import OpTable
import XCTest
import NetIR
import Engine
@testable import ReferenceBackend

/// An independent evaluation of a graph, node by node with one array per node and no arena, using the reference
/// kernels (checked by hand in ReferenceForwardTests). Comparing it with the compiled plan checks what the
/// gradient checks cannot see: the compiler's wiring, fusion and arena placement of the forward pass itself.
struct GraphInterpreter {
    let graph: Graph
    let batch: Int
    let parameters: [String: [Float]]
    var runningStats: [String: (mean: [Float], variance: [Float])]

    init(_ plan: Plan, parameters: [Float], buffers: [Float]) {
        graph = plan.graph
        batch = plan.options.batchSize
        var named: [String: [Float]] = [:]
        for slot in plan.parameterSlots { named[slot.name] = Array(parameters[slot.offset..<(slot.offset + slot.count)]) }
        self.parameters = named
        var stats: [String: (mean: [Float], variance: [Float])] = [:]
        for slot in plan.bufferSlots where slot.name.hasSuffix(".running_mean") {
            let module = String(slot.name.dropLast(".running_mean".count))
            let variance = plan.bufferSlots.first { $0.name == module + ".running_var" }
            stats[module] = (Array(buffers[slot.offset..<(slot.offset + slot.count)]),
                             variance.map { Array(buffers[$0.offset..<($0.offset + $0.count)]) } ?? [])
        }
        runningStats = stats
    }

    /// The network output for `input`; dropout must have p = 0 in training mode (its salt is the compiler's).
    func logits(_ input: [Float], training: Bool) throws -> [Float] {
        let shapes = try graph.inferShapes()
        var values: [[Float]] = []
        for (i, node) in graph.nodes.enumerated() {
            let xs = node.inputs.map { values[$0] }
            let x = xs.first ?? input
            let inShape = node.inputs.first.map { shapes[$0] } ?? shapes[i]
            func p(_ suffix: String) -> [Float]? { parameters["\(node.module).\(suffix)"] }
            let y: [Float]
            switch node.layer {
            case .input: y = input
            case .flatten, .identity, .reshape: y = x
            case .conv2d(let a):
                y = Reference.conv2d(ConvGeometry(batch: batch, input: inShape, output: shapes[i], attributes: a), x: x,
                                     weight: p("weight") ?? [], bias: p("bias"), activation: nil)
            case .linear(let inF, let outF, _):
                y = Reference.linear(LinearGeometry(batch: batch * inShape.count / inF, inFeatures: inF, outFeatures: outF), x: x,
                                     weight: p("weight") ?? [], bias: p("bias"), activation: nil)
            case .batchNorm(let a):
                let g = BatchNormGeometry(batch: batch, channels: a.features, spatial: inShape.spatial, eps: a.eps, momentum: a.momentum)
                let stats = runningStats[node.module] ?? ([], [])
                y = Reference.batchNorm(g, training: training, x: x, scale: p("weight"), shift: p("bias"),
                                        runningMean: stats.mean, runningVar: stats.variance, activation: nil).y
            case .activation(let a): y = x.map { Reference.activate(a, $0) }
            case .maxPool2d(let a): y = Reference.maxPool(PoolGeometry(batch: batch, input: inShape, output: shapes[i], attributes: a), x: x).y
            case .avgPool2d(let a): y = Reference.avgPool(PoolGeometry(batch: batch, input: inShape, output: shapes[i], attributes: a), x: x)
            case .adaptiveAvgPool2d(let oh, let ow):
                y = Reference.adaptiveAvgPool(AdaptivePoolGeometry(batch: batch, channels: inShape.channels, inHeight: inShape.height,
                                                                   inWidth: inShape.width, outHeight: oh, outWidth: ow), x: x)
            case .dropout(let rate), .dropout2d(let rate):
                precondition(!training || rate == 0, "the interpreter does not draw dropout masks")
                y = x
            case .add: y = Reference.add(xs, activation: nil)
            case .multiply:
                let a = shapes[node.inputs[0]]
                let g = a == shapes[node.inputs[1]] ? MultiplyGeometry(outer: batch, inner: a.count, perRow: false)
                    : MultiplyGeometry(outer: batch * a.dims[0], inner: a.count / a.dims[0], perRow: true)
                y = Reference.multiply(g, xs[0], xs[1])
            case .affine(let scale, let shift): y = x.map { Float(Double(scale) * Double($0) + Double(shift)) }
            case .concat:
                y = Reference.concat(ConcatGeometry(batch: batch, spatial: inShape.spatial, channels: node.inputs.map { shapes[$0].channels }), xs)
            case .softmax, .logSoftmax:
                y = Reference.softmax(batch: batch, classes: shapes[i].count, log: node.layer == .logSoftmax, x: x)
            case .groupNorm, .layerNorm:
                let g = try XCTUnwrap(RowNormGeometry(batch: batch, input: inShape, layer: node.layer))
                y = Reference.rowNorm(g, x: x, scale: p("weight"), shift: p("bias")).y
            case .prelu(let slopes):
                y = Reference.prelu(PReLUGeometry(batch: batch, input: inShape, slopes: slopes), x: x, slopes: p("weight") ?? [])
            case .localResponseNorm, .l2Normalize:
                y = Reference.localResponseNorm(try XCTUnwrap(ChannelWindowGeometry(batch: batch, input: inShape, layer: node.layer)), x: x).y
            case .pad(let a): y = Reference.pad(PadGeometry(batch: batch, input: inShape, attributes: a), x: x)
            case .adaptiveMaxPool2d(let oh, let ow):
                let a = Pool2dAttributes.exactAdaptive(input: inShape, outHeight: oh, outWidth: ow)
                y = Reference.maxPool(PoolGeometry(batch: batch, input: inShape, output: shapes[i], attributes: a), x: x).y
            case .alphaDropout(let rate, _):
                precondition(!training || rate == 0, "the interpreter does not draw dropout masks")
                y = x
            case .convTranspose2d(let a):
                let g = ConvGeometry(batch: batch, input: shapes[i], output: inShape, attributes: a.adjoint)
                let raw = Reference.conv2dBackwardData(g, dy: x, weight: p("weight") ?? [])
                let bias = p("bias")
                let plane = shapes[i].spatial, c = shapes[i].channels
                y = raw.indices.map { k in bias.map { raw[k] + $0[(k / plane) % c] } ?? raw[k] }
            case .permute(let order):
                y = Reference.permute(PermuteGeometry(batch: batch, dims: inShape.dims, order: order), x: x)
            case .upsample(let a):
                y = Reference.upsample(UpsampleGeometry(batch: batch, input: inShape, output: shapes[i], bilinear: a.bilinear), x: x)
            case .slice(let start, let count):
                let c: Int = inShape.dims[0], inner: Int = inShape.count / c
                var taken: [Float] = []
                for n in 0..<batch {
                    let from: Int = (n * c + start) * inner
                    taken += x[from ..< from + count * inner]
                }
                y = taken
            }
            values.append(y)
        }
        return values[graph.output]
    }
}

final class GraphInterpreterTests: XCTestCase {
    func graphs() throws -> [(String, Graph)] {
        let image = TensorShape(channels: 2, height: 5, width: 6)
        var result: [(String, Graph)] = []
        for net in BuiltinNetwork.allCases {
            result.append(("\(net)", try net.graph(input: TensorShape(channels: 1, height: 8, width: 8), classes: 4)))
        }
        result.append(("residual + concat", try classifier(image) { b, x in
            let stem = try b.relu("stem_relu", try b.conv2d("stem", x, out: 3, kernel: 3, padding: 1))
            let sum = try b.relu("relu", try b.addValues("add", try b.conv2d("conv", stem, out: 3, kernel: 3, padding: 1), stem))
            return try b.concat("cat", [x, sum, sum])
        }))
        result.append(("flatten and identity fan-out, add with the input", try classifier(TensorShape(features: 6)) { b, x in
            let h = try b.activation("act", try b.linear("fc", x, out: 6), .tanh)
            let i = try b.add("id", .identity, [h])
            let s = try b.addValues("skip", x, i)
            return try b.activation("out_act", try b.addValues("sum", try b.linear("fa", s, out: 4), try b.linear("fb", i, out: 4)), .sigmoid)
        }))
        result.append(("channel slices", try classifier(image) { b, x in
            let stem = try b.conv2d("stem", x, out: 5, kernel: 3, padding: 1)
            let low = try b.add("low", .slice(start: 0, count: 2), [stem]), high = try b.add("high", .slice(start: 3, count: 2), [stem])
            return try b.concat("cat", [try b.add("mul", .multiply, [low, high]), try b.add("mid", .slice(start: 1, count: 3), [stem])])
        }))
        result.append(("upsampling and transposed convolution", try classifier(image) { b, x in
            let stem = try b.conv2d("stem", x, out: 3, kernel: 3, stride: 2, padding: 1)
            let up = try b.add("up", .convTranspose2d(ConvTranspose2dAttributes(inChannels: 3, outChannels: 2, kernel: Pair(3), stride: Pair(2),
                                                                                   padding: Pair(1), outputPadding: Pair(1))), [stem])
            return try b.add("bilinear", .upsample(UpsampleAttributes(size: Pair(7, 9), bilinear: true)), [up])
        }))
        var shared = NetworkBuilder(input: TensorShape(features: 5))
        let fc = Layer.linear(inFeatures: 5, outFeatures: 5, bias: true)
        let h1 = try shared.activation("act1", try shared.add("fc", fc, [shared.input]), .relu)
        let h2 = try shared.activation("act2", try shared.add("fc_again", fc, [h1], module: "fc"), .elu(alpha: 1))
        result.append(("shared module, activation output", try shared.build(output: h2)))
        return result
    }

    /// Eval: the plan's logits equal the interpreter's bit for bit (same kernels, same order of operations).
    /// Train: so do the train step's logits, and its loss is the cross-entropy of the interpreter's logits.
    func testCompiledPlansComputeTheGraph() throws {
        for (name, g) in try graphs() {
            for batch in [1, 3] {
                for fuse in [true, false] {
                    let h = try Harness(g, options: PlanOptions(batchSize: batch, fuseActivations: fuse))
                    XCTAssertNoThrow(try h.plan.validateDataflow(), name)
                    var buffers = h.plan.initialBuffers()
                    for k in buffers.indices { buffers[k] += Float(k % 5) * 0.1 }   // make eval's statistics matter
                    h.executor.write(.buffers, buffers)
                    let interpreter = GraphInterpreter(h.plan, parameters: h.baseParameters, buffers: buffers)
                    h.executor.evalStep()
                    _ = h.executor.takeMetrics()
                    XCTAssertEqual(h.executor.outputs(), try interpreter.logits(h.images, training: false), "\(name) batch \(batch) fuse \(fuse) eval")
                    let logits = try interpreter.logits(h.images, training: true)
                    let expected = Reference.softmaxCrossEntropy(batch: batch, classes: h.plan.classes, labelSmoothing: 0,
                                                                 logits: logits, labels: h.labels)
                    h.executor.trainStep(learningRate: 0)
                    // outputs() after a train step are that step's train-mode logits (batch statistics included).
                    XCTAssertEqual(h.executor.outputs(), logits, "\(name) batch \(batch) fuse \(fuse) train")
                    let loss = h.executor.takeMetrics().lossSum
                    XCTAssertTrue(close(loss, expected.lossSum, relative: ReferenceChecks.metrics),
                                  "\(name) batch \(batch) fuse \(fuse) train loss \(loss) vs \(expected.lossSum)")
                }
            }
        }
    }
}
