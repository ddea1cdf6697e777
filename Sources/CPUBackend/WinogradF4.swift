/// Winograd F(4×4, 3×3)'s transforms (interpolation points 0, ±1, ±2, ∞; Lavin & Gray 2015), for
/// `WinogradConvolution` with `tile == 4`:
///
///     Bᵀ = [4  0 -5  0 1 0]     G = [ 1/4     0    0 ]     Aᵀ = [1 1  1 1  1 0]
///          [0 -4 -4  1 1 0]         [-1/6  -1/6 -1/6 ]          [0 1 -1 2 -2 0]
///          [0  4 -4 -1 1 0]         [-1/6   1/6 -1/6 ]          [0 1  1 4  4 0]
///          [0 -2 -1  2 1 0]         [1/24  1/12  1/6 ]          [0 1 -1 8 -8 1]
///          [0  2 -1 -2 1 0]         [1/24 -1/12  1/6 ]
///          [0  4  0 -5 0 1]         [  0     0    1  ]
///
/// Transformed tiles have 36 positions ξ = 6i + j. The input and gradient transforms run four tiles of a tile row
/// at once (lane l = tile tj + l): the input's column pass over whole rows of the padded plane, then its row pass
/// on the stride-4 columns split out of those rows; output tiles go to a plane whose width is a whole number of
/// four-tile groups (lanes past the map's last tile compute on padding and are not stored), then to y.
extension WinogradConvolution {
    /// Tiles of a tile row rounded up to whole groups of four.
    private var groupTiles: Int { (tilesW + 3) / 4 * 4 }
    /// Width of the output-tile plane (forward) and the zero-bordered dy plane (weight gradient).
    private var planeWidth: Int { 4 * groupTiles }
    /// Width of one row of the input's column pass: the row pass reads up to 20 floats past a group's start
    /// (a multiple of 8, the column pass's vector).
    private var rowWidth: Int { planeWidth + 8 }
    /// Floats the column pass may read past the padded plane's last row.
    var f4RowFloats: Int { rowWidth }
    /// The column pass's six rows, then the output / dy plane.
    var f4ScratchFloats: Int { 6 * rowWidth + 4 * tilesH * planeWidth }

    private func outputPlane(_ scratch: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> { scratch + 6 * rowWidth }

    // MARK: weights

    /// U_ξ[k][c] = (G g_kc Gᵀ)_ξ.
    func f4Transform(weights w: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>) {
        let kc = k * c
        for kk in 0..<k {
            for cc in 0..<c {
                var f = SIMD16<Float>()
                if flipped {
                    let src = w + (cc * k + kk) * 9
                    for i in 0..<9 { f[i] = src[8 - i] }
                } else {
                    let src = w + (kk * c + cc) * 9
                    for i in 0..<9 { f[i] = src[i] }
                }
                // t = G f (6×3) by columns q of f (t_q[i] = t[i][q]); then row i of t times Gᵀ.
                let t0 = Self.gRows(f[0], f[3], f[6]), t1 = Self.gRows(f[1], f[4], f[7]), t2 = Self.gRows(f[2], f[5], f[8])
                let dst = u + kk * c + cc
                for i in 0..<6 {
                    let row = Self.gRows(t0[i], t1[i], t2[i])
                    for j in 0..<6 { dst[(6 * i + j) * kc] = row[j] }
                }
            }
        }
    }

    /// G (g0, g1, g2)ᵀ (six values; lanes 6 and 7 zero).
    @inline(__always)
    private static func gRows(_ g0: Float, _ g1: Float, _ g2: Float) -> SIMD8<Float> {
        let s = g0 + g2
        return SIMD8(0.25 * g0, -(s + g1) / 6, -(s - g1) / 6, g0 / 24 + g1 / 12 + g2 / 6, g0 / 24 - g1 / 12 + g2 / 6, g2, 0, 0)
    }

    /// dW[k][c] (=|+=) Gᵀ dU_kc G, the weight gradient from the transformed one.
    func f4FilterTransform(_ du: UnsafePointer<Float>, _ dw: UnsafeMutablePointer<Float>, overwrite: Bool) {
        let kc = k * c
        for i in 0..<kc {
            // t = Gᵀ dU (3×6) by columns j of dU (t_j[r] = t[r][j]); then row r of t times G.
            var t = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
            for j in 0..<6 {
                let col = Self.gTransposed(du[j * kc + i], du[(6 + j) * kc + i], du[(12 + j) * kc + i],
                                           du[(18 + j) * kc + i], du[(24 + j) * kc + i], du[(30 + j) * kc + i])
                t.0[j] = col[0]; t.1[j] = col[1]; t.2[j] = col[2]
            }
            let dst = dw + i * 9
            func put(_ r: Int, _ row: SIMD8<Float>) {
                let out = Self.gTransposed(row[0], row[1], row[2], row[3], row[4], row[5])
                for q in 0..<3 { dst[3 * r + q] = overwrite ? out[q] : dst[3 * r + q] + out[q] }
            }
            put(0, t.0); put(1, t.1); put(2, t.2)
        }
    }

    /// Gᵀ u for six values u (three results; lane 3 zero).
    @inline(__always)
    private static func gTransposed(_ u0: Float, _ u1: Float, _ u2: Float, _ u3: Float, _ u4: Float, _ u5: Float) -> SIMD4<Float> {
        let plus = u1 + u2, minus = u1 - u2, plus34 = u3 + u4, minus34 = u3 - u4
        return SIMD4(0.25 * u0 - plus / 6 + plus34 / 24, -minus / 6 + minus34 / 12, -plus / 6 + plus34 / 6 + u5, 0)
    }

    // MARK: input

    /// Bᵀ d for six values along one direction (each lane independent).
    @inline(__always)
    private static func bt<V: SIMD>(_ d0: V, _ d1: V, _ d2: V, _ d3: V, _ d4: V, _ d5: V) -> (V, V, V, V, V, V)
        where V.Scalar == Float {
        let a = d4 - 4 * d2, b = d3 - 4 * d1, e = d4 - d2, f = 2 * (d3 - d1)
        return (4 * d0 - 5 * d2 + d4, a + b, a - b, e + f, e - f, 4 * d1 - 5 * d3 + d5)
    }

    /// V_ξ[c][t] for every tile of one channel's padded plane: `dst` is its first tile's entry at ξ = 0, ξ apart
    /// by `stride`, with `room` entries from there to the end of V's row. `rowScratch` holds the column pass's six rows.
    func f4InputTransform(_ padded: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ stride: Int, room: Int,
                          rowScratch: UnsafeMutablePointer<Float>) {
        let width = rowWidth
        for ti in 0..<tilesH {
            // Column pass: row i of Bᵀ d for every column of this tile row's six input rows that the row pass reads.
            let top = padded + 4 * ti * paddedW
            var col = 0
            while col < width {
                @inline(__always) func load(_ r: Int) -> SIMD8<Float> { UnsafeRawPointer(top + r * paddedW + col).loadUnaligned(as: SIMD8<Float>.self) }
                let t = Self.bt(load(0), load(1), load(2), load(3), load(4), load(5))
                @inline(__always) func put(_ i: Int, _ value: SIMD8<Float>) {
                    UnsafeMutableRawPointer(rowScratch + i * width + col).storeBytes(of: value, as: SIMD8<Float>.self)
                }
                put(0, t.0); put(1, t.1); put(2, t.2); put(3, t.3); put(4, t.4); put(5, t.5)
                col += 8
            }
            // Row pass on four tiles at a time: column q of tile tj + l is row element 4(tj + l) + q.
            var tj = 0
            while tj < tilesW {
                let lanes = lanesToStore(ti * tilesW + tj, room: room, tj: tj)
                let out = dst + ti * tilesW + tj
                for i in 0..<6 {
                    let row = rowScratch + i * width + 4 * tj
                    let s0 = UnsafeRawPointer(row).loadUnaligned(as: SIMD16<Float>.self)
                    let s1 = UnsafeRawPointer(row + 4).loadUnaligned(as: SIMD16<Float>.self)
                    let v = Self.bt(s0.evenHalf.evenHalf, s0.oddHalf.evenHalf, s0.evenHalf.oddHalf, s0.oddHalf.oddHalf,
                                    s1.evenHalf.evenHalf, s1.oddHalf.evenHalf)
                    Self.storeLanes(v.0, out + (6 * i) * stride, lanes); Self.storeLanes(v.1, out + (6 * i + 1) * stride, lanes)
                    Self.storeLanes(v.2, out + (6 * i + 2) * stride, lanes); Self.storeLanes(v.3, out + (6 * i + 3) * stride, lanes)
                    Self.storeLanes(v.4, out + (6 * i + 4) * stride, lanes); Self.storeLanes(v.5, out + (6 * i + 5) * stride, lanes)
                }
                tj += 4
            }
        }
    }

    /// Lanes of a four-tile group to store at entry `t` of a row with `room` entries: all four while they fit in
    /// the row (lanes past the tile row's end land on the next tile row's or sample's entries, which are written
    /// after them), else only the group's tiles.
    @inline(__always)
    private func lanesToStore(_ t: Int, room: Int, tj: Int) -> Int { t + 4 <= room ? 4 : min(4, tilesW - tj) }

    /// The first `lanes` lanes of `v` to p[0 ..< lanes].
    @inline(__always)
    private static func storeLanes(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>, _ lanes: Int) {
        if lanes == 4 {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
        } else {
            for l in 0..<lanes { p[l] = v[l] }
        }
    }

    // MARK: output

    /// Aᵀ m for six values along one direction.
    @inline(__always)
    private static func at(_ m0: SIMD4<Float>, _ m1: SIMD4<Float>, _ m2: SIMD4<Float>, _ m3: SIMD4<Float>,
                           _ m4: SIMD4<Float>, _ m5: SIMD4<Float>) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
        let p12 = m1 + m2, d12 = m1 - m2, p34 = m3 + m4, d34 = m3 - m4
        return (m0 + p12 + p34, d12 + 2 * d34, p12 + 4 * p34, d12 + 8 * d34 + m5)
    }

    /// Lanes l of four vectors b0..b3 as floats 4l + q (q the vector's index).
    @inline(__always)
    private static func interleave(_ b0: SIMD4<Float>, _ b1: SIMD4<Float>, _ b2: SIMD4<Float>, _ b3: SIMD4<Float>) -> SIMD16<Float> {
        SIMD16(b0[0], b1[0], b2[0], b3[0], b0[1], b1[1], b2[1], b3[1], b0[2], b1[2], b2[2], b3[2], b0[3], b1[3], b2[3], b3[3])
    }

    /// y (=|+=) Aᵀ m A for every tile of one sample (m_ξ = M_ξ[k][tile0 + t]), through the tile plane in `scratch`.
    func f4OutputTransform(_ m: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, tile0: Int, ld: Int,
                           accumulate: Bool, plane scratch: UnsafeMutablePointer<Float>) {
        let oh = g.outHeight, ow = g.outWidth, stride = positionStride(k, ld), pw = planeWidth
        let plane = outputPlane(scratch)
        for kk in 0..<k {
            let src = m + kk * ld + tile0
            for ti in 0..<tilesH {
                var tj = 0
                while tj < tilesW {
                    // Lanes past the last tile read the next tile row's entries (or M's slack) and are not stored.
                    let p = src + ti * tilesW + tj
                    @inline(__always) func load(_ xi: Int) -> SIMD4<Float> { UnsafeRawPointer(p + xi * stride).loadUnaligned(as: SIMD4<Float>.self) }
                    @inline(__always) func row(_ i: Int) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
                        Self.at(load(6 * i), load(6 * i + 1), load(6 * i + 2), load(6 * i + 3), load(6 * i + 4), load(6 * i + 5))
                    }
                    let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3), r4 = row(4), r5 = row(5)
                    let c0 = Self.at(r0.0, r1.0, r2.0, r3.0, r4.0, r5.0), c1 = Self.at(r0.1, r1.1, r2.1, r3.1, r4.1, r5.1)
                    let c2 = Self.at(r0.2, r1.2, r2.2, r3.2, r4.2, r5.2), c3 = Self.at(r0.3, r1.3, r2.3, r3.3, r4.3, r5.3)
                    // c_b.a is output (a, b) of each lane's tile.
                    let out = plane + 4 * ti * pw + 4 * tj
                    @inline(__always) func put(_ a: Int, _ v: SIMD16<Float>) { UnsafeMutableRawPointer(out + a * pw).storeBytes(of: v, as: SIMD16<Float>.self) }
                    put(0, Self.interleave(c0.0, c1.0, c2.0, c3.0)); put(1, Self.interleave(c0.1, c1.1, c2.1, c3.1))
                    put(2, Self.interleave(c0.2, c1.2, c2.2, c3.2)); put(3, Self.interleave(c0.3, c1.3, c2.3, c3.3))
                    tj += 4
                }
            }
            let yk = y + kk * oh * ow
            for r in 0..<oh {
                let from = plane + r * pw, to = yk + r * ow
                if accumulate {
                    for q in 0..<ow { to[q] += from[q] }
                } else {
                    to.update(from: from, count: ow)
                }
            }
        }
    }

    // MARK: gradient

    /// Zeroes the dy plane once per call: only its map-sized corner is written, so its border stays zero.
    func f4ClearGradientPlane(_ scratch: UnsafeMutablePointer<Float>) {
        outputPlane(scratch).update(repeating: 0, count: 4 * tilesH * planeWidth)
    }

    /// A dy_t for six values from four (A = (Aᵀ)ᵀ), along one direction.
    @inline(__always)
    private static func a(_ d0: SIMD4<Float>, _ d1: SIMD4<Float>, _ d2: SIMD4<Float>, _ d3: SIMD4<Float>)
        -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
        let p02 = d0 + d2, p13 = d1 + d3, e = d0 + 4 * d2, f = 2 * d1 + 8 * d3
        return (d0, p02 + p13, p02 - p13, e + f, e - f, d3)
    }

    /// dM_ξ[k][tile0 + t] = (A dy Aᵀ)_ξ for every 4×4 tile of one sample's dy (zero outside the map), through the
    /// zero-bordered plane in `scratch` (`f4ClearGradientPlane` first).
    func f4GradientTransform(_ dy: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>, tile0: Int, ld: Int,
                             plane scratch: UnsafeMutablePointer<Float>) {
        let oh = g.outHeight, ow = g.outWidth, stride = positionStride(k, ld), pw = planeWidth
        let plane = outputPlane(scratch)
        for kk in 0..<k {
            let yk = dy + kk * oh * ow
            for r in 0..<oh { (plane + r * pw).update(from: yk + r * ow, count: ow) }
            let dst = m + kk * ld + tile0
            for ti in 0..<tilesH {
                var tj = 0
                while tj < tilesW {
                    let lanes = lanesToStore(tile0 + ti * tilesW + tj, room: ld, tj: tj)
                    let top = plane + 4 * ti * pw + 4 * tj
                    // d_a.b: dy (a, b) of each lane's tile.
                    @inline(__always) func row(_ a: Int) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
                        let s = UnsafeRawPointer(top + a * pw).loadUnaligned(as: SIMD16<Float>.self)
                        return (s.evenHalf.evenHalf, s.oddHalf.evenHalf, s.evenHalf.oddHalf, s.oddHalf.oddHalf)
                    }
                    let d0 = row(0), d1 = row(1), d2 = row(2), d3 = row(3)
                    // Along a (rows), per column b: t_b.i = (A d_·b)_i; then along b for each i.
                    let t0 = Self.a(d0.0, d1.0, d2.0, d3.0), t1 = Self.a(d0.1, d1.1, d2.1, d3.1)
                    let t2 = Self.a(d0.2, d1.2, d2.2, d3.2), t3 = Self.a(d0.3, d1.3, d2.3, d3.3)
                    let out = dst + ti * tilesW + tj
                    @inline(__always) func put(_ i: Int, _ t: (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>)) {
                        Self.storeLanes(t.0, out + (6 * i) * stride, lanes); Self.storeLanes(t.1, out + (6 * i + 1) * stride, lanes)
                        Self.storeLanes(t.2, out + (6 * i + 2) * stride, lanes); Self.storeLanes(t.3, out + (6 * i + 3) * stride, lanes)
                        Self.storeLanes(t.4, out + (6 * i + 4) * stride, lanes); Self.storeLanes(t.5, out + (6 * i + 5) * stride, lanes)
                    }
                    put(0, Self.a(t0.0, t1.0, t2.0, t3.0)); put(1, Self.a(t0.1, t1.1, t2.1, t3.1))
                    put(2, Self.a(t0.2, t1.2, t2.2, t3.2)); put(3, Self.a(t0.3, t1.3, t2.3, t3.3))
                    put(4, Self.a(t0.4, t1.4, t2.4, t3.4)); put(5, Self.a(t0.5, t1.5, t2.5, t3.5))
                    tj += 4
                }
            }
        }
    }
}
