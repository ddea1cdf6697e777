import Engine
import NetIR

/// Turns instructions into prebound kernels: operand pointers resolved, geometry captured, and the decision
/// "one thread or the whole pool" taken once from the op's size.
struct Binder {
    let pool: ThreadPool
    let bases: [UnsafeMutableRawPointer?]
    let state: UnsafeMutablePointer<RunState>
    let workspace: Workspace

    /// Element-wise ops below this many elements run on the calling thread: splitting them costs more in
    /// dispatch (~1-2 µs) than the second core gains.
    static let parallelElements = 32_768

    func pointer(_ t: TensorRef) -> UnsafeMutablePointer<Float>? {
        guard t.isPresent, let b = bases[Int(t.region.rawValue)] else { return nil }
        return b.assumingMemoryBound(to: Float.self) + t.offset
    }

    func required(_ t: TensorRef, _ ins: Instruction) throws -> UnsafeMutablePointer<Float> {
        guard let p = pointer(t) else { throw CPUBackendError.malformedInstruction("\(ins): missing operand") }
        return p
    }

    func operands(_ ins: Instruction, inputs: Int, outputs: Int) throws {
        guard ins.inputs.count >= inputs, ins.outputs.count >= outputs else {
            throw CPUBackendError.malformedInstruction("\(ins): expected \(inputs) inputs and \(outputs) outputs")
        }
    }

    /// A kernel running `body(part, parts)` on the pool when `work` is large enough, else on the caller.
    func parallel(work: Int, threshold: Int, _ body: @escaping ParallelTask) -> Kernel {
        if work < threshold || pool.workers == 1 { return { body(0, 1) } }
        let pool = self.pool
        return { pool.run(body) }
    }

    /// An element-wise kernel over `0..<n`, split in 16-aligned slices when large.
    func elementwise(_ n: Int, _ body: @escaping (Range<Int>) -> Void) -> Kernel {
        parallel(work: n, threshold: Self.parallelElements) { part, parts in
            let r = slice(n, part, parts, align: 16)
            if !r.isEmpty { body(r) }
        }
    }

    /// Binds a whole program, one kernel per instruction (indices stay those of the plan).
    func bind(program: [Instruction]) throws -> ContiguousArray<Kernel> {
        ContiguousArray(try program.map(bind))
    }

    func bind(_ ins: Instruction) throws -> Kernel {
        let i = ins.inputs, o = ins.outputs, acc = ins.accumulate
        switch ins.op {
        case .conv2d(let g, let act):
            try operands(ins, inputs: 2, outputs: 1)
            let x = try required(i[0], ins), w = try required(i[1], ins), y = try required(o[0], ins)
            let b = i.count > 2 ? pointer(i[2]) : nil
            let conv = ConvolutionKernel(g, workspace: workspace)
            return parallel(work: 2 * g.macs, threshold: GemmShape.parallelFlops) { part, parts in
                conv.forward(x: x, w: w, b: b, y: y, act: act, part: part, parts: parts)
            }
        case .conv2dBackwardData(let g):
            try operands(ins, inputs: 2, outputs: 1)
            let dy = try required(i[0], ins), w = try required(i[1], ins)
            guard let dx = pointer(o[0]) else { return {} }
            let conv = ConvolutionKernel(g, workspace: workspace)
            return parallel(work: 2 * g.macs, threshold: GemmShape.parallelFlops) { part, parts in
                conv.backwardData(dy: dy, w: w, dx: dx, accumulate: acc, part: part, parts: parts)
            }
        case .conv2dBackwardFilter(let g):
            try operands(ins, inputs: 2, outputs: 1)
            let x = try required(i[0], ins), dy = try required(i[1], ins)
            guard let dw = pointer(o[0]) else { return {} }
            let db = o.count > 1 ? pointer(o[1]) : nil
            let conv = ConvolutionKernel(g, workspace: workspace)
            let pool = self.pool, workers = pool.workers
            if 2 * g.macs < GemmShape.parallelFlops || workers == 1 {
                return { conv.backwardFilter(x: x, dy: dy, dw: dw, db: db, accumulate: acc, part: 0, parts: 1) }
            }
            let reduceInParallel = g.outChannels * g.patchSize >= Self.parallelElements
            return {
                pool.run { part, parts in
                    conv.backwardFilter(x: x, dy: dy, dw: dw, db: db, accumulate: acc, part: part, parts: parts)
                }
                guard conv.splitsBatch(workers) else { return }
                if reduceInParallel {
                    pool.run { part, parts in conv.reducePartials(dw: dw, db: db, part: part, parts: parts, workers: workers) }
                } else {
                    conv.reducePartials(dw: dw, db: db, part: 0, parts: 1, workers: workers)
                }
            }
        case .linear(let g, let act):
            try operands(ins, inputs: 2, outputs: 1)
            let x = try required(i[0], ins), w = try required(i[1], ins), y = try required(o[0], ins)
            let b = i.count > 2 ? pointer(i[2]) : nil
            let lin = LinearKernel(g: g)
            return parallel(work: lin.forwardShape.flops, threshold: GemmShape.parallelFlops) { part, parts in
                lin.forward(x: x, w: w, b: b, y: y, act: act, part: part, parts: parts)
            }
        case .linearBackwardData(let g):
            try operands(ins, inputs: 2, outputs: 1)
            let dy = try required(i[0], ins), w = try required(i[1], ins)
            guard let dx = pointer(o[0]) else { return {} }
            let lin = LinearKernel(g: g)
            return parallel(work: lin.dataShape.flops, threshold: GemmShape.parallelFlops) { part, parts in
                lin.backwardData(dy: dy, w: w, dx: dx, accumulate: acc, part: part, parts: parts)
            }
        case .linearBackwardFilter(let g):
            try operands(ins, inputs: 2, outputs: 1)
            let x = try required(i[0], ins), dy = try required(i[1], ins)
            let dw = pointer(o[0]), db = o.count > 1 ? pointer(o[1]) : nil
            let lin = LinearKernel(g: g)
            return parallel(work: lin.filterShape.flops, threshold: GemmShape.parallelFlops) { part, parts in
                lin.backwardFilter(x: x, dy: dy, dw: dw, db: db, accumulate: acc, part: part, parts: parts)
            }
        case .batchNorm(let g, let training, let act), .batchNormAdd(let g, let training, let act):
            var fused = false
            if case .batchNormAdd = ins.op { fused = true }
            try operands(ins, inputs: fused ? 6 : 5, outputs: 1)
            let bn = BatchNormKernel(g: g, x: try required(i[0], ins), scale: pointer(i[1]), shift: pointer(i[2]),
                                     runningMean: try required(i[3], ins), runningVar: try required(i[4], ins))
            let y = try required(o[0], ins)
            let residual: UnsafePointer<Float>? = try fused ? UnsafePointer(required(i[5], ins)) : nil
            let mean = o.count > 1 ? pointer(o[1]) : nil, invStd = o.count > 2 ? pointer(o[2]) : nil
            return parallel(work: g.batch * g.channels * g.spatial, threshold: Self.parallelElements) { part, parts in
                let channels = slice(g.channels, part, parts)
                if training {
                    bn.train(y, savedMean: mean, savedInvStd: invStd, act: act, residual: residual, channels: channels)
                } else {
                    bn.eval(y, act: act, residual: residual, channels: channels)
                }
            }
        case .batchNormBackward(let g, let accParams), .batchNormReluBackward(let g, let accParams):
            var fused = false
            if case .batchNormReluBackward = ins.op { fused = true }
            try operands(ins, inputs: fused ? 6 : 5, outputs: 3)
            let x = try required(i[0], ins), dy = try required(i[1], ins), scale = pointer(i[2])
            let mean = try required(i[3], ins), invStd = try required(i[4], ins)
            let reluOutput = try fused ? required(i[5], ins) : nil
            let dx = pointer(o[0]), dScale = pointer(o[1]), dShift = pointer(o[2])
            return parallel(work: g.batch * g.channels * g.spatial, threshold: Self.parallelElements) { part, parts in
                BatchNormKernel.backward(g, x: x, dy: dy, reluOutput: reluOutput, scale: scale, savedMean: mean,
                                         savedInvStd: invStd, dx: dx,
                                         dScale: dScale, dShift: dShift, accumulate: acc, accumulateParameters: accParams,
                                         channels: slice(g.channels, part, parts))
            }
        case .activation(let act):
            try operands(ins, inputs: 1, outputs: 1)
            let x = try required(i[0], ins), y = try required(o[0], ins)
            return elementwise(o[0].count) { r in ActivationKernels.forward(x + r.lowerBound, y + r.lowerBound, r.count, act) }
        case .activationBackward(let act, let fromOutput):
            try operands(ins, inputs: 2, outputs: 1)
            let src = try required(i[0], ins), dy = try required(i[1], ins)
            guard let dx = pointer(o[0]) else { return {} }
            return elementwise(o[0].count) { r in
                let l = r.lowerBound
                ActivationKernels.backward(act, fromOutput: fromOutput, src + l, dy + l, dx + l, r.count, accumulate: acc)
            }
        case .maxPool, .maxPoolBackward, .maxPoolReluBackward, .avgPool, .avgPoolBackward, .adaptiveAvgPool, .adaptiveAvgPoolBackward, .dropout,
             .dropoutBackward, .add, .concat, .concatBackward, .copy, .fill, .softmax, .softmaxBackward, .softmaxCrossEntropy,
             .optimizer, .multiply, .multiplyBackward, .affine, .pad, .padBackward:
            return try bindRest(ins)
        case .rowNorm(let g):
            return try bindRowNorm(ins, g)
        case .rowNormBackward(let g, let accParams):
            return try bindRowNormBackward(ins, g, accumulateParameters: accParams)
        case .prelu(let g):
            return try bindPReLU(ins, g)
        case .preluBackward(let g, let accParams):
            return try bindPReLUBackward(ins, g, accumulateParameters: accParams)
        case .localResponseNorm(let g):
            return try bindLocalResponseNorm(ins, g)
        case .localResponseNormBackward(let g):
            return try bindLocalResponseNormBackward(ins, g)
        case .upsample(let g):
            return try bindUpsample(g, ins)
        case .upsampleBackward(let g):
            return try bindUpsampleBackward(g, ins)
        case .channelBias(let g):
            return try bindChannelBias(g, ins)
        case .channelBiasBackward(let g):
            return try bindChannelBiasBackward(g, ins)
        case .permute(let g):
            return try bindPermute(g, ins)
        }
    }
}
