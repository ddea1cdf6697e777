import Engine
import NetIR

/// conv2d and its two backward ops, as direct loops over the formula
/// `y[n,o,i,j] = act(b[o] + Σ_{c,p,q} w[o,c,p,q] · x[n, g·Cg + c, i·sH - pH + p·dH, j·sW - pW + q·dW])`.
/// The backward ops walk exactly the same index set, so they are the forward loop read in reverse.
extension Reference {
    /// Calls `body(y, w, x)` with the flat indices of every term `w[o,c,p,q] · x[n, g·Cg + c, ih, iw]` that
    /// contributes to `y[n,o,i,j]` (input position `ih = i·sH - pH + p·dH`, `iw = j·sW - pW + q·dW`). Terms that
    /// fall in the padding contribute nothing, so they are skipped.
    @inline(__always)
    static func forEachConvTerm(_ g: ConvGeometry, _ body: (_ y: Int, _ w: Int, _ x: Int) -> Void) {
        let inPerGroup = g.inChannels / g.groups
        let outPerGroup = g.outChannels / g.groups
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                let group = o / outPerGroup
                for i in 0..<g.outHeight {
                    for j in 0..<g.outWidth {
                        let y = ((n * g.outChannels + o) * g.outHeight + i) * g.outWidth + j
                        for c in 0..<inPerGroup {
                            let inPlane = (n * g.inChannels + group * inPerGroup + c) * g.inHeight
                            for p in 0..<g.kernelH {
                                let ih = i * g.strideH - g.padH + p * g.dilationH
                                if ih < 0 || ih >= g.inHeight { continue }
                                for q in 0..<g.kernelW {
                                    let iw = j * g.strideW - g.padW + q * g.dilationW
                                    if iw < 0 || iw >= g.inWidth { continue }
                                    let w = ((o * inPerGroup + c) * g.kernelH + p) * g.kernelW + q
                                    body(y, w, (inPlane + ih) * g.inWidth + iw)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The operand sizes the geometry implies. Checked once per call so that the term loop, whose indices are in
    /// range by construction, can read through unchecked buffers.
    static func checkSizes(_ g: ConvGeometry, x: Int, weight: Int, y: Int) {
        precondition(x == g.batch * g.inChannels * g.inputPlane && weight == g.outChannels * g.patchSize
                     && y == g.batch * g.outChannels * g.outputPlane, "conv2d operands do not match \(g)")
    }

    static func conv2d(_ g: ConvGeometry, x: [Float], weight: [Float], bias: [Float]?, activation: Activation?) -> [Float] {
        var sum = [Double](repeating: 0, count: g.batch * g.outChannels * g.outputPlane)
        checkSizes(g, x: x.count, weight: weight.count, y: sum.count)
        sum.withUnsafeMutableBufferPointer { sum in
            x.withUnsafeBufferPointer { x in
                weight.withUnsafeBufferPointer { w in
                    forEachConvTerm(g) { yi, wi, xi in sum[yi] += Double(w[wi]) * Double(x[xi]) }
                }
            }
        }
        var y = [Float](repeating: 0, count: sum.count)
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                for s in 0..<g.outputPlane {
                    let k = (n * g.outChannels + o) * g.outputPlane + s
                    y[k] = activate(activation, Float(sum[k] + Double(bias?[o] ?? 0)))
                }
            }
        }
        return y
    }

    /// dx[n, cIn, ih, iw] = Σ over the terms that read that input of w · dy.
    static func conv2dBackwardData(_ g: ConvGeometry, dy: [Float], weight: [Float]) -> [Float] {
        var dx = [Double](repeating: 0, count: g.batch * g.inChannels * g.inputPlane)
        checkSizes(g, x: dx.count, weight: weight.count, y: dy.count)
        dx.withUnsafeMutableBufferPointer { dx in
            dy.withUnsafeBufferPointer { dy in
                weight.withUnsafeBufferPointer { w in
                    forEachConvTerm(g) { yi, wi, xi in dx[xi] += Double(w[wi]) * Double(dy[yi]) }
                }
            }
        }
        return dx.map { Float($0) }
    }

    /// dW[o, c, p, q] = Σ_{n,i,j} dy · x at the tap's input position; dB[o] = Σ_{n,i,j} dy.
    static func conv2dBackwardFilter(_ g: ConvGeometry, x: [Float], dy: [Float]) -> (dWeight: [Float], dBias: [Float]) {
        var dw = [Double](repeating: 0, count: g.outChannels * g.patchSize)
        checkSizes(g, x: x.count, weight: dw.count, y: dy.count)
        dw.withUnsafeMutableBufferPointer { dw in
            x.withUnsafeBufferPointer { x in
                dy.withUnsafeBufferPointer { dy in
                    forEachConvTerm(g) { yi, wi, xi in dw[wi] += Double(dy[yi]) * Double(x[xi]) }
                }
            }
        }
        var db = [Double](repeating: 0, count: g.outChannels)
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                for s in 0..<g.outputPlane { db[o] += Double(dy[(n * g.outChannels + o) * g.outputPlane + s]) }
            }
        }
        return (dw.map { Float($0) }, db.map { Float($0) })
    }
}
