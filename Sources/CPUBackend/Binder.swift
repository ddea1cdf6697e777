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

    /// Binds a whole program, one kernel per instruction (indices stay those of the plan). A fused pair puts its
    /// kernel on the first instruction and a no-op on the second; later readers of the pair's output are
    /// redirected to where the fused kernel wrote it.
    func bind(program: [Instruction]) throws -> ContiguousArray<Kernel> {
        var kernels = ContiguousArray<Kernel>()
        kernels.reserveCapacity(program.count)
        var redirect: [TensorRef: TensorRef] = [:]
        var k = 0
        while k < program.count {
            var ins = program[k]
            ins.inputs = ins.inputs.map { redirect[$0] ?? $0 }
            if k + 1 < program.count, let (fused, from, to) = try fusedPair(program, k) {
                kernels.append(fused)
                kernels.append({})
                redirect[from] = to
                k += 2
                continue
            }
            kernels.append(try bind(ins))
            k += 1
        }
        return kernels
    }

    /// maxPoolBackward → activationBackward(ReLU, from output) reading it, neither accumulating. The fused kernel
    /// writes the ReLU's result into the pool gradient's memory T (disjoint from the pool's operands, unlike the
    /// ReLU output P, which the planner may place over them); later readers of P read T instead. Only when
    /// nothing reads T afterwards, nothing writes T while P is alive, and P is only ever read whole.
    func fusedPair(_ program: [Instruction], _ k: Int) throws -> (Kernel, TensorRef, TensorRef)? {
        let a = program[k], b = program[k + 1]
        guard case .maxPoolBackward(let g) = a.op, !a.accumulate, a.outputs.count == 1, a.inputs.count == 2,
              case .activationBackward(.relu, fromOutput: true) = b.op, !b.accumulate, b.inputs.count == 2,
              b.outputs.count == 1, b.inputs[1] == a.outputs[0], b.inputs[0].count == a.outputs[0].count,
              a.outputs[0].region == .arena, b.outputs[0].region == .arena else { return nil }
        let t = a.outputs[0], p = b.outputs[0]
        func overlaps(_ u: TensorRef, _ v: TensorRef) -> Bool { u.region == v.region && u.offset < v.end && v.offset < u.end }
        let rest = program[(k + 2)...]
        let lastRead = rest.lastIndex { $0.inputs.contains(p) } ?? k + 1
        guard !rest.contains(where: { $0.inputs.contains { overlaps($0, t) } }),
              !rest.contains(where: { $0.outputs.contains { overlaps($0, p) } }),
              !rest.contains(where: { $0.inputs.contains { overlaps($0, p) && $0 != p } }),
              !program[(k + 2)...lastRead].contains(where: { $0.outputs.contains { overlaps($0, t) } }) else { return nil }
        let dy = try required(a.inputs[0], a), y = try required(b.inputs[0], b), dx = try required(t, a)
        let arg = UnsafeMutableRawPointer(try required(a.inputs[1], a)).assumingMemoryBound(to: Int32.self)
        let kernel = planes(g.batch * g.channels, elements: t.count) { r in
            PoolingKernels.maxPoolReluBackward(g, dy, arg, y, dx, planes: r)
        }
        return (kernel, p, t)
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
        case .batchNorm(let g, let training, let act):
            try operands(ins, inputs: 5, outputs: 1)
            let bn = BatchNormKernel(g: g, x: try required(i[0], ins), scale: pointer(i[1]), shift: pointer(i[2]),
                                     runningMean: try required(i[3], ins), runningVar: try required(i[4], ins))
            let y = try required(o[0], ins)
            let mean = o.count > 1 ? pointer(o[1]) : nil, invStd = o.count > 2 ? pointer(o[2]) : nil
            return parallel(work: g.batch * g.channels * g.spatial, threshold: Self.parallelElements) { part, parts in
                let channels = slice(g.channels, part, parts)
                if training {
                    bn.train(y, savedMean: mean, savedInvStd: invStd, act: act, channels: channels)
                } else {
                    bn.eval(y, act: act, channels: channels)
                }
            }
        case .batchNormBackward(let g, let accParams):
            try operands(ins, inputs: 5, outputs: 3)
            let x = try required(i[0], ins), dy = try required(i[1], ins), scale = pointer(i[2])
            let mean = try required(i[3], ins), invStd = try required(i[4], ins)
            let dx = pointer(o[0]), dScale = pointer(o[1]), dShift = pointer(o[2])
            return parallel(work: g.batch * g.channels * g.spatial, threshold: Self.parallelElements) { part, parts in
                BatchNormKernel.backward(g, x: x, dy: dy, scale: scale, savedMean: mean, savedInvStd: invStd, dx: dx,
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
        case .maxPool, .maxPoolBackward, .avgPool, .avgPoolBackward, .adaptiveAvgPool, .adaptiveAvgPoolBackward, .dropout,
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
        }
    }
}
