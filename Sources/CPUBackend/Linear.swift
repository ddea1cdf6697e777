import Engine
import NetIR

/// Fully connected layer (docs/ops.md "linear"): three GEMMs, split between workers along the larger of M/N
/// (`sgemmSlice`), with the bias + activation epilogue applied by each worker to its own slice of y.
struct LinearKernel {
    let g: LinearGeometry

    var forwardShape: GemmShape { GemmShape(transB: true, m: g.batch, n: g.outFeatures, k: g.inFeatures) }
    var dataShape: GemmShape { GemmShape(m: g.batch, n: g.inFeatures, k: g.outFeatures) }
    var filterShape: GemmShape { GemmShape(transA: true, m: g.outFeatures, n: g.inFeatures, k: g.batch) }

    func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, b: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
                 act: Activation?, part: Int, parts: Int) {
        let s = forwardShape
        sgemmSlice(s, x, w, y, beta: 0, part: part, parts: parts)
        guard b != nil || act != nil else { return }
        // The same slice sgemmSlice computed: columns when n >= m, else rows.
        let rows = s.n >= s.m || parts == 1 ? 0..<s.m : slice(s.m, part, parts, align: 16)
        let cols = s.n >= s.m && parts > 1 ? slice(s.n, part, parts, align: 16) : 0..<s.n
        guard !cols.isEmpty else { return }
        for r in rows {
            let row = y + r * s.n + cols.lowerBound
            if let b {
                let bias = b + cols.lowerBound
                switch act {
                case nil: for c in 0..<cols.count { row[c] += bias[c] }
                case .relu?: for c in 0..<cols.count { let v = row[c] + bias[c]; row[c] = v > 0 ? v : 0 }
                case let act?: ActivationKernels.specialized(act, BiasedRowLoop(row: row, bias: bias, n: cols.count))
                }
            } else {
                ActivationKernels.forward(row, row, cols.count, act)
            }
        }
    }

    func backwardData(dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, accumulate: Bool,
                      part: Int, parts: Int) {
        sgemmSlice(dataShape, dy, w, dx, beta: accumulate ? 1 : 0, part: part, parts: parts)
    }

    func backwardFilter(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>?,
                        db: UnsafeMutablePointer<Float>?, accumulate: Bool, part: Int, parts: Int) {
        if let dw { sgemmSlice(filterShape, dy, x, dw, beta: accumulate ? 1 : 0, part: part, parts: parts) }
        guard let db else { return }
        let outputs = slice(g.outFeatures, part, parts, align: 16)
        guard !outputs.isEmpty else { return }
        let lo = outputs.lowerBound, count = outputs.count
        let d = db + lo
        if !accumulate { d.update(repeating: 0, count: count) }
        for n in 0..<g.batch {
            let row = dy + n * g.outFeatures + lo
            for o in 0..<count { d[o] += row[o] }
        }
    }
}

/// row = act(row + bias), per column, the loop `ActivationKernels.specialized` instantiates per kind.
private struct BiasedRowLoop: ActivationLoop {
    let row: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, n: Int
    @inline(__always)
    func run(_ a: Activation) { for c in 0..<n { row[c] = ActivationKernels.apply(a, row[c] + bias[c]) } }
}
