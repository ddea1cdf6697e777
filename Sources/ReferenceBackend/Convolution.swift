import Engine
import NetIR

/// conv2d and its two backward ops, as direct loops over the formula
/// `y[n,o,i,j] = act(b[o] + Σ_{c,p,q} w[o,c,p,q] · x[n, g·Cg + c, i·sH - pH + p·dH, j·sW - pW + q·dW])`.
/// The backward ops walk exactly the same index set, so they are the forward loop read in reverse.
extension Reference {
    /// Calls `body(n, o, i, j, cIn, c, p, q, ih, iw)` for every term of the convolution sum whose input position
    /// lies inside the input: output (n, o, i, j), absolute input channel `cIn`, channel `c` within the group,
    /// kernel tap (p, q), input position (ih, iw). Padding contributes nothing, so it is simply skipped.
    @inline(__always)
    static func forEachConvTerm(_ g: ConvGeometry, _ body: (_ n: Int, _ o: Int, _ i: Int, _ j: Int, _ cIn: Int,
                                                           _ c: Int, _ p: Int, _ q: Int, _ ih: Int, _ iw: Int) -> Void) {
        let inPerGroup = g.inChannels / g.groups
        let outPerGroup = g.outChannels / g.groups
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                let group = o / outPerGroup
                for i in 0..<g.outHeight {
                    for j in 0..<g.outWidth {
                        for c in 0..<inPerGroup {
                            for p in 0..<g.kernelH {
                                let ih = i * g.strideH - g.padH + p * g.dilationH
                                if ih < 0 || ih >= g.inHeight { continue }
                                for q in 0..<g.kernelW {
                                    let iw = j * g.strideW - g.padW + q * g.dilationW
                                    if iw < 0 || iw >= g.inWidth { continue }
                                    body(n, o, i, j, group * inPerGroup + c, c, p, q, ih, iw)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @inline(__always)
    static func inputIndex(_ g: ConvGeometry, _ n: Int, _ c: Int, _ h: Int, _ w: Int) -> Int {
        ((n * g.inChannels + c) * g.inHeight + h) * g.inWidth + w
    }

    @inline(__always)
    static func outputIndex(_ g: ConvGeometry, _ n: Int, _ o: Int, _ i: Int, _ j: Int) -> Int {
        ((n * g.outChannels + o) * g.outHeight + i) * g.outWidth + j
    }

    @inline(__always)
    static func weightIndex(_ g: ConvGeometry, _ o: Int, _ c: Int, _ p: Int, _ q: Int) -> Int {
        ((o * (g.inChannels / g.groups) + c) * g.kernelH + p) * g.kernelW + q
    }

    static func conv2d(_ g: ConvGeometry, x: [Float], weight: [Float], bias: [Float]?, activation: Activation?) -> [Float] {
        var sum = [Double](repeating: 0, count: g.batch * g.outChannels * g.outputPlane)
        forEachConvTerm(g) { n, o, i, j, cIn, c, p, q, ih, iw in
            sum[outputIndex(g, n, o, i, j)] += Double(weight[weightIndex(g, o, c, p, q)]) * Double(x[inputIndex(g, n, cIn, ih, iw)])
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
        forEachConvTerm(g) { n, o, i, j, cIn, c, p, q, ih, iw in
            dx[inputIndex(g, n, cIn, ih, iw)] += Double(weight[weightIndex(g, o, c, p, q)]) * Double(dy[outputIndex(g, n, o, i, j)])
        }
        return dx.map { Float($0) }
    }

    /// dW[o, c, p, q] = Σ_{n,i,j} dy · x at the tap's input position; dB[o] = Σ_{n,i,j} dy.
    static func conv2dBackwardFilter(_ g: ConvGeometry, x: [Float], dy: [Float]) -> (dWeight: [Float], dBias: [Float]) {
        var dw = [Double](repeating: 0, count: g.outChannels * g.patchSize)
        forEachConvTerm(g) { n, o, i, j, cIn, c, p, q, ih, iw in
            dw[weightIndex(g, o, c, p, q)] += Double(dy[outputIndex(g, n, o, i, j)]) * Double(x[inputIndex(g, n, cIn, ih, iw)])
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
