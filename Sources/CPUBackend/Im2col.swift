import Engine

/// im2col / col2im for one group of one sample. Row r of the column matrix is (channel c, kernel row p, kernel
/// column q) = c·kH·kW + p·kW + q; column j is output position (j / outW, j % outW). Unit-stride rows are
/// copied as zero | contiguous | zero segments; other strides gather element by element.
struct Im2col {
    let g: ConvGeometry

    /// Rows for channels `channels` (relative to `x`, the group's first input channel) and output columns
    /// `columns`, written to `col` with row stride `columns.count`.
    func gather(_ x: UnsafePointer<Float>, channels: Range<Int>, columns: Range<Int>, _ col: UnsafeMutablePointer<Float>) {
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

    /// dx[channels] += col (rows for `channels`, all output columns, row stride outH·outW).
    func scatterAdd(_ col: UnsafePointer<Float>, channels: Range<Int>, _ dx: UnsafeMutablePointer<Float>) {
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
}
