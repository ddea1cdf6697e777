import NetIR

/// Why a graph could not be compiled.
public enum PlanError: Error, CustomStringConvertible, Sendable {
    case network(NetworkError)
    case invalidOptions(String)
    /// A backend has no kernel for an op the plan needs (`Backend.supports`).
    case unsupported(op: String, node: String, device: String)

    public var description: String {
        switch self {
        case .network(let e): return e.description
        case .invalidOptions(let m): return "invalid plan options: \(m)"
        case .unsupported(let op, let node, let device): return "layer '\(node)': \(op) is not supported on \(device)"
        }
    }
}

public enum PlanCompiler {
    /// Compiles `graph` for `options.batchSize`: forward, loss, automatic backward with fan-out accumulation,
    /// optimizer update, and a lifetime-planned arena. Takes no fusion that a backend must support (`Fusion`): the
    /// plan runs on every backend.
    public static func compile(_ graph: Graph, options: PlanOptions) throws -> Plan {
        try compile(graph, options: options, takes: { _ in false })
    }

    /// `compile`, taking each fusion (`Fusion`) that `takes` answers true for (a backend's `supports`); checks no
    /// other instruction against it.
    public static func compile(_ graph: Graph, options: PlanOptions, takes: (Op) -> Bool) throws -> Plan {
        guard options.batchSize >= 1 else { throw PlanError.invalidOptions("batch size must be at least 1") }
        guard options.labelSmoothing >= 0 && options.labelSmoothing < 1 else {
            throw PlanError.invalidOptions("label smoothing must be in [0, 1)")
        }
        do {
            var builder = try PlanBuilder(graph: graph, options: options)
            return try builder.build(takes: takes)
        } catch let e as NetworkError {
            throw PlanError.network(e)
        }
    }

    /// `compile` with every fusion `backend` supports, then the check that it has a kernel for every instruction
    /// of both programs.
    public static func compile(_ graph: Graph, options: PlanOptions, for backend: any Backend) throws -> Plan {
        let plan = try compile(graph, options: options, takes: backend.supports)
        try backend.checkSupport(plan)
        return plan
    }
}

/// The compiler's working state. Arena tensors are first named by logical id (kept in `TensorRef.offset`) and
/// given real offsets by `MemoryPlanner` at the end.
struct PlanBuilder {
    let graph: Graph
    let options: PlanOptions
    let shapes: [TensorShape]
    let live: [Bool]
    var batch: Int { options.batchSize }

    var logicalSizes: [Int] = []
    /// Output value of each node (arena logical tensor, or the input region for node 0).
    var value: [TensorRef]
    var fusedActivation: [Activation?]
    var absorbed: [Bool]
    var requiresGrad: [Bool]
    /// Per-node extra tensors: argmax (max pool), saved mean / inv std (batch norm), mask (dropout).
    var extras: [[TensorRef]]

    var parameterSlots: [TensorSlot] = []
    var parameterRefs: [String: [String: TensorRef]] = [:]
    var bufferSlots: [TensorSlot] = []
    var bufferRefs: [String: (mean: TensorRef, variance: TensorRef)] = [:]
    var parameterCount = 0
    var bufferCount = 0

    init(graph: Graph, options: PlanOptions) throws {
        self.graph = graph
        self.options = options
        shapes = try graph.inferShapes()
        live = graph.live
        let n = graph.nodes.count
        value = Array(repeating: .absent, count: n)
        fusedActivation = Array(repeating: nil, count: n)
        absorbed = Array(repeating: false, count: n)
        requiresGrad = Array(repeating: false, count: n)
        extras = Array(repeating: [], count: n)
        let out = shapes[graph.output]
        guard out.rank == 1, out.count >= 2 else {
            let node = graph.nodes[graph.output]
            throw NetworkError(layer: node.name, location: node.location,
                               message: "the network output must be class scores [classes], got \(out)")
        }
    }

    mutating func newTensor(_ count: Int) -> TensorRef {
        logicalSizes.append(count)
        return TensorRef(.arena, offset: logicalSizes.count - 1, count: count)
    }

    // MARK: layout

    mutating func layoutModelTensors() {
        var seen = Set<String>()
        for node in graph.nodes where seen.insert(node.module).inserted {
            for p in node.layer.parameterShapes {
                let slot = TensorSlot(name: "\(node.module).\(p.suffix)", dims: p.dims, offset: parameterCount)
                parameterSlots.append(slot)
                parameterRefs[node.module, default: [:]][p.suffix] = slot.ref
                parameterCount += MemoryPlanner.align(slot.count)
            }
            if case .batchNorm(let a) = node.layer {
                let mean = TensorSlot(name: "\(node.module).running_mean", dims: [a.features], offset: bufferCount)
                bufferCount += MemoryPlanner.align(a.features)
                let variance = TensorSlot(name: "\(node.module).running_var", dims: [a.features], offset: bufferCount)
                bufferCount += MemoryPlanner.align(a.features)
                bufferSlots += [mean, variance]
                bufferRefs[node.module] = (TensorRef(.buffers, offset: mean.offset, count: a.features),
                                           TensorRef(.buffers, offset: variance.offset, count: a.features))
            }
        }
    }

    func parameter(_ node: Node, _ suffix: String) -> TensorRef { parameterRefs[node.module]?[suffix] ?? .absent }

    func gradient(of p: TensorRef) -> TensorRef { p.isPresent ? TensorRef(.gradients, offset: p.offset, count: p.count) : .absent }

    /// Decides fusion and allocates every forward value and saved tensor.
    mutating func allocateValues() {
        let consumers = graph.consumers
        for (i, node) in graph.nodes.enumerated() where live[i] {
            requiresGrad[i] = !node.layer.parameterShapes.isEmpty || node.inputs.contains { requiresGrad[$0] }
            let count = batch * shapes[i].count
            switch node.layer {
            case .input:
                value[i] = TensorRef(.input, offset: 0, count: count)
                continue
            case .flatten, .identity, .reshape:
                value[i] = value[node.inputs[0]]
                continue
            case .activation(let act):
                let p = node.inputs[0]
                if absorbedBy(p, act, consumers) {
                    fusedActivation[p] = act
                    absorbed[i] = true
                    value[i] = value[p]
                    continue
                }
            case .maxPool2d, .adaptiveMaxPool2d:
                extras[i] = [newTensor(count)]
            case .batchNorm(let a):
                extras[i] = [newTensor(a.features), newTensor(a.features)]
            case .dropout:
                extras[i] = [newTensor(count)]
            case .localResponseNorm, .l2Normalize:
                extras[i] = [newTensor(count)]   // D, the denominators' base
            case .groupNorm, .layerNorm:
                let rows = RowNormGeometry(batch: batch, input: shapes[i], layer: node.layer)?.rows ?? 0
                extras[i] = [newTensor(rows), newTensor(rows)]   // saved mean, saved inverse std
            case .dropout2d:
                let rows = batch * shapes[i].dims[0]
                extras[i] = [newTensor(rows), newTensor(rows), newTensor(rows)]   // ones, gate, mask
            case .alphaDropout(_, let feature):
                extras[i] = alphaDropoutExtras(i, feature: feature)
            default:
                break
            }
            value[i] = newTensor(count)
        }
    }

    /// An activation folds into its producer when it is the producer's only reader and its derivative can be
    /// taken from the output alone.
    func absorbedBy(_ p: Int, _ act: Activation, _ consumers: [[Int]]) -> Bool {
        guard options.fuseActivations, act.differentiableFromOutput, p != graph.output, consumers[p].count == 1,
              value[p].region == .arena, fusedActivation[p] == nil else { return false }
        switch graph.nodes[p].layer {
        case .conv2d, .linear, .batchNorm, .add: return true
        default: return false
        }
    }

    // MARK: programs

    mutating func build(takes: (Op) -> Bool) throws -> Plan {
        layoutModelTensors()
        allocateValues()
        var train = forward(training: true)
        let output = value[graph.output]
        let classes = shapes[graph.output].count
        let metrics = TensorRef(.metrics, offset: 0, count: Plan.metricsCount)
        let labels = TensorRef(.labels, offset: 0, count: batch)
        let lossOp = Op.softmaxCrossEntropy(batch: batch, classes: classes, labelSmoothing: options.labelSmoothing)
        let dOutput = newTensor(output.count)
        train.append(Instruction(lossOp, inputs: [output, labels], outputs: [dOutput, metrics], node: "loss"))
        train += backward(outputGradient: dOutput)
        if options.fuseActivations { train = Fusion.pairs(train, takes: takes) }
        let all = TensorRef(.parameters, offset: 0, count: parameterCount)
        let state = TensorRef(.optimizer, offset: 0, count: parameterCount * options.optimizer.stateCopies)
        if parameterCount > 0 {
            train.append(Instruction(.optimizer(options.optimizer), inputs: [gradient(of: all)],
                                     outputs: [all, state], node: "optimizer"))
        }
        var eval = forward(training: false)
        if options.fuseActivations { eval = Fusion.pairs(eval, takes: takes) }
        eval.append(Instruction(lossOp, inputs: [output, labels], outputs: [.absent, metrics], node: "loss"))

        // Place the arena by the training program's lifetimes; the eval program is a sub-order of its forward.
        var intervals = logicalSizes.map { (count: $0, first: Int.max, last: -1) }
        for (k, ins) in train.enumerated() {
            for t in ins.inputs + ins.outputs where t.region == .arena {
                intervals[t.offset].first = min(intervals[t.offset].first, k)
                intervals[t.offset].last = max(intervals[t.offset].last, k)
            }
        }
        // Used only by eval: alive for the whole step. Used by neither (the intermediate a fusion dropped): no memory.
        let evalTensors = Set(eval.flatMap { $0.inputs + $0.outputs }.filter { $0.region == .arena }.map(\.offset))
        for id in intervals.indices where intervals[id].last < 0 {
            intervals[id] = evalTensors.contains(id) ? (intervals[id].count, 0, train.count) : (0, 0, 0)
        }
        // The logits stay readable after a training step (`outputs()`), so nothing may reuse them in backward.
        if output.region == .arena { intervals[output.offset].last = train.count }
        let (offsets, arenaSize) = MemoryPlanner.place(intervals)
        func place(_ t: TensorRef) -> TensorRef {
            t.region == .arena ? TensorRef(.arena, offset: offsets[t.offset], count: t.count) : t
        }
        func placeAll(_ program: [Instruction]) -> [Instruction] {
            program.map { ins in
                var ins = ins
                ins.inputs = ins.inputs.map(place)
                ins.outputs = ins.outputs.map(place)
                return ins
            }
        }
        let planned = intervals.indices.map {
            PlannedTensor(id: $0, count: intervals[$0].count, offset: offsets[$0], firstUse: intervals[$0].first,
                          lastUse: intervals[$0].last)
        }
        return Plan(graph: graph, options: options, classes: classes, inputShape: graph.inputShape,
                    parameterSlots: parameterSlots, bufferSlots: bufferSlots,
                    batchNormModules: bufferSlots.compactMap { $0.name.hasSuffix(".running_mean") ? String($0.name.dropLast(13)) : nil },
                    parameterCount: parameterCount, bufferCount: bufferCount,
                    optimizerCount: parameterCount * options.optimizer.stateCopies, arenaCount: arenaSize,
                    trainProgram: placeAll(train), evalProgram: placeAll(eval), output: place(output),
                    arenaTensors: planned)
    }

    func forward(training: Bool) -> [Instruction] {
        var program: [Instruction] = []
        for (i, node) in graph.nodes.enumerated() where live[i] && i > 0 && !absorbed[i] {
            let x = node.inputs.first.map { value[$0] } ?? .absent
            let y = value[i]
            let inShape = node.inputs.first.map { shapes[$0] } ?? shapes[i]
            let act = fusedActivation[i]
            func emit(_ op: Op, _ inputs: [TensorRef], _ outputs: [TensorRef]) {
                program.append(Instruction(op, inputs: inputs, outputs: outputs, node: node.name))
            }
            switch node.layer {
            case .input, .flatten, .identity, .reshape:
                break
            case .conv2d(let a):
                let g = ConvGeometry(batch: batch, input: inShape, output: shapes[i], attributes: a)
                emit(.conv2d(g, activation: act), [x, parameter(node, "weight"), parameter(node, "bias")], [y])
            case .linear(let inF, let outF, _):
                let g = LinearGeometry(batch: batch * inShape.count / inF, inFeatures: inF, outFeatures: outF)
                emit(.linear(g, activation: act), [x, parameter(node, "weight"), parameter(node, "bias")], [y])
            case .batchNorm(let a):
                let g = BatchNormGeometry(batch: batch, channels: a.features, spatial: inShape.spatial, eps: a.eps, momentum: a.momentum)
                let stats = bufferRefs[node.module] ?? (.absent, .absent)
                let saved = training ? extras[i] : [.absent, .absent]
                emit(.batchNorm(g, training: training, activation: act),
                     [x, parameter(node, "weight"), parameter(node, "bias"), stats.mean, stats.variance], [y] + saved)
            case .activation(let a):
                emit(.activation(a), [x], [y])
            case .maxPool2d(let a):
                emit(.maxPool(PoolGeometry(batch: batch, input: inShape, output: shapes[i], attributes: a)), [x], [y, extras[i][0]])
            case .avgPool2d(let a):
                emit(.avgPool(PoolGeometry(batch: batch, input: inShape, output: shapes[i], attributes: a)), [x], [y])
            case .adaptiveAvgPool2d(let oh, let ow):
                let g = AdaptivePoolGeometry(batch: batch, channels: inShape.channels, inHeight: inShape.height,
                                             inWidth: inShape.width, outHeight: oh, outWidth: ow)
                emit(.adaptiveAvgPool(g), [x], [y])
            case .dropout(let p):
                if training && p > 0 {
                    emit(.dropout(p: p, salt: UInt32(truncatingIfNeeded: i)), [x], [y, extras[i][0]])
                } else {
                    emit(.copy, [x], [y])
                }
            case .add:
                emit(.add(activation: act), node.inputs.map { value[$0] }, [y])
            case .concat:
                emit(.concat(concatGeometry(node)), node.inputs.map { value[$0] }, [y])
            case .multiply:
                emit(.multiply(multiplyGeometry(node)), node.inputs.map { value[$0] }, [y])
            case .dropout2d(let p):
                // Composed from existing ops: a dropout mask over (sample, channel) rows, then a per-row product.
                if training && p > 0 {
                    let (ones, gate, mask) = (extras[i][0], extras[i][1], extras[i][2])
                    emit(.fill(1), [], [ones])
                    emit(.dropout(p: p, salt: UInt32(truncatingIfNeeded: i)), [ones], [gate, mask])
                    emit(.multiply(channelGeometry(i)), [x, gate], [y])
                } else {
                    emit(.copy, [x], [y])
                }
            case .affine(let scale, let shift):
                emit(.affine(scale: scale, shift: shift), [x], [y])
            case .softmax, .logSoftmax:
                emit(.softmax(batch: batch, classes: shapes[i].count, log: node.layer == .logSoftmax), [x], [y])
            case .groupNorm, .layerNorm:
                if let g = RowNormGeometry(batch: batch, input: inShape, layer: node.layer) {
                    emit(.rowNorm(g), [x, parameter(node, "weight"), parameter(node, "bias")],
                         [y] + (training ? extras[i] : [.absent, .absent]))
                }
            case .prelu(let slopes):
                emit(.prelu(PReLUGeometry(batch: batch, input: inShape, slopes: slopes)), [x, parameter(node, "weight")], [y])
            case .localResponseNorm, .l2Normalize:
                if let g = ChannelWindowGeometry(batch: batch, input: inShape, layer: node.layer) {
                    emit(.localResponseNorm(g), [x], [y, training ? extras[i][0] : .absent])
                }
            case .pad(let a):
                emit(.pad(PadGeometry(batch: batch, input: inShape, attributes: a)), [x], [y])
            case .adaptiveMaxPool2d(let oh, let ow):
                let a = Pool2dAttributes.exactAdaptive(input: inShape, outHeight: oh, outWidth: ow)
                emit(.maxPool(PoolGeometry(batch: batch, input: inShape, output: shapes[i], attributes: a)), [x], [y, extras[i][0]])
            case .alphaDropout(let p, let feature):
                if training && p > 0 {
                    for (op, ins, outs) in alphaDropoutForward(i, p: p, feature: feature, x: x, y: y) { emit(op, ins, outs) }
                } else {
                    emit(.copy, [x], [y])
                }
            case .slice:
                program.append(sliceForward(i, x: x, y: y))
            case .upsample(let a):
                emit(.upsample(UpsampleGeometry(batch: batch, input: inShape, output: shapes[i], bilinear: a.bilinear)), [x], [y])
            case .convTranspose2d:
                program += convTransposeForward(i, x: x, y: y)
            case .permute(let order):
                emit(.permute(PermuteGeometry(batch: batch, dims: inShape.dims, order: order)), [x], [y])
            }
        }
        return program
    }

    func concatGeometry(_ node: Node) -> ConcatGeometry {
        ConcatGeometry(batch: batch, spatial: shapes[node.inputs[0]].spatial, channels: node.inputs.map { shapes[$0].channels })
    }
}

extension PlanBuilder {
    /// One row per (sample, channel) of node `i`'s output.
    func channelGeometry(_ i: Int) -> MultiplyGeometry {
        let s = shapes[i]
        return MultiplyGeometry(outer: batch * s.dims[0], inner: s.count / s.dims[0], perRow: true)
    }

    /// Rows are (sample, channel) pairs when the second input is per channel, else one row per sample.
    func multiplyGeometry(_ node: Node) -> MultiplyGeometry {
        let a = shapes[node.inputs[0]], b = shapes[node.inputs[1]]
        let perRow = a != b
        return perRow ? MultiplyGeometry(outer: batch * a.dims[0], inner: a.count / a.dims[0], perRow: true)
                      : MultiplyGeometry(outer: batch, inner: a.count, perRow: false)
    }
}
