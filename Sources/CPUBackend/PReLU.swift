import Engine

/// PReLU forward and backward (docs/ops.md "prelu") one (sample, channel) plane at a time: the plane shares one
/// slope. Workers take disjoint planes (y, dx) or disjoint slopes (dSlopes).
enum PReLUKernels {
    static func forward(_ g: PReLUGeometry, x: UnsafePointer<Float>, slopes: UnsafePointer<Float>,
                        y: UnsafeMutablePointer<Float>, planes: Range<Int>) {
        for p in planes {
            let a = slopes[g.slopes == 1 ? 0 : p % g.channels], base = p * g.spatial
            for i in base..<(base + g.spatial) { let v = x[i]; y[i] = v > 0 ? v : a * v }
        }
    }

    static func backwardData(_ g: PReLUGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, slopes: UnsafePointer<Float>,
                             dx: UnsafeMutablePointer<Float>, accumulate: Bool, planes: Range<Int>) {
        for p in planes {
            let a = slopes[g.slopes == 1 ? 0 : p % g.channels], base = p * g.spatial
            for i in base..<(base + g.spatial) {
                let d = x[i] > 0 ? dy[i] : a * dy[i]
                dx[i] = accumulate ? dx[i] + d : d
            }
        }
    }

    /// dSlopes[k] (+)= Σ x·dy over the elements with x <= 0 that take slope k.
    static func backwardSlopes(_ g: PReLUGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                               dSlopes: UnsafeMutablePointer<Float>, accumulate: Bool, slopes: Range<Int>) {
        for k in slopes {
            var sum = 0.0
            for n in 0..<g.batch {
                for c in (g.slopes == 1 ? 0..<g.channels : k..<(k + 1)) {
                    let base = (n * g.channels + c) * g.spatial
                    var part: Float = 0
                    for i in base..<(base + g.spatial) where x[i] <= 0 { part += x[i] * dy[i] }
                    sum += Double(part)
                }
            }
            dSlopes[k] = accumulate ? dSlopes[k] + Float(sum) : Float(sum)
        }
    }
}

extension Binder {
    func bindPReLU(_ ins: Instruction, _ g: PReLUGeometry) throws -> Kernel {
        try operands(ins, inputs: 2, outputs: 1)
        let x = try required(ins.inputs[0], ins), slopes = try required(ins.inputs[1], ins), y = try required(ins.outputs[0], ins)
        return planes(g.batch * g.channels, elements: g.count) { p in PReLUKernels.forward(g, x: x, slopes: slopes, y: y, planes: p) }
    }

    func bindPReLUBackward(_ ins: Instruction, _ g: PReLUGeometry, accumulateParameters: Bool) throws -> Kernel {
        try operands(ins, inputs: 3, outputs: 2)
        let x = try required(ins.inputs[0], ins), dy = try required(ins.inputs[1], ins), slopes = try required(ins.inputs[2], ins)
        let acc = ins.accumulate
        var kernels: [Kernel] = []
        if let dx = pointer(ins.outputs[0]) {
            kernels.append(planes(g.batch * g.channels, elements: g.count) { p in
                PReLUKernels.backwardData(g, x: x, dy: dy, slopes: slopes, dx: dx, accumulate: acc, planes: p)
            })
        }
        if let dSlopes = pointer(ins.outputs[1]) {
            kernels.append(planes(g.slopes, elements: g.count) { k in
                PReLUKernels.backwardSlopes(g, x: x, dy: dy, dSlopes: dSlopes, accumulate: accumulateParameters, slopes: k)
            })
        }
        return { for kernel in kernels { kernel() } }
    }
}
