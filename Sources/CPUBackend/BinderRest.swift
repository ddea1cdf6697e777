import Engine
import NetIR

extension Binder {
    /// Pooling, dropout, add/concat/copy/fill, softmax, loss and the optimizer.
    func bindRest(_ ins: Instruction) throws -> Kernel {
        let i = ins.inputs, o = ins.outputs, acc = ins.accumulate
        switch ins.op {
        case .maxPool(let g):
            try operands(ins, inputs: 1, outputs: 2)
            let x = try required(i[0], ins), y = try required(o[0], ins)
            let arg = UnsafeMutableRawPointer(try required(o[1], ins)).assumingMemoryBound(to: Int32.self)
            return planes(g.batch * g.channels, elements: o[0].count * g.kernelH * g.kernelW) { r in
                PoolingKernels.maxPool(g, x, y, arg, planes: r)
            }
        case .maxPoolBackward(let g):
            try operands(ins, inputs: 2, outputs: 1)
            let dy = try required(i[0], ins)
            let arg = UnsafeMutableRawPointer(try required(i[1], ins)).assumingMemoryBound(to: Int32.self)
            guard let dx = pointer(o[0]) else { return {} }
            return planes(g.batch * g.channels, elements: o[0].count) { r in
                PoolingKernels.maxPoolBackward(g, dy, arg, dx, accumulate: acc, planes: r)
            }
        case .maxPoolReluBackward(let g):
            try operands(ins, inputs: 3, outputs: 1)
            let dy = try required(i[0], ins), y = try required(i[2], ins), dx = try required(o[0], ins)
            let arg = UnsafeMutableRawPointer(try required(i[1], ins)).assumingMemoryBound(to: Int32.self)
            guard !acc else { throw CPUBackendError.malformedInstruction("\(ins): the fused max-pool/ReLU backward overwrites dx") }
            return planes(g.batch * g.channels, elements: o[0].count) { r in
                PoolingKernels.maxPoolReluBackward(g, dy, arg, y, dx, planes: r)
            }
        case .avgPool(let g):
            try operands(ins, inputs: 1, outputs: 1)
            let x = try required(i[0], ins), y = try required(o[0], ins)
            return planes(g.batch * g.channels, elements: o[0].count * g.kernelH * g.kernelW) { r in
                PoolingKernels.avgPool(g, x, y, planes: r)
            }
        case .avgPoolBackward(let g):
            try operands(ins, inputs: 1, outputs: 1)
            let dy = try required(i[0], ins)
            guard let dx = pointer(o[0]) else { return {} }
            return planes(g.batch * g.channels, elements: o[0].count) { r in
                PoolingKernels.avgPoolBackward(g, dy, dx, accumulate: acc, planes: r)
            }
        case .adaptiveAvgPool(let g):
            try operands(ins, inputs: 1, outputs: 1)
            let x = try required(i[0], ins), y = try required(o[0], ins)
            return planes(g.batch * g.channels, elements: i[0].count) { r in PoolingKernels.adaptiveAvgPool(g, x, y, planes: r) }
        case .adaptiveAvgPoolBackward(let g):
            try operands(ins, inputs: 1, outputs: 1)
            let dy = try required(i[0], ins)
            guard let dx = pointer(o[0]) else { return {} }
            return planes(g.batch * g.channels, elements: o[0].count) { r in
                PoolingKernels.adaptiveAvgPoolBackward(g, dy, dx, accumulate: acc, planes: r)
            }
        case .dropout(let p, let salt):
            try operands(ins, inputs: 1, outputs: 2)
            let x = try required(i[0], ins), y = try required(o[0], ins), mask = try required(o[1], ins)
            let state = self.state
            return elementwise(o[0].count) { r in
                ElementwiseKernels.dropout(x, y, mask, r, p: p, seed: state.pointee.seed,
                                           step: UInt32(truncatingIfNeeded: state.pointee.step), salt: salt)
            }
        case .dropoutBackward:
            try operands(ins, inputs: 2, outputs: 1)
            let dy = try required(i[0], ins), mask = try required(i[1], ins)
            guard let dx = pointer(o[0]) else { return {} }
            return elementwise(o[0].count) { r in
                let l = r.lowerBound
                ElementwiseKernels.multiply(dy + l, mask + l, dx + l, r.count, accumulate: acc)
            }
        case .multiply(let g):
            try operands(ins, inputs: 2, outputs: 1)
            let a = try required(i[0], ins), b = try required(i[1], ins), y = try required(o[0], ins)
            return planes(g.outer, elements: g.count) { r in ElementwiseKernels.multiply(g, a, b, y, rows: r, accumulate: false) }
        case .multiplyBackward(let g, let ofBroadcast):
            try operands(ins, inputs: 2, outputs: 1)
            let dy = try required(i[0], ins), other = try required(i[1], ins)
            guard let d = pointer(o[0]) else { return {} }
            if ofBroadcast {
                return planes(g.outer, elements: g.count) { r in ElementwiseKernels.rowDot(g, dy, other, d, rows: r, accumulate: acc) }
            }
            return planes(g.outer, elements: g.count) { r in ElementwiseKernels.multiply(g, dy, other, d, rows: r, accumulate: acc) }
        case .affine(let scale, let shift):
            try operands(ins, inputs: 1, outputs: 1)
            let x = try required(i[0], ins)
            guard let y = pointer(o[0]) else { return {} }
            return elementwise(o[0].count) { r in
                let l = r.lowerBound
                ElementwiseKernels.affine(x + l, y + l, r.count, scale: scale, shift: shift, accumulate: acc)
            }
        case .add(let act):
            try operands(ins, inputs: 1, outputs: 1)
            let xs = try i.map { try required($0, ins) }, y = try required(o[0], ins)
            return elementwise(o[0].count) { r in
                let l = r.lowerBound
                if xs.count == 1 {
                    ActivationKernels.forward(xs[0] + l, y + l, r.count, act)
                    return
                }
                ElementwiseKernels.add(xs[0] + l, xs[1] + l, y + l, r.count)
                for k in 2..<max(xs.count, 2) { ElementwiseKernels.add(y + l, xs[k] + l, y + l, r.count) }
                if act != nil { ActivationKernels.forward(y + l, y + l, r.count, act) }
            }
        case .concat(let g):
            try operands(ins, inputs: 1, outputs: 1)
            let xs = try i.map { try required($0, ins) }, y = try required(o[0], ins)
            let blocks = g.channels.map { $0 * g.spatial }
            return { ElementwiseKernels.concat(xs, blocks, y, batch: g.batch) }
        case .concatBackward(let g, let flags):
            try operands(ins, inputs: 1, outputs: g.channels.count)
            let dy = try required(i[0], ins), dxs = o.map { pointer($0) }
            let blocks = g.channels.map { $0 * g.spatial }
            let accumulate = flags.count == dxs.count ? flags : [Bool](repeating: false, count: dxs.count)
            return { ElementwiseKernels.concatBackward(dy, dxs, blocks, accumulate: accumulate, batch: g.batch) }
        case .copy:
            try operands(ins, inputs: 1, outputs: 1)
            let x = try required(i[0], ins)
            guard let y = pointer(o[0]) else { return {} }
            return elementwise(o[0].count) { r in
                ElementwiseKernels.copy(x + r.lowerBound, y + r.lowerBound, r.count, accumulate: acc)
            }
        case .fill(let value):
            try operands(ins, inputs: 0, outputs: 1)
            guard let y = pointer(o[0]) else { return {} }
            return elementwise(o[0].count) { r in ElementwiseKernels.fill(y + r.lowerBound, r.count, value) }
        case .softmax(let batch, let classes, let log):
            try operands(ins, inputs: 1, outputs: 1)
            let x = try required(i[0], ins), y = try required(o[0], ins)
            return { LossKernels.softmax(x, y, batch: batch, classes: classes, log: log) }
        case .softmaxBackward(let batch, let classes, let log):
            try operands(ins, inputs: 2, outputs: 1)
            let y = try required(i[0], ins), dy = try required(i[1], ins)
            guard let dx = pointer(o[0]) else { return {} }
            return { LossKernels.softmaxBackward(y, dy, dx, batch: batch, classes: classes, log: log, accumulate: acc) }
        case .softmaxCrossEntropy(let batch, let classes, let smoothing):
            try operands(ins, inputs: 2, outputs: 2)
            let logits = try required(i[0], ins)
            let labels = UnsafeRawPointer(try required(i[1], ins)).assumingMemoryBound(to: Int32.self)
            let d = pointer(o[0]), metrics = try required(o[1], ins)
            return { LossKernels.softmaxCrossEntropy(logits, labels, d, metrics, batch: batch, classes: classes, smoothing: smoothing) }
        case .optimizer(let config):
            try operands(ins, inputs: 1, outputs: 1)
            let grad = try required(i[0], ins), params = try required(o[0], ins)
            let n = o[0].count
            let stateBuffer = o.count > 1 ? pointer(o[1]) : nil
            let run = state
            switch config {
            case .sgd(let momentum, let nesterov, let wd):
                return elementwise(n) { r in
                    OptimizerKernels.sgd(params, grad, stateBuffer, r, lr: run.pointee.learningRate, momentum: momentum,
                                         nesterov: nesterov, weightDecay: wd)
                }
            case .adam(let b1, let b2, let eps, let wd, let decoupled):
                let m = try required(o[1], ins), v = m + n
                return elementwise(n) { r in
                    OptimizerKernels.adam(params, grad, m, v, r, lr: run.pointee.learningRate, beta1: b1, beta2: b2, eps: eps,
                                          weightDecay: wd, decoupled: decoupled, t: run.pointee.step + 1)
                }
            }
        case .pad(let g):
            return try bindPad(ins, g, backward: false)
        case .padBackward(let g):
            return try bindPad(ins, g, backward: true)
        case .conv2d, .conv2dBackwardData, .conv2dBackwardFilter, .linear, .linearBackwardData, .linearBackwardFilter,
             .batchNorm, .batchNormAdd, .batchNormBackward, .batchNormReluBackward, .activation, .activationBackward, .rowNorm, .rowNormBackward,
             .prelu, .preluBackward, .localResponseNorm, .localResponseNormBackward, .upsample, .upsampleBackward,
             .channelBias, .channelBiasBackward, .permute:
            throw CPUBackendError.malformedInstruction("\(ins): bound by Binder.bind, not bindRest")
        }
    }

    /// A pooling kernel over `count` planes, split by plane ranges when `elements` (work) is large.
    func planes(_ count: Int, elements: Int, _ body: @escaping (Range<Int>) -> Void) -> Kernel {
        parallel(work: elements, threshold: Self.parallelElements) { part, parts in
            let r = slice(count, part, parts)
            if !r.isEmpty { body(r) }
        }
    }
}
