import Engine

/// upsample and upsampleBackward: each output element is the weighted sum of its four taps (rows and columns
/// from `UpsampleGeometry.taps`; nearest has one tap of weight 1), in Double; the backward spreads dy over the same
/// taps with the same weights.
extension Reference {
    /// Calls `body(plane, outputIndex, inputIndex, weight)` for every tap of every output element.
    static func forEachUpsampleTap(_ g: UpsampleGeometry, _ body: (Int, Int, Int, Double) -> Void) {
        let rows = (0..<g.outHeight).map { UpsampleGeometry.taps($0, input: g.inHeight, output: g.outHeight, bilinear: g.bilinear) }
        let cols = (0..<g.outWidth).map { UpsampleGeometry.taps($0, input: g.inWidth, output: g.outWidth, bilinear: g.bilinear) }
        for p in 0..<g.planes {
            for (oh, r) in rows.enumerated() {
                for (ow, c) in cols.enumerated() {
                    let out = (p * g.outHeight + oh) * g.outWidth + ow
                    let wr = [(r.i0, 1 - Double(r.w1)), (r.i1, Double(r.w1))]
                    let wc = [(c.i0, 1 - Double(c.w1)), (c.i1, Double(c.w1))]
                    for (ih, a) in wr where a != 0 {
                        for (iw, b) in wc where b != 0 {
                            body(p, out, (p * g.inHeight + ih) * g.inWidth + iw, a * b)
                        }
                    }
                }
            }
        }
    }

    static func upsample(_ g: UpsampleGeometry, x: [Float]) -> [Float] {
        var y = [Double](repeating: 0, count: g.planes * g.outHeight * g.outWidth)
        forEachUpsampleTap(g) { _, out, inp, w in y[out] += w * Double(x[inp]) }
        return y.map { Float($0) }
    }

    static func upsampleBackward(_ g: UpsampleGeometry, dy: [Float]) -> [Float] {
        var dx = [Double](repeating: 0, count: g.planes * g.inHeight * g.inWidth)
        forEachUpsampleTap(g) { _, out, inp, w in dx[inp] += w * Double(dy[out]) }
        return dx.map { Float($0) }
    }
}
