import NetIR

/// Reverse-mode differentiation of the forward program. Gradients are keyed by the forward value they belong
/// to (views share their input's value, so they share its gradient). The first contribution to a gradient
/// overwrites it and later ones accumulate, so nothing is zero-filled in a step.
extension PlanBuilder {
    struct GradientState {
        var tensor: [Int: TensorRef] = [:]      // forward logical id -> gradient tensor
        var parameterWritten = Set<String>()     // modules whose parameter gradients hold this step's value
    }

    mutating func backward(outputGradient: TensorRef) -> [Instruction] {
        var program: [Instruction] = []
        var grads = GradientState()
        grads.tensor[value[graph.output].offset] = outputGradient

        for i in stride(from: graph.nodes.count - 1, to: 0, by: -1) where live[i] && !absorbed[i] && requiresGrad[i] {
            let node = graph.nodes[i]
            if case .flatten = node.layer { continue }
            if case .identity = node.layer { continue }
            if case .reshape = node.layer { continue }
            guard var dy = grads.tensor[value[i].offset] else { continue }
            let y = value[i]
            func emit(_ op: Op, _ inputs: [TensorRef], _ outputs: [TensorRef], accumulate: Bool = false) {
                program.append(Instruction(op, inputs: inputs, outputs: outputs, accumulate: accumulate, node: node.name))
            }
            // Gradient target for input k: (tensor, accumulate?) or nil when that input needs no gradient.
            func target(_ k: Int) -> (TensorRef, Bool)? {
                let j = node.inputs[k]
                guard requiresGrad[j], value[j].region == .arena else { return nil }
                if let existing = grads.tensor[value[j].offset] { return (existing, true) }
                let t = newTensor(value[j].count)
                grads.tensor[value[j].offset] = t
                return (t, false)
            }
            if let act = fusedActivation[i] {
                let pre = newTensor(dy.count)
                emit(.activationBackward(act, fromOutput: true), [y, dy], [pre])
                dy = pre
            }
            let x = node.inputs.first.map { value[$0] } ?? .absent
            let inShape = node.inputs.first.map { shapes[$0] } ?? shapes[i]
            let parametersAccumulate = !grads.parameterWritten.insert(node.module).inserted

            switch node.layer {
            case .input, .flatten, .identity, .reshape:
                break
            case .conv2d(let a):
                let g = ConvGeometry(batch: batch, input: inShape, output: shapes[i], attributes: a)
                let w = parameter(node, "weight")
                emit(.conv2dBackwardFilter(g), [x, dy], [gradient(of: w), gradient(of: parameter(node, "bias"))],
                     accumulate: parametersAccumulate)
                if let (dx, acc) = target(0) { emit(.conv2dBackwardData(g), [dy, w], [dx], accumulate: acc) }
            case .linear(let inF, let outF, _):
                let g = LinearGeometry(batch: batch, inFeatures: inF, outFeatures: outF)
                let w = parameter(node, "weight")
                emit(.linearBackwardFilter(g), [x, dy], [gradient(of: w), gradient(of: parameter(node, "bias"))],
                     accumulate: parametersAccumulate)
                if let (dx, acc) = target(0) { emit(.linearBackwardData(g), [dy, w], [dx], accumulate: acc) }
            case .batchNorm(let a):
                let g = BatchNormGeometry(batch: batch, channels: a.features, spatial: inShape.spatial, eps: a.eps, momentum: a.momentum)
                let scale = parameter(node, "weight")
                let dx = target(0)
                emit(.batchNormBackward(g, accumulateParameters: parametersAccumulate),
                     [x, dy, scale, extras[i][0], extras[i][1]],
                     [dx?.0 ?? .absent, gradient(of: scale), gradient(of: parameter(node, "bias"))],
                     accumulate: dx?.1 ?? false)
            case .activation(let act):
                if let (dx, acc) = target(0) {
                    let fromOutput = act.differentiableFromOutput
                    emit(.activationBackward(act, fromOutput: fromOutput), [fromOutput ? y : x, dy], [dx], accumulate: acc)
                }
            case .maxPool2d(let a):
                if let (dx, acc) = target(0) {
                    let g = PoolGeometry(batch: batch, input: inShape, output: shapes[i], attributes: a)
                    emit(.maxPoolBackward(g), [dy, extras[i][0]], [dx], accumulate: acc)
                }
            case .avgPool2d(let a):
                if let (dx, acc) = target(0) {
                    emit(.avgPoolBackward(PoolGeometry(batch: batch, input: inShape, output: shapes[i], attributes: a)), [dy], [dx], accumulate: acc)
                }
            case .adaptiveAvgPool2d(let oh, let ow):
                if let (dx, acc) = target(0) {
                    let g = AdaptivePoolGeometry(batch: batch, channels: inShape.channels, inHeight: inShape.height,
                                                 inWidth: inShape.width, outHeight: oh, outWidth: ow)
                    emit(.adaptiveAvgPoolBackward(g), [dy], [dx], accumulate: acc)
                }
            case .dropout(let p):
                if let (dx, acc) = target(0) {
                    if p > 0 {
                        emit(.dropoutBackward, [dy, extras[i][0]], [dx], accumulate: acc)
                    } else {
                        emit(.copy, [dy], [dx], accumulate: acc)
                    }
                }
            case .add:
                // The first input that has no gradient yet takes dy itself (no copy); the rest copy or accumulate.
                var aliased = false
                var copies: [(TensorRef, Bool)] = []
                for k in node.inputs.indices {
                    let j = node.inputs[k]
                    guard requiresGrad[j], value[j].region == .arena else { continue }
                    if !aliased && grads.tensor[value[j].offset] == nil {
                        grads.tensor[value[j].offset] = dy
                        aliased = true
                    } else if let t = target(k) {
                        copies.append(t)
                    }
                }
                for (dx, acc) in copies { emit(.copy, [dy], [dx], accumulate: acc) }
            case .concat:
                let targets = node.inputs.indices.map { target($0) }
                emit(.concatBackward(concatGeometry(node), accumulate: targets.map { $0?.1 ?? false }),
                     [dy], targets.map { $0?.0 ?? .absent })
            case .dropout2d(let p):
                if let (dx, acc) = target(0) {
                    if p > 0 {
                        emit(.multiplyBackward(channelGeometry(i), ofBroadcast: false), [dy, extras[i][1]], [dx], accumulate: acc)
                    } else {
                        emit(.copy, [dy], [dx], accumulate: acc)
                    }
                }
            case .multiply:
                let g = multiplyGeometry(node)
                let (a, b) = (value[node.inputs[0]], value[node.inputs[1]])
                if let (da, acc) = target(0) { emit(.multiplyBackward(g, ofBroadcast: false), [dy, b], [da], accumulate: acc) }
                if let (db, acc) = target(1) { emit(.multiplyBackward(g, ofBroadcast: g.perRow), [dy, a], [db], accumulate: acc) }
            case .affine(let scale, _):
                if let (dx, acc) = target(0) { emit(.affine(scale: scale, shift: 0), [dy], [dx], accumulate: acc) }
            case .softmax, .logSoftmax:
                if let (dx, acc) = target(0) {
                    emit(.softmaxBackward(batch: batch, classes: shapes[i].count, log: node.layer == .logSoftmax),
                         [y, dy], [dx], accumulate: acc)
                }
            case .groupNorm, .layerNorm:
                if let g = RowNormGeometry(batch: batch, input: inShape, layer: node.layer) {
                    let scale = parameter(node, "weight")
                    let dx = target(0)
                    emit(.rowNormBackward(g, accumulateParameters: parametersAccumulate),
                         [x, dy, scale, extras[i][0], extras[i][1]],
                         [dx?.0 ?? .absent, gradient(of: scale), gradient(of: parameter(node, "bias"))],
                         accumulate: dx?.1 ?? false)
                }
            case .prelu(let slopes):
                let weight = parameter(node, "weight")
                let dx = target(0)
                emit(.preluBackward(PReLUGeometry(batch: batch, input: inShape, slopes: slopes), accumulateParameters: parametersAccumulate),
                     [x, dy, weight], [dx?.0 ?? .absent, gradient(of: weight)], accumulate: dx?.1 ?? false)
            case .localResponseNorm, .l2Normalize:
                if let (dx, acc) = target(0), let g = ChannelWindowGeometry(batch: batch, input: inShape, layer: node.layer) {
                    emit(.localResponseNormBackward(g), [x, dy, extras[i][0]], [dx], accumulate: acc)
                }
            case .pad(let a):
                if let (dx, acc) = target(0) {
                    emit(.padBackward(PadGeometry(batch: batch, input: inShape, attributes: a)), [dy], [dx], accumulate: acc)
                }
            case .adaptiveMaxPool2d(let oh, let ow):
                if let (dx, acc) = target(0) {
                    let a = Pool2dAttributes.exactAdaptive(input: inShape, outHeight: oh, outWidth: ow)
                    let g = PoolGeometry(batch: batch, input: inShape, output: shapes[i], attributes: a)
                    emit(.maxPoolBackward(g), [dy, extras[i][0]], [dx], accumulate: acc)
                }
            case .alphaDropout(let p, let feature):
                if let (dx, acc) = target(0) {
                    if p > 0 {
                        for (op, ins, outs, a) in alphaDropoutBackward(i, p: p, feature: feature, dy: dy, dx: dx, accumulate: acc) {
                            emit(op, ins, outs, accumulate: a)
                        }
                    } else {
                        emit(.copy, [dy], [dx], accumulate: acc)
                    }
                }
            }
        }
        // Parameters no gradient reaches (a module whose output is unused) must not keep stale values.
        for node in graph.nodes where !grads.parameterWritten.contains(node.module) {
            for p in node.layer.parameterShapes {
                let g = gradient(of: parameter(node, p.suffix))
                if g.isPresent { program.append(Instruction(.fill(0), inputs: [], outputs: [g], node: node.name)) }
            }
        }
        return program
    }
}
