import Engine
import NetIR

/// maxPool, avgPool, adaptiveAvgPool and their backward ops over NCHW planes. Window (i, j) covers input rows
/// i·sH - pH ..< i·sH - pH + kH (same for columns); padded positions are skipped (max: -∞, average: 0).
extension Reference {
    /// Calls `body(plane, i, j, ih, iw)` for every in-bounds input position of every window.
    @inline(__always)
    static func forEachWindowTap(_ g: PoolGeometry, _ body: (_ plane: Int, _ i: Int, _ j: Int, _ ih: Int, _ iw: Int) -> Void) {
        for plane in 0..<(g.batch * g.channels) {
            for i in 0..<g.outHeight {
                for j in 0..<g.outWidth {
                    for p in 0..<g.kernelH {
                        let ih = i * g.strideH - g.padH + p
                        if ih < 0 || ih >= g.inHeight { continue }
                        for q in 0..<g.kernelW {
                            let iw = j * g.strideW - g.padW + q
                            if iw < 0 || iw >= g.inWidth { continue }
                            body(plane, i, j, ih, iw)
                        }
                    }
                }
            }
        }
    }

    /// argmax = ih·W + iw of the first maximum in row-major window order.
    static func maxPool(_ g: PoolGeometry, x: [Float]) -> (y: [Float], argmax: [Int32]) {
        let outPlane = g.outHeight * g.outWidth, inPlane = g.inHeight * g.inWidth
        var y = [Float](repeating: -.infinity, count: g.batch * g.channels * outPlane)
        var argmax = [Int32](repeating: -1, count: y.count)
        forEachWindowTap(g) { plane, i, j, ih, iw in
            let k = plane * outPlane + i * g.outWidth + j
            let v = x[plane * inPlane + ih * g.inWidth + iw]
            if argmax[k] < 0 || v > y[k] {   // strict: a later equal value does not replace the first maximum
                y[k] = v
                argmax[k] = Int32(ih * g.inWidth + iw)
            }
        }
        return (y, argmax)
    }

    static func maxPoolBackward(_ g: PoolGeometry, dy: [Float], argmax: [Int32]) -> [Float] {
        let outPlane = g.outHeight * g.outWidth, inPlane = g.inHeight * g.inWidth
        var dx = [Double](repeating: 0, count: g.batch * g.channels * inPlane)
        for plane in 0..<(g.batch * g.channels) {
            for k in 0..<outPlane where argmax[plane * outPlane + k] >= 0 {
                dx[plane * inPlane + Int(argmax[plane * outPlane + k])] += Double(dy[plane * outPlane + k])
            }
        }
        return dx.map { Float($0) }
    }

    /// The divisor of window (i, j): with countIncludePad its positions inside the padded input (kH·kW unless a
    /// ceil_mode window runs past it), else its number of in-bounds positions.
    static func avgPoolDivisors(_ g: PoolGeometry) -> [Double] {
        var onePlane = g
        onePlane.batch = 1
        onePlane.channels = 1
        var inBounds = [Int](repeating: 0, count: g.outHeight * g.outWidth)
        forEachWindowTap(onePlane) { _, i, j, _, _ in inBounds[i * g.outWidth + j] += 1 }
        return inBounds.indices.map { Double(g.countIncludePad ? g.includePadDivisor($0 / g.outWidth, $0 % g.outWidth) : inBounds[$0]) }
    }

    static func avgPool(_ g: PoolGeometry, x: [Float]) -> [Float] {
        let outPlane = g.outHeight * g.outWidth, inPlane = g.inHeight * g.inWidth
        let divisor = avgPoolDivisors(g)
        var sum = [Double](repeating: 0, count: g.batch * g.channels * outPlane)
        forEachWindowTap(g) { plane, i, j, ih, iw in
            sum[plane * outPlane + i * g.outWidth + j] += Double(x[plane * inPlane + ih * g.inWidth + iw])
        }
        return sum.indices.map { Float(sum[$0] / divisor[$0 % outPlane]) }
    }

    static func avgPoolBackward(_ g: PoolGeometry, dy: [Float]) -> [Float] {
        let outPlane = g.outHeight * g.outWidth, inPlane = g.inHeight * g.inWidth
        let divisor = avgPoolDivisors(g)
        var dx = [Double](repeating: 0, count: g.batch * g.channels * inPlane)
        forEachWindowTap(g) { plane, i, j, ih, iw in
            let k = i * g.outWidth + j
            dx[plane * inPlane + ih * g.inWidth + iw] += Double(dy[plane * outPlane + k]) / divisor[k]
        }
        return dx.map { Float($0) }
    }

    /// Output cell (i, j) averages rows ⌊i·H/oh⌋ ..< ⌈(i+1)·H/oh⌉ and the same for columns.
    static func adaptiveRange(_ i: Int, input: Int, output: Int) -> Range<Int> {
        (i * input / output)..<(((i + 1) * input + output - 1) / output)
    }

    @inline(__always)
    static func forEachAdaptiveTap(_ g: AdaptivePoolGeometry,
                                   _ body: (_ plane: Int, _ cell: Int, _ area: Int, _ ih: Int, _ iw: Int) -> Void) {
        for plane in 0..<(g.batch * g.channels) {
            for i in 0..<g.outHeight {
                let rows = adaptiveRange(i, input: g.inHeight, output: g.outHeight)
                for j in 0..<g.outWidth {
                    let columns = adaptiveRange(j, input: g.inWidth, output: g.outWidth)
                    for ih in rows { for iw in columns { body(plane, i * g.outWidth + j, rows.count * columns.count, ih, iw) } }
                }
            }
        }
    }

    static func adaptiveAvgPool(_ g: AdaptivePoolGeometry, x: [Float]) -> [Float] {
        let outPlane = g.outHeight * g.outWidth, inPlane = g.inHeight * g.inWidth
        var sum = [Double](repeating: 0, count: g.batch * g.channels * outPlane)
        var area = [Double](repeating: 1, count: outPlane)
        forEachAdaptiveTap(g) { plane, cell, n, ih, iw in
            sum[plane * outPlane + cell] += Double(x[plane * inPlane + ih * g.inWidth + iw])
            area[cell] = Double(n)
        }
        return sum.indices.map { Float(sum[$0] / area[$0 % outPlane]) }
    }

    static func adaptiveAvgPoolBackward(_ g: AdaptivePoolGeometry, dy: [Float]) -> [Float] {
        let outPlane = g.outHeight * g.outWidth, inPlane = g.inHeight * g.inWidth
        var dx = [Double](repeating: 0, count: g.batch * g.channels * inPlane)
        forEachAdaptiveTap(g) { plane, cell, n, ih, iw in
            dx[plane * inPlane + ih * g.inWidth + iw] += Double(dy[plane * outPlane + cell]) / Double(n)
        }
        return dx.map { Float($0) }
    }
}
