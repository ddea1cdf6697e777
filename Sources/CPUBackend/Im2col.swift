import Engine

/// im2col / col2im for one group of one sample. Row r of the column matrix is (channel c, kernel row p, kernel
/// column q) = c·kH·kW + p·kW + q; column j is output position (j / outW, j % outW). Unit-stride rows are
/// copied as zero | contiguous | zero segments; other strides gather element by element.
struct Im2col {
    let g: ConvGeometry

    /// Floats of scratch `gather` needs after the column matrix (one zero-padded input plane), 0 when it takes
    /// the general path.
    static func scratchFloats(_ g: ConvGeometry) -> Int {
        usesPaddedPlane(g) ? (g.inHeight + 2 * g.padH) * (g.inWidth + 2 * g.padW) : 0
    }

    /// Narrow maps with horizontal stride 1 or 2: each output row is a handful of floats, and splitting it into
    /// zero | copy | zero segments costs more in calls than in bytes (7x7 maps: 4.2 ms per 128 samples of
    /// resnet8's 576-row im2col vs 2.1 ms copying rows of a zero-padded plane); at stride 2 the general path's
    /// per-element bounds checks made s2_conv1's im2col cost more than its GEMM.
    static func usesPaddedPlane(_ g: ConvGeometry) -> Bool {
        (g.strideW == 1 || g.strideW == 2) && g.dilationW == 1 && g.outWidth < 32
    }

    /// Rows for channels `channels` (relative to `x`, the group's first input channel) and output columns
    /// `columns`, written to `col` with row stride `columns.count`. `scratch` holds `scratchFloats(g)` floats.
    func gather(_ x: UnsafePointer<Float>, channels: Range<Int>, columns: Range<Int>, _ col: UnsafeMutablePointer<Float>,
                scratch: UnsafeMutablePointer<Float>? = nil) {
        if let scratch, Self.usesPaddedPlane(g), !columns.isEmpty, columns.lowerBound % g.outWidth == 0,
           columns.upperBound % g.outWidth == 0 {
            gatherFromPaddedPlane(x, channels: channels, rows: columns.lowerBound / g.outWidth..<columns.upperBound / g.outWidth,
                                  col, scratch)
            return
        }
        let ow = g.outWidth, inH = g.inHeight, inW = g.inWidth, ld = columns.count
        var row = col
        for c in channels {
            let xc = x + c * inH * inW
            for p in 0..<g.kernelH {
                for q in 0..<g.kernelW {
                    let dh = p * g.dilationH - g.padH, dw = q * g.dilationW - g.padW
                    var j = columns.lowerBound
                    while j < columns.upperBound {
                        let i = j / ow, start = j - i * ow
                        let end = min(ow, start + columns.upperBound - j)
                        let dst = row + (j - columns.lowerBound)
                        let ih = i * g.strideH + dh
                        if ih < 0 || ih >= inH {
                            dst.update(repeating: 0, count: end - start)
                        } else {
                            let src = xc + ih * inW
                            if g.strideW == 1 {
                                // iw = jj + dw valid for jj in [-dw, inW - dw)
                                let lo = min(max(start, -dw), end), hi = max(min(end, inW - dw), lo)
                                if lo > start { dst.update(repeating: 0, count: lo - start) }
                                if hi > lo { (dst + (lo - start)).update(from: src + lo + dw, count: hi - lo) }
                                if end > hi { (dst + (hi - start)).update(repeating: 0, count: end - hi) }
                            } else {
                                for jj in start..<end {
                                    let iw = jj * g.strideW + dw
                                    dst[jj - start] = iw >= 0 && iw < inW ? src[iw] : 0
                                }
                            }
                        }
                        j += end - start
                    }
                    row += ld
                }
            }
        }
    }

    /// Output rows `rows` (all of them, or one worker's share at batch 1): each channel's input rows those output
    /// rows read are copied into a window of the plane with its zero border, then every (kernel row, kernel
    /// column, output row) is one bounds-free copy of outW floats (every other float at stride 2). `col` has
    /// row stride rows.count·outW.
    private func gatherFromPaddedPlane(_ x: UnsafePointer<Float>, channels: Range<Int>, rows: Range<Int>,
                                       _ col: UnsafeMutablePointer<Float>, _ plane: UnsafeMutablePointer<Float>) {
        let inH = g.inHeight, inW = g.inWidth, ph = g.padH, pw = g.padW
        let paddedW = inW + 2 * pw, ow = g.outWidth, sH = g.strideH
        // Padded rows first0 ..< first0 + windowRows; of them, input rows inputRows (the rest are border).
        let first0 = rows.lowerBound * sH
        let windowRows = (rows.count - 1) * sH + (g.kernelH - 1) * g.dilationH + 1
        let firstInput = max(0, first0 - ph)
        let inputRows = firstInput..<max(firstInput, min(inH, first0 + windowRows - ph))
        // Border rows once per call (the scratch is shared with other layers); side columns per row below.
        for wr in 0..<windowRows where !inputRows.contains(first0 + wr - ph) {
            (plane + wr * paddedW).update(repeating: 0, count: paddedW)
        }
        let columns = rows.count * ow
        var row = col
        for c in channels {
            let xc = x + c * inH * inW
            for ih in inputRows {
                let d = plane + (ih + ph - first0) * paddedW
                for t in 0..<pw { d[t] = 0; d[pw + inW + t] = 0 }
                Self.copy(d + pw, xc + ih * inW, inW)
            }
            for p in 0..<g.kernelH {
                for q in 0..<g.kernelW {
                    let top = plane + p * g.dilationH * paddedW + q
                    if g.strideW == 1 {
                        for i in 0..<rows.count { Self.copy(row + i * ow, top + i * sH * paddedW, ow) }
                    } else {
                        for i in 0..<rows.count {
                            let d = row + i * ow, s = top + i * sH * paddedW
                            for t in 0..<ow { d[t] = s[2 * t] }
                        }
                    }
                    row += columns
                }
            }
        }
    }

    /// n floats, four at a time: a plain loop here becomes a memcpy call, which is what made short rows slow.
    @inline(__always)
    static func copy(_ d: UnsafeMutablePointer<Float>, _ s: UnsafePointer<Float>, _ n: Int) {
        var t = 0
        while t + 4 <= n {
            UnsafeMutableRawPointer(d + t).storeBytes(of: UnsafeRawPointer(s + t).loadUnaligned(as: SIMD4<Float>.self),
                                                      as: SIMD4<Float>.self)
            t += 4
        }
        while t < n { d[t] = s[t]; t += 1 }
    }

    /// dx[channels] += col (rows for `channels`, all output columns, row stride outH·outW). `scratch` holds
    /// `scratchFloats(g)` floats.
    func scatterAdd(_ col: UnsafePointer<Float>, channels: Range<Int>, _ dx: UnsafeMutablePointer<Float>,
                    scratch: UnsafeMutablePointer<Float>? = nil) {
        if let scratch, Self.usesPaddedPlane(g) {
            scatterAddThroughPaddedPlane(col, channels: channels, dx, scratch)
            return
        }
        let oh = g.outHeight, ow = g.outWidth, inH = g.inHeight, inW = g.inWidth, plane = oh * ow
        var row = col
        for c in channels {
            let dxc = dx + c * inH * inW
            for p in 0..<g.kernelH {
                for q in 0..<g.kernelW {
                    let dh = p * g.dilationH - g.padH, dw = q * g.dilationW - g.padW
                    for i in 0..<oh {
                        let ih = i * g.strideH + dh
                        guard ih >= 0 && ih < inH else { continue }
                        let src = row + i * ow, dst = dxc + ih * inW
                        if g.strideW == 1 {
                            let lo = min(max(0, -dw), ow), hi = max(min(ow, inW - dw), lo)
                            let d = dst + dw
                            for jj in lo..<hi { d[jj] += src[jj] }
                        } else {
                            for jj in 0..<ow {
                                let iw = jj * g.strideW + dw
                                if iw >= 0 && iw < inW { dst[iw] += src[jj] }
                            }
                        }
                    }
                    row += plane
                }
            }
        }
    }

    /// The transpose of `gatherFromPaddedPlane`: each channel's rows are added into a zeroed plane with its border
    /// (bounds-free), and the plane's interior is then added to dx.
    private func scatterAddThroughPaddedPlane(_ col: UnsafePointer<Float>, channels: Range<Int>,
                                              _ dx: UnsafeMutablePointer<Float>, _ plane: UnsafeMutablePointer<Float>) {
        let inH = g.inHeight, inW = g.inWidth, ph = g.padH, pw = g.padW
        let paddedW = inW + 2 * pw, ow = g.outWidth, oh = g.outHeight
        var row = col
        for c in channels {
            plane.update(repeating: 0, count: (inH + 2 * ph) * paddedW)
            for p in 0..<g.kernelH {
                for q in 0..<g.kernelW {
                    let top = plane + p * g.dilationH * paddedW + q
                    for i in 0..<oh {
                        let d = top + i * g.strideH * paddedW, s = row + i * ow
                        if g.strideW == 1 {
                            for t in 0..<ow { d[t] += s[t] }
                        } else {
                            for t in 0..<ow { d[2 * t] += s[t] }
                        }
                    }
                    row += oh * ow
                }
            }
            let dxc = dx + c * inH * inW
            for i in 0..<inH {
                let s = plane + (ph + i) * paddedW + pw, d = dxc + i * inW
                for t in 0..<inW { d[t] += s[t] }
            }
        }
    }
}
