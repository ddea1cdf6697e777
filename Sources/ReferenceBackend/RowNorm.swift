import Engine

/// rowNorm (GroupNorm, InstanceNorm, LayerNorm) and its backward, one row at a time with two-pass Double sums
/// (docs/ops.md "rowNorm").
extension Reference {
    struct RowNormResult {
        var y: [Float]
        var savedMean: [Float]
        var savedInvStd: [Float]
    }

    struct RowNormGradients {
        var dx: [Float]
        var dScale: [Float]
        var dShift: [Float]
    }

    static func rowNorm(_ g: RowNormGeometry, x: [Float], scale: [Float]?, shift: [Float]?) -> RowNormResult {
        var r = RowNormResult(y: [Float](repeating: 0, count: g.count), savedMean: [Float](repeating: 0, count: g.rows),
                              savedInvStd: [Float](repeating: 0, count: g.rows))
        let n = Double(g.inner)
        for row in 0..<g.rows {
            let base = row * g.inner
            let mean = (0..<g.inner).reduce(0.0) { $0 + Double(x[base + $1]) } / n
            let variance = (0..<g.inner).reduce(0.0) { let d = Double(x[base + $1]) - mean; return $0 + d * d } / n
            let invStd = 1 / (variance + Double(g.eps)).squareRoot()
            r.savedMean[row] = Float(mean)
            r.savedInvStd[row] = Float(invStd)
            for e in 0..<g.inner {
                let k = g.parameter(row: row, element: e)
                let xhat = (Double(x[base + e]) - mean) * invStd
                r.y[base + e] = Float(Double(scale?[k] ?? 1) * xhat + Double(shift?[k] ?? 0))
            }
        }
        return r
    }

    /// With γ_k the scale of each element and c = γ·dy: dx = invstd·(c - mean(c) - x̂·mean(c·x̂)) over the row;
    /// dγ_k = Σ dy·x̂ and dβ_k = Σ dy over every element that takes parameter k.
    static func rowNormBackward(_ g: RowNormGeometry, x: [Float], dy: [Float], scale: [Float]?, savedMean: [Float],
                                savedInvStd: [Float]) -> RowNormGradients {
        var r = RowNormGradients(dx: [Float](repeating: 0, count: g.count),
                                 dScale: [Float](repeating: 0, count: g.parameterCount),
                                 dShift: [Float](repeating: 0, count: g.parameterCount))
        var dScale = [Double](repeating: 0, count: g.parameterCount), dShift = dScale
        let n = Double(g.inner)
        for row in 0..<g.rows {
            let base = row * g.inner
            let mean = Double(savedMean[row]), invStd = Double(savedInvStd[row])
            var sumC = 0.0, sumCXhat = 0.0
            for e in 0..<g.inner {
                let k = g.parameter(row: row, element: e)
                let xhat = (Double(x[base + e]) - mean) * invStd, d = Double(dy[base + e])
                dScale[k] += d * xhat
                dShift[k] += d
                let c = Double(scale?[k] ?? 1) * d
                sumC += c
                sumCXhat += c * xhat
            }
            for e in 0..<g.inner {
                let k = g.parameter(row: row, element: e)
                let xhat = (Double(x[base + e]) - mean) * invStd
                let c = Double(scale?[k] ?? 1) * Double(dy[base + e])
                r.dx[base + e] = Float(invStd * (c - sumC / n - xhat * sumCXhat / n))
            }
        }
        r.dScale = dScale.map { Float($0) }
        r.dShift = dShift.map { Float($0) }
        return r
    }
}
