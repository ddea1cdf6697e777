import Engine

/// permute over (sample, output row) pairs: each output row of the innermost dimension reads the input with
/// that dimension's stride (`PermuteGeometry.kernelForm`).
enum PermuteKernels {
    static func permute(_ g: PermuteGeometry, _ d: [Int], _ s: [Int], _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                        accumulate: Bool, rows: Range<Int>) {
        let inner = d[3], stride = s[3]
        for r in rows {
            var t = r
            let i2 = t % d[2]; t /= d[2]
            let i1 = t % d[1]; t /= d[1]
            let i0 = t % d[0], n = t / d[0]
            let src = x + n * g.perSample + i0 * s[0] + i1 * s[1] + i2 * s[2], dst = y + r * inner
            if accumulate {
                for k in 0..<inner { dst[k] += src[k * stride] }
            } else {
                for k in 0..<inner { dst[k] = src[k * stride] }
            }
        }
    }
}

extension Binder {
    func bindPermute(_ g: PermuteGeometry, _ ins: Instruction) throws -> Kernel {
        try operands(ins, inputs: 1, outputs: 1)
        let x = try required(ins.inputs[0], ins), acc = ins.accumulate
        guard let y = pointer(ins.outputs[0]) else { return {} }
        let (d, s) = g.kernelForm
        return planes(g.batch * d[0] * d[1] * d[2], elements: g.batch * g.perSample) { r in
            PermuteKernels.permute(g, d, s, x, y, accumulate: acc, rows: r)
        }
    }
}
