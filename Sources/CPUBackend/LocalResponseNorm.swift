import Foundation
import Engine

/// localResponseNorm (LocalResponseNorm, F.normalize) forward and backward (docs/ops.md "localResponseNorm").
/// Per sample, a plane of running window sums (Double) slides over the channels: entering channel c adds the
/// plane c + after and drops the plane c - before - 1, so a window costs O(1) per element whatever its size
/// (F.normalize's window holds every channel). Workers take disjoint samples.
enum LocalResponseNormKernels {
    static func forward(_ g: ChannelWindowGeometry, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                        base: UnsafeMutablePointer<Float>?, samples: Range<Int>) {
        let s = g.spatial
        var window = [Double](repeating: 0, count: s)
        for n in samples {
            let at = n * g.channels * s
            func add(_ c: Int, _ sign: Double) {
                guard c >= 0, c < g.channels else { return }
                let p = x + at + c * s
                for i in 0..<s { let v = Double(p[i]); window[i] += sign * v * v }
            }
            for i in 0..<s { window[i] = 0 }
            for c in 0...min(g.after, g.channels - 1) { add(c, 1) }
            for c in 0..<g.channels {
                if c > 0 { add(c + g.after, 1); add(c - g.before - 1, -1) }
                let o = at + c * s
                for i in 0..<s {
                    let d = Float(Double(g.k) + Double(g.alpha) * max(window[i], 0))
                    base?[o + i] = d
                    y[o + i] = x[o + i] * Foundation.pow(d, -g.beta)
                }
            }
        }
    }

    /// dx (+)= dy·D^(-β) - 2αβ·x·T, T_j = Σ_{c = j-after ... j+before} dy_c·x_c·D_c^(-β-1) (the channels whose
    /// window holds j), slid like the forward's sums.
    static func backward(_ g: ChannelWindowGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                         base: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, accumulate: Bool, samples: Range<Int>) {
        let s = g.spatial, factor = 2 * g.alpha * g.beta
        var window = [Double](repeating: 0, count: s)
        for n in samples {
            let at = n * g.channels * s
            func add(_ c: Int, _ sign: Double) {
                guard c >= 0, c < g.channels else { return }
                let o = at + c * s
                for i in 0..<s {
                    window[i] += sign * Double(dy[o + i] * x[o + i] * Foundation.pow(base[o + i], -g.beta - 1))
                }
            }
            for i in 0..<s { window[i] = 0 }
            for c in 0...min(g.before, g.channels - 1) { add(c, 1) }
            for j in 0..<g.channels {
                if j > 0 { add(j + g.before, 1); add(j - g.after - 1, -1) }
                let o = at + j * s
                for i in 0..<s {
                    let d = dy[o + i] * Foundation.pow(base[o + i], -g.beta) - factor * x[o + i] * Float(window[i])
                    dx[o + i] = accumulate ? dx[o + i] + d : d
                }
            }
        }
    }
}

extension Binder {
    func bindLocalResponseNorm(_ ins: Instruction, _ g: ChannelWindowGeometry) throws -> Kernel {
        try operands(ins, inputs: 1, outputs: 1)
        let x = try required(ins.inputs[0], ins), y = try required(ins.outputs[0], ins)
        let base = ins.outputs.count > 1 ? pointer(ins.outputs[1]) : nil
        return planes(g.batch, elements: g.count) { n in LocalResponseNormKernels.forward(g, x: x, y: y, base: base, samples: n) }
    }

    func bindLocalResponseNormBackward(_ ins: Instruction, _ g: ChannelWindowGeometry) throws -> Kernel {
        try operands(ins, inputs: 3, outputs: 1)
        let x = try required(ins.inputs[0], ins), dy = try required(ins.inputs[1], ins), base = try required(ins.inputs[2], ins)
        guard let dx = pointer(ins.outputs[0]) else { return {} }
        let acc = ins.accumulate
        return planes(g.batch, elements: g.count) { n in
            LocalResponseNormKernels.backward(g, x: x, dy: dy, base: base, dx: dx, accumulate: acc, samples: n)
        }
    }
}
