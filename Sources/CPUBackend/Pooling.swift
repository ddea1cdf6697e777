import Engine

/// Max, average and adaptive average pooling over NCHW planes (docs/ops.md). Work is split by plane range
/// (`batch × channels` planes); the common 2×2/stride-2 unpadded max pool has a dedicated loop.
enum PoolingKernels {
    /// y and argmax (`ih·W + iw` of the first maximum in row-major window order; padding is −∞).
    static func maxPool(_ g: PoolGeometry, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                        _ argmax: UnsafeMutablePointer<Int32>, planes: Range<Int>) {
        let inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth
        if g.isPlain2x2 {
            maxPool2x2(g, x, y, argmax, planes: planes)
            return
        }
        for p in planes {
            let xp = x + p * inPlane, yp = y + p * outPlane, ap = argmax + p * outPlane
            for i in 0..<g.outHeight {
                let h0 = i * g.strideH - g.padH
                for j in 0..<g.outWidth {
                    let w0 = j * g.strideW - g.padW
                    var best = -Float.infinity, arg = -1
                    for ph in 0..<g.kernelH {
                        let ih = h0 + ph
                        guard ih >= 0 && ih < g.inHeight else { continue }
                        for pw in 0..<g.kernelW {
                            let iw = w0 + pw
                            guard iw >= 0 && iw < g.inWidth else { continue }
                            let v = xp[ih * g.inWidth + iw]
                            if arg < 0 || v > best { best = v; arg = ih * g.inWidth + iw }
                        }
                    }
                    yp[i * g.outWidth + j] = best
                    ap[i * g.outWidth + j] = Int32(max(arg, 0))
                }
            }
        }
    }

    private static func maxPool2x2(_ g: PoolGeometry, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                   _ argmax: UnsafeMutablePointer<Int32>, planes: Range<Int>) {
        let w = g.inWidth, inPlane = g.inHeight * w, outPlane = g.outHeight * g.outWidth
        for p in planes {
            let xp = x + p * inPlane, yp = y + p * outPlane, ap = argmax + p * outPlane
            for i in 0..<g.outHeight {
                let r0 = xp + 2 * i * w, r1 = r0 + w
                let base = Int32(2 * i * w)
                for j in 0..<g.outWidth {
                    let a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1]
                    var best = a, arg = base + Int32(2 * j)
                    if b > best { best = b; arg = base + Int32(2 * j + 1) }
                    if c > best { best = c; arg = base + Int32(w + 2 * j) }
                    if d > best { best = d; arg = base + Int32(w + 2 * j + 1) }
                    yp[i * g.outWidth + j] = best
                    ap[i * g.outWidth + j] = arg
                }
            }
        }
    }

    /// Scatters dy to the argmax positions; dx is zeroed first unless accumulating.
    static func maxPoolBackward(_ g: PoolGeometry, _ dy: UnsafePointer<Float>, _ argmax: UnsafePointer<Int32>,
                                _ dx: UnsafeMutablePointer<Float>, accumulate: Bool, planes: Range<Int>) {
        let inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth
        for p in planes {
            let dxp = dx + p * inPlane, dyp = dy + p * outPlane, ap = argmax + p * outPlane
            if !accumulate { dxp.update(repeating: 0, count: inPlane) }
            for o in 0..<outPlane { dxp[Int(ap[o])] += dyp[o] }
        }
    }

    @inline(__always)
    private static func window(_ g: PoolGeometry, _ i: Int, _ j: Int) -> (Range<Int>, Range<Int>, Float) {
        let h0 = i * g.strideH - g.padH, w0 = j * g.strideW - g.padW
        let rows = max(h0, 0)..<min(h0 + g.kernelH, g.inHeight)
        let cols = max(w0, 0)..<min(w0 + g.kernelW, g.inWidth)
        let inBounds = max(rows.count, 0) * max(cols.count, 0)
        let divisor = g.countIncludePad ? g.includePadDivisor(i, j) : inBounds
        return (rows, cols, divisor > 0 ? 1 / Float(divisor) : 0)
    }

    static func avgPool(_ g: PoolGeometry, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, planes: Range<Int>) {
        let inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth
        for p in planes {
            let xp = x + p * inPlane, yp = y + p * outPlane
            for i in 0..<g.outHeight {
                for j in 0..<g.outWidth {
                    let (rows, cols, scale) = window(g, i, j)
                    var s: Float = 0
                    for ih in rows { for iw in cols { s += xp[ih * g.inWidth + iw] } }
                    yp[i * g.outWidth + j] = s * scale
                }
            }
        }
    }

    static func avgPoolBackward(_ g: PoolGeometry, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                accumulate: Bool, planes: Range<Int>) {
        let inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth
        for p in planes {
            let dxp = dx + p * inPlane, dyp = dy + p * outPlane
            if !accumulate { dxp.update(repeating: 0, count: inPlane) }
            for i in 0..<g.outHeight {
                for j in 0..<g.outWidth {
                    let (rows, cols, scale) = window(g, i, j)
                    let v = dyp[i * g.outWidth + j] * scale
                    for ih in rows { for iw in cols { dxp[ih * g.inWidth + iw] += v } }
                }
            }
        }
    }

    @inline(__always)
    private static func cell(_ i: Int, _ size: Int, _ out: Int) -> Range<Int> {
        (i * size / out)..<(((i + 1) * size + out - 1) / out)
    }

    static func adaptiveAvgPool(_ g: AdaptivePoolGeometry, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                planes: Range<Int>) {
        let inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth
        if outPlane == 1 {
            let scale = 1 / Float(inPlane)
            for p in planes { y[p] = Reduce.sum(x + p * inPlane, inPlane) * scale }
            return
        }
        for p in planes {
            let xp = x + p * inPlane, yp = y + p * outPlane
            for i in 0..<g.outHeight {
                let rows = cell(i, g.inHeight, g.outHeight)
                for j in 0..<g.outWidth {
                    let cols = cell(j, g.inWidth, g.outWidth)
                    var s: Float = 0
                    for ih in rows { for iw in cols { s += xp[ih * g.inWidth + iw] } }
                    yp[i * g.outWidth + j] = s / Float(rows.count * cols.count)
                }
            }
        }
    }

    static func adaptiveAvgPoolBackward(_ g: AdaptivePoolGeometry, _ dy: UnsafePointer<Float>,
                                        _ dx: UnsafeMutablePointer<Float>, accumulate: Bool, planes: Range<Int>) {
        let inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth
        if outPlane == 1 {
            // Global average pool: every input of the plane gets dy / (H·W).
            let scale = 1 / Float(inPlane)
            for p in planes {
                let v = dy[p] * scale, dxp = dx + p * inPlane
                if accumulate {
                    for i in 0..<inPlane { dxp[i] += v }
                } else {
                    dxp.update(repeating: v, count: inPlane)
                }
            }
            return
        }
        for p in planes {
            let dxp = dx + p * inPlane, dyp = dy + p * outPlane
            if !accumulate { dxp.update(repeating: 0, count: inPlane) }
            for i in 0..<g.outHeight {
                let rows = cell(i, g.inHeight, g.outHeight)
                for j in 0..<g.outWidth {
                    let cols = cell(j, g.inWidth, g.outWidth)
                    let v = dyp[i * g.outWidth + j] / Float(rows.count * cols.count)
                    for ih in rows { for iw in cols { dxp[ih * g.inWidth + iw] += v } }
                }
            }
        }
    }
}

extension PoolingKernels {
    /// Max-pool backward fused with the ReLU backward that consumes it: dx = scatter(dy)·[y > 0], written
    /// without materialising the pool's input gradient (saves two full passes over the largest tensors).
    /// Exact: the scatter target is nonzero only at argmax positions, where the mask is applied.
    static func maxPoolReluBackward(_ g: PoolGeometry, _ dy: UnsafePointer<Float>, _ argmax: UnsafePointer<Int32>,
                                    _ y: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, planes: Range<Int>) {
        let inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth
        for p in planes {
            let dxp = dx + p * inPlane, yp = y + p * inPlane, dyp = dy + p * outPlane, ap = argmax + p * outPlane
            dxp.update(repeating: 0, count: inPlane)
            for o in 0..<outPlane {
                let i = Int(ap[o])
                if yp[i] > 0 { dxp[i] += dyp[o] }
            }
        }
    }
}

extension PoolGeometry {
    /// A 2×2 window, stride 2, no padding, and no ceil_mode window past the input: the pooling kernels' fast case.
    var isPlain2x2: Bool {
        kernelH == 2 && kernelW == 2 && strideH == 2 && strideW == 2 && padH == 0 && padW == 0
            && 2 * outHeight <= inHeight && 2 * outWidth <= inWidth
    }
}
