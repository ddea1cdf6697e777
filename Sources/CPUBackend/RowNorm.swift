import Engine

/// rowNorm (GroupNorm, InstanceNorm, LayerNorm) forward and backward (docs/ops.md "rowNorm"). A row's elements
/// are contiguous and fall in runs of `divisor` elements sharing one affine parameter, so every loop below walks
/// such runs with the SIMD reductions. Workers take disjoint rows (forward, dx) or disjoint parameters (dγ, dβ).
enum RowNormKernels {
    /// y = γ·(x - mean)·invstd + β for rows `rows`; saved statistics written when present.
    static func forward(_ g: RowNormGeometry, x: UnsafePointer<Float>, scale: UnsafePointer<Float>?,
                        shift: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, savedMean: UnsafeMutablePointer<Float>?,
                        savedInvStd: UnsafeMutablePointer<Float>?, rows: Range<Int>) {
        let n = g.inner, run = g.divisor
        for r in rows {
            let xr = x + r * n, yr = y + r * n
            let mean = Reduce.sum(xr, n) / Float(n)
            let invStd = 1 / (Reduce.squaredDeviations(xr, n, mean) / Float(n) + g.eps).squareRoot()
            savedMean?[r] = mean
            savedInvStd?[r] = invStd
            let first = g.parameter(row: r, element: 0)
            for j in 0..<(n / run) {
                let a = (scale?[first + j] ?? 1) * invStd
                let b = (shift?[first + j] ?? 0) - mean * a
                for e in (j * run)..<((j + 1) * run) { yr[e] = a * xr[e] + b }
            }
        }
    }

    /// dx (+)= invstd·(c - mean(c) - x̂·mean(c·x̂)) with c = γ·dy, for rows `rows`.
    static func backwardData(_ g: RowNormGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                             scale: UnsafePointer<Float>?, savedMean: UnsafePointer<Float>, savedInvStd: UnsafePointer<Float>,
                             dx: UnsafeMutablePointer<Float>, accumulate: Bool, rows: Range<Int>) {
        let n = g.inner, run = g.divisor
        for r in rows {
            let xr = x + r * n, dyr = dy + r * n, dxr = dx + r * n
            let mean = savedMean[r], invStd = savedInvStd[r]
            let first = g.parameter(row: r, element: 0)
            var sumC: Float = 0, sumCXhat: Float = 0
            for j in 0..<(n / run) {
                let (s, d) = Reduce.sumAndCenteredDot(dyr + j * run, xr + j * run, run, mean)
                let gamma = scale?[first + j] ?? 1
                sumC += gamma * s
                sumCXhat += gamma * d * invStd
            }
            let meanC = sumC / Float(n), meanCXhat = sumCXhat / Float(n)
            for j in 0..<(n / run) {
                let k = (scale?[first + j] ?? 1) * invStd
                for e in (j * run)..<((j + 1) * run) {
                    let xhat = (xr[e] - mean) * invStd
                    let v = k * dyr[e] - invStd * (meanC + xhat * meanCXhat)
                    dxr[e] = accumulate ? dxr[e] + v : v
                }
            }
        }
    }

    /// dγ_k (+)= Σ dy·x̂, dβ_k (+)= Σ dy over the elements taking parameter k, for parameters `parameters`:
    /// parameter k is one run (offset (k mod runs per row)·divisor) in every row r ≡ k / (runs per row) (mod period).
    static func backwardParameters(_ g: RowNormGeometry, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                   savedMean: UnsafePointer<Float>, savedInvStd: UnsafePointer<Float>,
                                   dScale: UnsafeMutablePointer<Float>?, dShift: UnsafeMutablePointer<Float>?,
                                   accumulate: Bool, parameters: Range<Int>) {
        let runsPerRow = g.inner / g.divisor
        for k in parameters {
            let p = k / runsPerRow, offset = (k % runsPerRow) * g.divisor
            var dGamma = 0.0, dBeta = 0.0
            var r = p
            while r < g.rows {
                let at = r * g.inner + offset
                let (s, d) = Reduce.sumAndCenteredDot(dy + at, x + at, g.divisor, savedMean[r])
                dBeta += Double(s)
                dGamma += Double(d) * Double(savedInvStd[r])
                r += g.period
            }
            if let dScale { dScale[k] = accumulate ? dScale[k] + Float(dGamma) : Float(dGamma) }
            if let dShift { dShift[k] = accumulate ? dShift[k] + Float(dBeta) : Float(dBeta) }
        }
    }
}

extension Binder {
    func bindRowNorm(_ ins: Instruction, _ g: RowNormGeometry) throws -> Kernel {
        let i = ins.inputs, o = ins.outputs
        try operands(ins, inputs: 3, outputs: 1)
        let x = try required(i[0], ins), y = try required(o[0], ins)
        let scale = pointer(i[1]).map { UnsafePointer($0) }, shift = pointer(i[2]).map { UnsafePointer($0) }
        let mean = o.count > 1 ? pointer(o[1]) : nil, invStd = o.count > 2 ? pointer(o[2]) : nil
        return planes(g.rows, elements: g.count) { rows in
            RowNormKernels.forward(g, x: x, scale: scale, shift: shift, y: y, savedMean: mean, savedInvStd: invStd, rows: rows)
        }
    }

    func bindRowNormBackward(_ ins: Instruction, _ g: RowNormGeometry, accumulateParameters accParams: Bool) throws -> Kernel {
        let i = ins.inputs, o = ins.outputs, acc = ins.accumulate
        try operands(ins, inputs: 5, outputs: 3)
        let x = try required(i[0], ins), dy = try required(i[1], ins), scale = pointer(i[2]).map { UnsafePointer($0) }
        let mean = try required(i[3], ins), invStd = try required(i[4], ins)
        let dScale = pointer(o[1]), dShift = pointer(o[2])
        var kernels: [Kernel] = []
        if let dx = pointer(o[0]) {
            kernels.append(planes(g.rows, elements: g.count) { rows in
                RowNormKernels.backwardData(g, x: x, dy: dy, scale: scale, savedMean: mean, savedInvStd: invStd, dx: dx,
                                            accumulate: acc, rows: rows)
            })
        }
        if dScale != nil || dShift != nil {
            kernels.append(planes(g.parameterCount, elements: g.count) { parameters in
                RowNormKernels.backwardParameters(g, x: x, dy: dy, savedMean: mean, savedInvStd: invStd, dScale: dScale,
                                                  dShift: dShift, accumulate: accParams, parameters: parameters)
            })
        }
        return { for kernel in kernels { kernel() } }
    }
}
