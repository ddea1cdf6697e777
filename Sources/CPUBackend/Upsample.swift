import Engine

/// Nearest and bilinear upsampling over NCHW planes (`UpsampleGeometry.taps` gives each output row's and column's
/// source taps, computed once at bind time). The backward scatters each plane's dy into its own dx plane, so
/// planes split between threads never share an output.
enum UpsampleKernels {
    struct Tap { var i0: Int32; var i1: Int32; var w0: Float; var w1: Float }

    static func taps(_ count: Int, input: Int, bilinear: Bool) -> [Tap] {
        (0..<count).map { o in
            let t = UpsampleGeometry.taps(o, input: input, output: count, bilinear: bilinear)
            return Tap(i0: Int32(t.i0), i1: Int32(t.i1), w0: 1 - t.w1, w1: t.w1)
        }
    }

    /// y = h0·(w0·x[i0,j0] + w1·x[i0,j1]) + h1·(w0·x[i1,j0] + w1·x[i1,j1]), PyTorch's order; nearest copies x[i0,j0].
    static func forward(_ g: UpsampleGeometry, _ rows: [Tap], _ cols: [Tap], _ x: UnsafePointer<Float>,
                        _ y: UnsafeMutablePointer<Float>, planes: Range<Int>) {
        let inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth
        for p in planes {
            let xp = x + p * inPlane, yp = y + p * outPlane
            for (oh, r) in rows.enumerated() {
                let top = xp + Int(r.i0) * g.inWidth, bottom = xp + Int(r.i1) * g.inWidth
                let out = yp + oh * g.outWidth
                if !g.bilinear {
                    for (ow, c) in cols.enumerated() { out[ow] = top[Int(c.i0)] }
                    continue
                }
                for (ow, c) in cols.enumerated() {
                    let (j0, j1) = (Int(c.i0), Int(c.i1))
                    out[ow] = r.w0 * (c.w0 * top[j0] + c.w1 * top[j1]) + r.w1 * (c.w0 * bottom[j0] + c.w1 * bottom[j1])
                }
            }
        }
    }

    /// dx (+)= Σ over the outputs reading each input of weight · dy.
    static func backward(_ g: UpsampleGeometry, _ rows: [Tap], _ cols: [Tap], _ dy: UnsafePointer<Float>,
                         _ dx: UnsafeMutablePointer<Float>, accumulate: Bool, planes: Range<Int>) {
        let inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth
        for p in planes {
            let dxp = dx + p * inPlane, dyp = dy + p * outPlane
            if !accumulate { dxp.update(repeating: 0, count: inPlane) }
            for (oh, r) in rows.enumerated() {
                let top = dxp + Int(r.i0) * g.inWidth, bottom = dxp + Int(r.i1) * g.inWidth
                let d = dyp + oh * g.outWidth
                if !g.bilinear {
                    for (ow, c) in cols.enumerated() { top[Int(c.i0)] += d[ow] }
                    continue
                }
                for (ow, c) in cols.enumerated() {
                    let (j0, j1) = (Int(c.i0), Int(c.i1))
                    let t = r.w0 * d[ow], b = r.w1 * d[ow]
                    top[j0] += c.w0 * t
                    top[j1] += c.w1 * t
                    bottom[j0] += c.w0 * b
                    bottom[j1] += c.w1 * b
                }
            }
        }
    }
}

extension Binder {
    func bindUpsample(_ g: UpsampleGeometry, _ ins: Instruction) throws -> Kernel {
        try operands(ins, inputs: 1, outputs: 1)
        let x = try required(ins.inputs[0], ins), y = try required(ins.outputs[0], ins)
        let rows = UpsampleKernels.taps(g.outHeight, input: g.inHeight, bilinear: g.bilinear)
        let cols = UpsampleKernels.taps(g.outWidth, input: g.inWidth, bilinear: g.bilinear)
        return planes(g.planes, elements: ins.outputs[0].count * 4) { r in UpsampleKernels.forward(g, rows, cols, x, y, planes: r) }
    }

    func bindUpsampleBackward(_ g: UpsampleGeometry, _ ins: Instruction) throws -> Kernel {
        try operands(ins, inputs: 1, outputs: 1)
        let dy = try required(ins.inputs[0], ins), acc = ins.accumulate
        guard let dx = pointer(ins.outputs[0]) else { return {} }
        let rows = UpsampleKernels.taps(g.outHeight, input: g.inHeight, bilinear: g.bilinear)
        let cols = UpsampleKernels.taps(g.outWidth, input: g.inWidth, bilinear: g.bilinear)
        return planes(g.planes, elements: ins.inputs[0].count * 4) { r in
            UpsampleKernels.backward(g, rows, cols, dy, dx, accumulate: acc, planes: r)
        }
    }
}
