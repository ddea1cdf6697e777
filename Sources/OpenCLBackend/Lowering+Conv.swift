import Engine
import NetIR

/// A GEMM problem as the tuner sees it (the batch of groups and column splits do not change the best tile).
public struct GemmShape: Hashable, Codable, Sendable, CustomStringConvertible {
    public var m, n, k: Int
    public var transA, transB: Bool
    public init(m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false) {
        self.m = m; self.n = n; self.k = k; self.transA = transA; self.transB = transB
    }
    public var description: String { "\(m)x\(n)x\(k)\(transA ? "T" : "N")\(transB ? "T" : "N")" }
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

/// A GEMM operand: a region (or the workspace) and an element offset.
struct Operand {
    var buffer: LaunchArg
    var offset: Int
    static func tensor(_ t: TensorRef, plus extra: Int = 0) -> Operand { Operand(buffer: .buffer(t.region), offset: t.offset + extra) }
    static func workspace(_ offset: Int) -> Operand { Operand(buffer: .workspace, offset: offset) }
}

/// Everything gemm.cl takes, with defaults for the plain case. `split*` = (split, splitStride) maps column n
/// to (n / split) * splitStride + n % split (NCHW tensors as [channels, batch*plane] matrices).
struct GemmCall {
    var m, n, k: Int
    var a: Operand, lda: Int
    var b: Operand, ldb: Int
    var c: Operand, ldc: Int
    var alpha: Float = 1, beta: Float = 0
    var transA = false, transB = false
    var strideA = 0, strideB = 0, strideC = 0
    var splitB: (Int, Int)? = nil, splitC: (Int, Int)? = nil
    var bias: TensorRef = .absent, strideBias = 0, biasPerColumn = false
    var activation: Activation? = nil
    var batches = 1
    /// Split K into this many slices, slice s writing its partial C at `c + s * sliceStrideC` (beta 0, no
    /// epilogue); the caller sums them (`sum_slices`).
    var slices = 1, sliceStrideC = 0
}

extension Lowering {
    func gemm(_ g: GemmCall) -> Launch {
        let shape = GemmShape(m: g.m, n: g.n, k: g.k, transA: g.transA, transB: g.transB)
        let p = gemmParameters(shape)
        let act = activationCode(g.activation)
        let sb = g.splitB ?? (max(g.n, 1), 0), sc = g.splitC ?? (max(g.n, 1), 0)
        let biasArg: [LaunchArg] = g.bias.isPresent ? [.buffer(g.bias.region), .int(g.bias.offset)] : [g.c.buffer, .int(0)]
        let args: [LaunchArg] = [.int(g.m), .int(g.n), .int(g.k), .float(g.alpha), .float(g.beta), flag(g.transA), flag(g.transB),
                                 g.a.buffer, .int(g.a.offset), .int(g.lda), .int(g.strideA),
                                 g.b.buffer, .int(g.b.offset), .int(g.ldb), .int(g.strideB), .int(sb.0), .int(sb.1),
                                 g.c.buffer, .int(g.c.offset), .int(g.ldc), .int(g.strideC), .int(sc.0), .int(sc.1)]
            + biasArg + [.int(g.strideBias), .int(g.bias.isPresent ? (g.biasPerColumn ? 2 : 1) : 0), .int(act.code), .float(act.param)]
            + [.int(g.slices), .int((g.k + g.slices - 1) / max(g.slices, 1)), .int(g.sliceStrideC)]
        let global = [(g.m + p.mwg - 1) / p.mwg * p.mdimc, (g.n + p.nwg - 1) / p.nwg * p.ndimc, g.batches * g.slices]
        return Launch(program: .gemm(p), kernel: "gemm", args: args, global: global, local: [p.mdimc, p.ndimc, 1],
                      op: op, gemmShape: shape)
    }

    func convGeometry(_ g: ConvGeometry) -> [Int] {
        [g.inChannels, g.inHeight, g.inWidth, g.outChannels, g.outHeight, g.outWidth, g.kernelH, g.kernelW,
         g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW, g.groups]
    }

    /// Columns [C*KH*KW][count*OH*OW] of `count` samples from `sample` on into the workspace at 0.
    func im2col(_ g: ConvGeometry, x: TensorRef, sample: Int, count: Int) -> Launch {
        let grid = sizes.planeGrid(width: g.outWidth, height: g.outHeight, count: count, outer: g.groups * g.patchSize)
        return Launch(program: .family("conv.cl"), kernel: "im2col",
                      args: [.buffer(x.region), .int(x.offset + sample * g.inChannels * g.inputPlane), .workspace, .int(0),
                             .int(count), .int(grid.countPad), .int16(convGeometry(g))],
                      global: grid.global, local: grid.local, op: op)
    }

    /// Samples per im2col chunk so the scratch stays under `workspaceCap` (at least one sample).
    func chunk(_ g: ConvGeometry, floatsPerSample: Int) -> Int {
        max(1, min(g.batch, workspaceCap / max(floatsPerSample, 1)))
    }

    func chunks(_ batch: Int, _ size: Int) -> [(start: Int, count: Int)] {
        stride(from: 0, to: batch, by: size).map { ($0, min(size, batch - $0)) }
    }

    /// y = act(conv(x) + b): direct for one input channel per group, one GEMM for 1x1 stride-1, else
    /// batched im2col + GEMM with N = samples x output positions, writing NCHW through the column split.
    mutating func convForward(_ g: ConvGeometry, x: TensorRef, w: TensorRef, bias: TensorRef, y: TensorRef,
                              act: Activation?) throws -> [Launch] {
        let cg = g.inChannels / g.groups, og = g.outChannels / g.groups
        let hw = g.inputPlane, ohw = g.outputPlane, patch = g.patchSize
        if cg == 1 {
            let a = activationCode(act)
            return [elementwise("conv.cl", "conv_direct", count: y.count,
                                ref(x) + ref(w) + ref(bias) + [flag(bias.isPresent)] + ref(y)
                                    + [.int(g.batch), .int(a.code), .float(a.param), .int16(convGeometry(g))])]
        }
        if g.isPointwise {
            return [gemm(GemmCall(m: og, n: g.batch * hw, k: cg, a: .tensor(w), lda: cg, b: .tensor(x), ldb: hw,
                                  c: .tensor(y), ldc: hw, strideA: og * cg, strideB: cg * hw, strideC: og * hw,
                                  splitB: (hw, g.inChannels * hw), splitC: (hw, g.outChannels * hw),
                                  bias: bias, strideBias: og, activation: act, batches: g.groups))]
        }
        let per = g.groups * patch * ohw
        let size = chunk(g, floatsPerSample: per)
        needWorkspace(size * per)
        var launches: [Launch] = []
        for (s0, count) in chunks(g.batch, size) {
            let cols = count * ohw
            launches.append(im2col(g, x: x, sample: s0, count: count))
            launches.append(gemm(GemmCall(m: og, n: cols, k: patch, a: .tensor(w), lda: patch, b: .workspace(0), ldb: cols,
                                          c: .tensor(y, plus: s0 * g.outChannels * ohw), ldc: ohw,
                                          strideA: og * patch, strideB: patch * cols, strideC: og * ohw,
                                          splitC: (ohw, g.outChannels * ohw), bias: bias, strideBias: og,
                                          activation: act, batches: g.groups)))
        }
        return launches
    }

    /// dx (+)= conv^T(dy): direct for one input channel per group, one GEMM for 1x1 stride-1, else
    /// GEMM into columns (W^T dy) and col2im, which gathers and accumulates.
    mutating func convBackwardData(_ g: ConvGeometry, dy: TensorRef, w: TensorRef, dx: TensorRef,
                                   accumulate: Bool) throws -> [Launch] {
        let cg = g.inChannels / g.groups, og = g.outChannels / g.groups
        let hw = g.inputPlane, ohw = g.outputPlane, patch = g.patchSize
        if cg == 1 {
            return [elementwise("conv.cl", "conv_direct_backward_data", count: dx.count,
                                ref(dy) + ref(w) + ref(dx) + [.int(g.batch), flag(accumulate), .int16(convGeometry(g))])]
        }
        if g.isPointwise {
            return [gemm(GemmCall(m: cg, n: g.batch * hw, k: og, a: .tensor(w), lda: cg, b: .tensor(dy), ldb: hw,
                                  c: .tensor(dx), ldc: hw, beta: accumulate ? 1 : 0, transA: true,
                                  strideA: og * cg, strideB: og * hw, strideC: cg * hw,
                                  splitB: (hw, g.outChannels * hw), splitC: (hw, g.inChannels * hw), batches: g.groups))]
        }
        let per = g.groups * patch * ohw
        let size = chunk(g, floatsPerSample: per)
        needWorkspace(size * per)
        var launches: [Launch] = []
        for (s0, count) in chunks(g.batch, size) {
            let cols = count * ohw
            launches.append(gemm(GemmCall(m: patch, n: cols, k: og, a: .tensor(w), lda: patch,
                                          b: .tensor(dy, plus: s0 * g.outChannels * ohw), ldb: ohw,
                                          c: .workspace(0), ldc: cols, transA: true,
                                          strideA: og * patch, strideB: og * ohw, strideC: patch * cols,
                                          splitB: (ohw, g.outChannels * ohw), batches: g.groups)))
            let grid = sizes.planeGrid(width: g.inWidth, height: g.inHeight, count: count, outer: g.inChannels)
            launches.append(Launch(program: .family("conv.cl"), kernel: "col2im",
                                   args: [.workspace, .int(0), .buffer(dx.region), .int(dx.offset + s0 * g.inChannels * hw),
                                          .int(count), .int(grid.countPad), flag(accumulate), .int16(convGeometry(g))],
                                   global: grid.global, local: grid.local, op: op))
        }
        return launches
    }

    /// Split-K slices for a GEMM whose M x N tiles are too few to fill the device while K is long (the
    /// backward-filter GEMM: K = samples x output positions).
    func kSlices(m: Int, n: Int, k: Int, batches: Int, transA: Bool = false, transB: Bool = false) -> Int {
        let tiles = gemmTiles(m: m, n: n, k: k, transA: transA, transB: transB) * batches
        let wanted = (4 * sizes.computeUnits + tiles - 1) / tiles
        return max(1, min(wanted, k / 256, 64))
    }

    /// Work-groups of one unsplit GEMM with the parameters its shape gets.
    func gemmTiles(m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false) -> Int {
        let p = gemmParameters(GemmShape(m: m, n: n, k: k, transA: transA, transB: transB))
        return ((m + p.mwg - 1) / p.mwg) * ((n + p.nwg - 1) / p.nwg)
    }

    /// dW (+)= dy colsᵀ summed over the batch: dy as [OC][samples*plane] (transposed on the device unless a
    /// single sample) times the transposed im2col matrix [C*KH*KW][samples*plane]; chunks accumulate; a long K
    /// is split over extra work-groups and summed. dB (+)= per-channel sums of dy.
    mutating func convBackwardFilter(_ g: ConvGeometry, x: TensorRef, dy: TensorRef, dw: TensorRef, db: TensorRef,
                                     accumulate: Bool) throws -> [Launch] {
        let cg = g.inChannels / g.groups, og = g.outChannels / g.groups
        let ohw = g.outputPlane, patch = g.patchSize
        var launches: [Launch] = []
        if dw.isPresent && cg == 1 {
            launches.append(reduction("conv.cl", "conv_direct_backward_filter", groups: g.outChannels * patch,
                                      ref(x) + ref(dy) + ref(dw) + [.int(g.batch), flag(accumulate), .int16(convGeometry(g))]))
        } else if dw.isPresent {
            let rows = g.groups * patch, per = (rows + g.outChannels) * ohw
            let size = chunk(g, floatsPerSample: per)
            let slices = kSlices(m: og, n: patch, k: size * ohw, batches: g.groups, transB: true)
            let partial = size * per, weights = g.outChannels * patch
            needWorkspace(partial + (slices > 1 ? slices * weights : 0))
            for (index, (s0, count)) in chunks(g.batch, size).enumerated() {
                let cols = count * ohw
                launches.append(im2col(g, x: x, sample: s0, count: count))
                var a = Operand.tensor(dy, plus: s0 * g.outChannels * ohw)
                if count > 1 {
                    a = .workspace(size * rows * ohw)
                    let grid = sizes.planeGrid(width: ohw, height: 1, count: count, outer: g.outChannels)
                    launches.append(Launch(program: .family("conv.cl"), kernel: "nchw_to_cnhw",
                                           args: [.buffer(dy.region), .int(dy.offset + s0 * g.outChannels * ohw), .workspace,
                                                  .int(size * rows * ohw), .int(count), .int(grid.countPad),
                                                  .int(g.outChannels), .int(ohw)],
                                           global: grid.global, local: grid.local, op: op))
                }
                let beta: Float = (index > 0 || accumulate) ? 1 : 0
                var call = GemmCall(m: og, n: patch, k: cols, a: a, lda: cols, b: .workspace(0), ldb: cols,
                                    c: .tensor(dw), ldc: patch, beta: beta, transB: true, strideA: og * cols,
                                    strideB: patch * cols, strideC: og * patch, batches: g.groups)
                if slices > 1 {
                    call.c = .workspace(partial); call.beta = 0
                    call.slices = slices; call.sliceStrideC = weights
                }
                launches.append(gemm(call))
                if slices > 1 {
                    launches.append(elementwise("elementwise.cl", "sum_slices", count: weights,
                                                [.workspace, .int(partial), .int(weights), .int(slices),
                                                 .buffer(dw.region), .int(dw.offset), .int(weights), .float(beta)]))
                }
            }
        }
        if db.isPresent {
            launches += channelSum(dy, into: db, channels: g.outChannels, inner: ohw, outer: g.batch, accumulate: accumulate)
        }
        return launches
    }

    /// y[batch, out] = act(x Wᵀ + b). When the batch x out tiles leave compute units idle while K (the input
    /// features) is long, as a classifier head on a GPU (smallcnn's fc1: 4 work-groups of 64 x 64 for 3,136
    /// inputs on 132 units, a third of its training step), K is split over extra work-groups and the slices
    /// are summed with the bias and activation the slices cannot apply.
    mutating func linearForward(_ g: LinearGeometry, x: TensorRef, w: TensorRef, bias: TensorRef, y: TensorRef,
                                act: Activation?) -> [Launch] {
        var call = GemmCall(m: g.batch, n: g.outFeatures, k: g.inFeatures, a: .tensor(x), lda: g.inFeatures,
                            b: .tensor(w), ldb: g.inFeatures, c: .tensor(y), ldc: g.outFeatures, transB: true,
                            bias: bias, biasPerColumn: true, activation: act)
        let slices = gemmTiles(m: call.m, n: call.n, k: call.k, transB: true) < sizes.computeUnits
            ? kSlices(m: call.m, n: call.n, k: call.k, batches: 1, transB: true) : 1
        guard slices > 1 else { return [gemm(call)] }
        let outputs = g.batch * g.outFeatures
        needWorkspace(slices * outputs)
        call.c = .workspace(0); call.bias = .absent; call.activation = nil
        call.slices = slices; call.sliceStrideC = outputs
        let a = activationCode(act)
        let biasArgs: [LaunchArg] = bias.isPresent ? ref(bias) + [.int(1)] : [.workspace, .int(0), .int(0)]
        return [gemm(call),
                elementwise("elementwise.cl", "sum_slices_bias_act", count: outputs,
                            [.workspace, .int(0), .int(outputs), .int(slices), .buffer(y.region), .int(y.offset),
                             .int(outputs), .int(g.outFeatures)] + biasArgs + [.int(a.code), .float(a.param)])]
    }

    /// dx (+)= dy W.
    func linearBackwardData(_ g: LinearGeometry, dy: TensorRef, w: TensorRef, dx: TensorRef, accumulate: Bool) -> [Launch] {
        [gemm(GemmCall(m: g.batch, n: g.inFeatures, k: g.outFeatures, a: .tensor(dy), lda: g.outFeatures,
                       b: .tensor(w), ldb: g.inFeatures, c: .tensor(dx), ldc: g.inFeatures, beta: accumulate ? 1 : 0))]
    }

    /// dW (+)= dyᵀ x, dB (+)= column sums of dy.
    mutating func linearBackwardFilter(_ g: LinearGeometry, x: TensorRef, dy: TensorRef, dw: TensorRef, db: TensorRef,
                              accumulate: Bool) -> [Launch] {
        var launches: [Launch] = []
        if dw.isPresent {
            launches.append(gemm(GemmCall(m: g.outFeatures, n: g.inFeatures, k: g.batch, a: .tensor(dy), lda: g.outFeatures,
                                          b: .tensor(x), ldb: g.inFeatures, c: .tensor(dw), ldc: g.inFeatures,
                                          beta: accumulate ? 1 : 0, transA: true)))
        }
        if db.isPresent {
            launches += channelSum(dy, into: db, channels: g.outFeatures, inner: 1, outer: g.batch, accumulate: accumulate)
        }
        return launches
    }
}
