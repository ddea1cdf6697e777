import Engine

/// channelBias (`y = x + b[c]`, in place when y is x) over (sample, channel) planes, and its backward, the sum of
/// dy per channel over samples and positions (parallel over channels, each summing its planes in sample order).
enum ChannelBiasKernels {
    static func forward(_ g: BiasGeometry, _ x: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                        planes: Range<Int>) {
        for p in planes {
            let v = b[p % g.channels], xp = x + p * g.spatial, yp = y + p * g.spatial
            for k in 0..<g.spatial { yp[k] = xp[k] + v }
        }
    }

    static func backward(_ g: BiasGeometry, _ dy: UnsafePointer<Float>, _ db: UnsafeMutablePointer<Float>, accumulate: Bool,
                         channels: Range<Int>) {
        for c in channels {
            var s: Float = 0
            for n in 0..<g.batch { s += Reduce.sum(dy + (n * g.channels + c) * g.spatial, g.spatial) }
            db[c] = accumulate ? db[c] + s : s
        }
    }
}

extension Binder {
    func bindChannelBias(_ g: BiasGeometry, _ ins: Instruction) throws -> Kernel {
        try operands(ins, inputs: 2, outputs: 1)
        let x = try required(ins.inputs[0], ins), b = try required(ins.inputs[1], ins), y = try required(ins.outputs[0], ins)
        return planes(g.batch * g.channels, elements: g.count) { r in ChannelBiasKernels.forward(g, x, b, y, planes: r) }
    }

    func bindChannelBiasBackward(_ g: BiasGeometry, _ ins: Instruction) throws -> Kernel {
        try operands(ins, inputs: 1, outputs: 1)
        let dy = try required(ins.inputs[0], ins), acc = ins.accumulate
        guard let db = pointer(ins.outputs[0]) else { return {} }
        return planes(g.channels, elements: g.count) { r in ChannelBiasKernels.backward(g, dy, db, accumulate: acc, channels: r) }
    }
}
