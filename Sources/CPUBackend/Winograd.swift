import Engine
import NetIR

/// A 3×3, stride-1, undilated, ungrouped convolution as Winograd F(m×m, 3×3) (Lavin & Gray 2015), m = 2 or 4:
/// each m×m output tile is `Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A` for the (m+2)×(m+2) input tile d, so the multiplies
/// become (m+2)² GEMMs `M_ξ[K×T] = U_ξ[K×C] · V_ξ[C×T]` (ξ the positions of the transformed tile, T tiles) with
/// K = C_in: 2.25x (m = 2) or 4x (m = 4) fewer multiply-adds than im2col's one GEMM with K = 9·C_in, and no 9x
/// column matrix. The F(2×2) transforms are here; F(4×4)'s are in WinogradF4.swift (`tile` picks them).
///
/// Used for the forward pass, through `ConvolutionBackwardDataGather`'s transposed geometry (a stride-1
/// convolution of dy with the flipped, transposed kernel) for backward-data, and for backward-filter
/// (`weightGradient`). Samples are processed in chunks of about `targetChunkFloats` transformed floats per channel
/// so each chunk's V and M stay cache-resident and the GEMMs are wide enough (F(2×2) on 7×7 maps: 16 tiles a
/// sample, 16 samples a chunk). Where the CPU has AVX2+FMA the per-position products run on our own
/// register-blocked loops (CVectorKernels' small GEMMs; `VectorKernels.smallGemm`): 1.2-1.8x OpenBLAS at these
/// shapes on one Zen 2 core (16x196x16: 38-50 against 27 GFLOP/s), whose packing of both operands for every call
/// does not pay at K = 16-64.
///
/// Error: F(2×2)'s transforms use only ±1 and ½ (exact scalings), but the sums over 4×4 tiles before and after
/// the products enlarge intermediate values, so rounding grows a few times beyond im2col's; F(4×4)'s use 4, 5,
/// 8 and 1/6, 1/24 (inexact) and grow values more. The op table's Winograd rows (Tests/OpTable/ConvolutionCases.swift)
/// hold all three passes of both to the CPU GEMM bound against the Double reference (`Tolerances.CPU.blas`).
struct WinogradConvolution {
    /// The convolution computed: input x (C × H × W) -> y (K × outH × outW) per sample.
    let g: ConvGeometry
    /// Weights given as the backward-data of `g`'s transpose: W'[k][c][i] = W[c][k][8 - i] (see `transform`).
    let flipped: Bool
    /// Output tile side m (2 or 4) and the positions (m+2)² of a transformed tile.
    let tile, positions: Int
    let c, k, tilesH, tilesW, tilesPerSample, samplesPerChunk: Int
    /// Zero-padded input plane: tile (i, j) reads rows m·i ..< m·i+m+2 and columns m·j ..< m·j+m+2.
    let paddedH, paddedW: Int

    /// Transformed floats (positions x tiles) per channel of a chunk: 4096 keeps a chunk's V and M in L2 at
    /// 64 channels (256 tiles of F(2×2), 113 of F(4×4)).
    static let targetChunkFloats = 4096

    /// Whether Winograd can compute `g`: 3×3, stride 1, no dilation, one group, and at least 16 channels in and out.
    /// Measured (thread CPU time, 1 thread, AVX2 EPYC, resnet8 batch 128): 64 channels on 7×7 and 32 on 14×14 take
    /// 0.5-0.75x the im2col time in all three passes, 16 on 28×28 0.85-0.95x (its K = 16 GEMMs run at 38 GFLOP/s
    /// against 63 for im2col's K = 144, so the 2.25x fewer products gain least there).
    static func qualifies(_ g: ConvGeometry) -> Bool {
        g.kernelH == 3 && g.kernelW == 3 && g.strideH == 1 && g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1
            && g.groups == 1 && g.inChannels >= minimumChannels && g.outChannels >= minimumChannels
            && g.outHeight >= 2 && g.outWidth >= 2
    }

    /// Whether F(4×4) is the better tile for `g`: for no shape yet. It lost to F(2×2) on every resnet8 layer
    /// measured (1.0-1.25x the time on an AVX2 EPYC: fewer products, costlier transforms; Perf/README.md,
    /// "Winograd F(4x4,3x3)"); `LLMATIC_WINOGRAD4=1` takes it everywhere to measure it on other machines.
    static func prefersF4(_ g: ConvGeometry) -> Bool {
        false
    }

    /// Fewest input and output channels for Winograd (below, the transforms cost more than the GEMM saves).
    static let minimumChannels = 16

    /// Fewest samples per worker for Winograd: with fewer, a chunk's GEMMs are too narrow and the weight transform
    /// is paid for too little work (measured: batch 1 slower, batch 8 even, batch 32 and 128 faster).
    static let minimumSamples = 8

    init?(_ g: ConvGeometry, flipped: Bool = false, tile: Int? = nil) {
        guard Self.qualifies(g) else { return nil }
        self.g = g
        self.flipped = flipped
        self.tile = tile ?? Self.tileSize(g)
        precondition(self.tile == 2 || self.tile == 4, "Winograd F(\(self.tile)x\(self.tile), 3x3) is not implemented")
        positions = (self.tile + 2) * (self.tile + 2)
        c = g.inChannels; k = g.outChannels
        tilesH = (g.outHeight + self.tile - 1) / self.tile; tilesW = (g.outWidth + self.tile - 1) / self.tile
        tilesPerSample = tilesH * tilesW
        samplesPerChunk = max(1, min(g.batch, Self.targetChunkFloats / positions / tilesPerSample))
        paddedH = self.tile * tilesH + 2; paddedW = self.tile * tilesW + 2
    }

    /// F(4×4) where `LLMATIC_WINOGRAD4` says so (1: always, 0: never), else by `prefersF4`.
    static func tileSize(_ g: ConvGeometry) -> Int {
        f4Switch.enables(runnable: true, byDefault: prefersF4(g)) ? 4 : 2
    }

    static let f4Switch = MeasurementSwitch("LLMATIC_WINOGRAD4")

    private var chunkTiles: Int { samplesPerChunk * tilesPerSample }
    var weightFloats: Int { positions * k * c }
    /// Floats between consecutive positions ξ of V (rows c·ld) and M (k·ld): one cache line more than the
    /// matrix, so the 16 strided stores of a tile do not all land in one cache set (c·ld·4 bytes is often a
    /// multiple of 4 KiB: 64 channels x 256 tiles made the transforms 3x slower than the GEMMs).
    func positionStride(_ rows: Int, _ ld: Int) -> Int { rows * ld + 16 }

    /// Worker scratch: U, V and M of one chunk, the padded plane, and F(4×4)'s planes (`f4ScratchFloats`).
    var scratchFloats: Int {
        weightFloats + positions * (positionStride(c, chunkTiles) + positionStride(k, chunkTiles)) + paddedFloats
            + (tile == 4 ? f4ScratchFloats : 0)
    }

    /// The padded input plane, with room for F(4×4)'s row pass to read past its end.
    private var paddedFloats: Int { paddedH * paddedW + (tile == 4 ? f4RowFloats : 0) }

    /// Worker scratch split into U (or dU), V, M, the padded input plane and F(4×4)'s planes.
    private func parts(_ scratch: UnsafeMutablePointer<Float>)
        -> (u: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>,
            padded: UnsafeMutablePointer<Float>, f4: UnsafeMutablePointer<Float>) {
        let v = scratch + weightFloats, m = v + positions * positionStride(c, chunkTiles)
        let padded = m + positions * positionStride(k, chunkTiles)
        return (scratch, v, m, padded, padded + paddedFloats)
    }

    /// U_ξ[k][c] = (G g_kc Gᵀ)_ξ.
    func transform(weights w: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>) {
        if tile == 4 { return f4Transform(weights: w, into: u) }
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
                // Rows: t = G f (4×3), then columns: t Gᵀ (4×4).
                var t = SIMD16<Float>()
                for q in 0..<3 {
                    let g0 = f[q], g1 = f[3 + q], g2 = f[6 + q]
                    t[q] = g0
                    t[3 + q] = 0.5 * (g0 + g1 + g2)
                    t[6 + q] = 0.5 * (g0 - g1 + g2)
                    t[9 + q] = g2
                }
                let dst = u + kk * c + cc
                for r in 0..<4 {
                    let g0 = t[3 * r], g1 = t[3 * r + 1], g2 = t[3 * r + 2]
                    dst[(4 * r) * kc] = g0
                    dst[(4 * r + 1) * kc] = 0.5 * (g0 + g1 + g2)
                    dst[(4 * r + 2) * kc] = 0.5 * (g0 - g1 + g2)
                    dst[(4 * r + 3) * kc] = g2
                }
            }
        }
    }

    /// y_n (=|+=) act(conv(x_n) + b) for the samples `samples`; bias and activation only when not accumulating.
    func run(x: UnsafePointer<Float>, w: UnsafePointer<Float>, b: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
             act: Activation?, accumulate: Bool, samples: Range<Int>, scratch: UnsafeMutablePointer<Float>) {
        guard !samples.isEmpty else { return }
        let (u, v, m, padded, f4) = parts(scratch)
        transform(weights: w, into: u)
        padded.update(repeating: 0, count: paddedFloats)
        let inSample = c * g.inputPlane, outSample = k * g.outputPlane
        var n0 = samples.lowerBound
        while n0 < samples.upperBound {
            let count = min(samplesPerChunk, samples.upperBound - n0)
            let tiles = count * tilesPerSample
            for s in 0..<count {
                inputTransform(x + (n0 + s) * inSample, v, tile0: s * tilesPerSample, ld: tiles, padded, f4)
            }
            for xi in 0..<positions {
                let a = u + xi * k * c, b = v + xi * positionStride(c, tiles), product = m + xi * positionStride(k, tiles)
                if VectorKernels.smallGemm && c <= VectorKernels.smallGemmMaximumK {
                    VectorKernels.gemm(m: k, n: tiles, k: c, a, lda: c, b, ldb: tiles, product, ldc: tiles)
                } else {
                    sgemm(GemmShape(m: k, n: tiles, k: c), a, b, product, beta: 0)
                }
            }
            for s in 0..<count {
                let yn = y + (n0 + s) * outSample
                if tile == 4 {
                    f4OutputTransform(m, yn, tile0: s * tilesPerSample, ld: tiles, accumulate: accumulate, plane: f4)
                } else {
                    outputTransform(m, yn, tile0: s * tilesPerSample, ld: tiles, accumulate: accumulate)
                }
                if !accumulate, b != nil || act != nil {
                    for o in 0..<k {
                        let row = yn + o * g.outputPlane
                        ActivationKernels.forward(row, row, g.outputPlane, bias: b?[o] ?? 0, act)
                    }
                }
            }
            n0 += count
        }
    }

    /// Weight gradient over the samples `samples` (not for `flipped`): dU_ξ[K×C] = Σ_t dM_ξ[k][t]·V_ξ[c][t] with
    /// dM = A dy Aᵀ per m×m output tile (GEMMs with the tiles as their long inner dimension), then
    /// dW[k][c] = Gᵀ dU_kc G. Written to `dw` (`overwrite`) or added to it.
    func weightGradient(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                        overwrite: Bool, samples: Range<Int>, scratch: UnsafeMutablePointer<Float>) {
        guard !samples.isEmpty else { return }
        let (du, v, m, padded, f4) = parts(scratch)
        padded.update(repeating: 0, count: paddedFloats)
        if tile == 4 { f4ClearGradientPlane(f4) }
        let inSample = c * g.inputPlane, outSample = k * g.outputPlane
        var n0 = samples.lowerBound, first = true
        while n0 < samples.upperBound {
            let count = min(samplesPerChunk, samples.upperBound - n0)
            let tiles = count * tilesPerSample
            for s in 0..<count {
                inputTransform(x + (n0 + s) * inSample, v, tile0: s * tilesPerSample, ld: tiles, padded, f4)
                if tile == 4 {
                    f4GradientTransform(dy + (n0 + s) * outSample, m, tile0: s * tilesPerSample, ld: tiles, plane: f4)
                } else {
                    gradientTransform(dy + (n0 + s) * outSample, m, tile0: s * tilesPerSample, ld: tiles)
                }
            }
            for xi in 0..<positions {
                let a = m + xi * positionStride(k, tiles), b = v + xi * positionStride(c, tiles), product = du + xi * k * c
                if VectorKernels.smallGemm {
                    VectorKernels.gemmNT(m: k, n: c, k: tiles, a, lda: tiles, b, ldb: tiles, product, ldc: c,
                                         accumulate: !first)
                } else {
                    sgemm(GemmShape(transB: true, m: k, n: c, k: tiles, lda: tiles, ldb: tiles, ldc: c), a, b, product,
                          beta: first ? 0 : 1)
                }
            }
            first = false
            n0 += count
        }
        if tile == 4 { return f4FilterTransform(du, dw, overwrite: overwrite) }
        // dW = Gᵀ dU G, Gᵀ = [1 ½ ½ 0; 0 ½ -½ 0; 0 ½ ½ 1].
        let kc = k * c
        for i in 0..<kc {
            var t = SIMD16<Float>()   // Gᵀ dU: 3 rows x 4 columns
            for q in 0..<4 {
                let u0 = du[q * kc + i], u1 = du[(4 + q) * kc + i], u2 = du[(8 + q) * kc + i], u3 = du[(12 + q) * kc + i]
                t[q] = u0 + 0.5 * (u1 + u2)
                t[4 + q] = 0.5 * (u1 - u2)
                t[8 + q] = 0.5 * (u1 + u2) + u3
            }
            let dst = dw + i * 9
            for r in 0..<3 {
                let u0 = t[4 * r], u1 = t[4 * r + 1], u2 = t[4 * r + 2], u3 = t[4 * r + 3]
                let a = u0 + 0.5 * (u1 + u2), b = 0.5 * (u1 - u2), e = 0.5 * (u1 + u2) + u3
                if overwrite {
                    dst[3 * r] = a; dst[3 * r + 1] = b; dst[3 * r + 2] = e
                } else {
                    dst[3 * r] += a; dst[3 * r + 1] += b; dst[3 * r + 2] += e
                }
            }
        }
    }

    /// dM_ξ[k][tile0 + t] = (A dy Aᵀ)_ξ for each 2×2 tile of dy (zero outside the map), A = [1 0; 1 1; 1 -1; 0 -1].
    private func gradientTransform(_ dy: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>, tile0: Int, ld: Int) {
        let oh = g.outHeight, ow = g.outWidth, xiStride = positionStride(k, ld)
        for kk in 0..<k {
            let yk = dy + kk * oh * ow, dst = m + kk * ld + tile0
            for ti in 0..<tilesH {
                let r = 2 * ti, below = r + 1 < oh
                for tj in 0..<tilesW {
                    let q = 2 * tj, right = q + 1 < ow
                    let p = yk + r * ow + q
                    let y00 = p[0], y01 = right ? p[1] : 0
                    let y10 = below ? p[ow] : 0, y11 = below && right ? p[ow + 1] : 0
                    let a0 = SIMD4<Float>(y00, y00 + y01, y00 - y01, -y01)
                    let a1 = SIMD4<Float>(y10, y10 + y11, y10 - y11, -y11)
                    let o = dst + ti * tilesW + tj
                    store(a0, o, 0, xiStride)
                    store(a0 + a1, o, 4, xiStride)
                    store(a0 - a1, o, 8, xiStride)
                    store(-a1, o, 12, xiStride)
                }
            }
        }
    }

    /// V_ξ[c][tile0 + t] = (Bᵀ d B)_ξ with Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], row stride `ld` (chunk
    /// tiles) and position stride c·ld. The border of `padded` stays zero; its interior is overwritten per channel.
    private func inputTransform(_ x: UnsafePointer<Float>, _ v: UnsafeMutablePointer<Float>, tile0: Int, ld: Int,
                                _ padded: UnsafeMutablePointer<Float>, _ f4: UnsafeMutablePointer<Float>) {
        let inH = g.inHeight, inW = g.inWidth, ph = g.padH, pw = g.padW
        let rows = min(inH, paddedH - ph), cols = min(inW, paddedW - pw)
        let xiStride = positionStride(c, ld)
        for cc in 0..<c {
            let xc = x + cc * inH * inW
            for i in 0..<rows { Im2col.copy(padded + (ph + i) * paddedW + pw, xc + i * inW, cols) }
            let dst = v + cc * ld + tile0
            if tile == 4 {
                f4InputTransform(padded, dst, xiStride, room: ld - tile0, rowScratch: f4)
                continue
            }
            for ti in 0..<tilesH {
                let top = padded + 2 * ti * paddedW
                var tj = 0
                // Four tiles at a time: lane l of each vector is tile tj + l (columns 2(tj+l) + q, split even/odd).
                while tj + 4 <= tilesW {
                    let p = top + 2 * tj
                    let a0 = load8(p), b0 = load8(p + 2)
                    let a1 = load8(p + paddedW), b1 = load8(p + paddedW + 2)
                    let a2 = load8(p + 2 * paddedW), b2 = load8(p + 2 * paddedW + 2)
                    let a3 = load8(p + 3 * paddedW), b3 = load8(p + 3 * paddedW + 2)
                    let o = dst + ti * tilesW + tj
                    // Row transform per column q: r_i,q = (Bᵀ d)_i,q, then the column transform per row i.
                    rowsThenColumns(a0.evenHalf, a0.oddHalf, b0.evenHalf, b0.oddHalf,
                                    a1.evenHalf, a1.oddHalf, b1.evenHalf, b1.oddHalf,
                                    a2.evenHalf, a2.oddHalf, b2.evenHalf, b2.oddHalf,
                                    a3.evenHalf, a3.oddHalf, b3.evenHalf, b3.oddHalf, o, xiStride)
                    tj += 4
                }
                while tj < tilesW {
                    let p = top + 2 * tj
                    let d0 = load4(p), d1 = load4(p + paddedW), d2 = load4(p + 2 * paddedW), d3 = load4(p + 3 * paddedW)
                    let r0 = d0 - d2, r1 = d1 + d2, r2 = d2 - d1, r3 = d1 - d3
                    let o = dst + ti * tilesW + tj
                    store(columns(r0), o, 0, xiStride)
                    store(columns(r1), o, 4, xiStride)
                    store(columns(r2), o, 8, xiStride)
                    store(columns(r3), o, 12, xiStride)
                    tj += 1
                }
            }
        }
    }

    /// Bᵀ d B for four tiles at once: d_rq holds element (r, q) of each tile; V_ξ rows get 4 contiguous floats.
    @inline(__always)
    private func rowsThenColumns(_ d00: SIMD4<Float>, _ d01: SIMD4<Float>, _ d02: SIMD4<Float>, _ d03: SIMD4<Float>,
                                 _ d10: SIMD4<Float>, _ d11: SIMD4<Float>, _ d12: SIMD4<Float>, _ d13: SIMD4<Float>,
                                 _ d20: SIMD4<Float>, _ d21: SIMD4<Float>, _ d22: SIMD4<Float>, _ d23: SIMD4<Float>,
                                 _ d30: SIMD4<Float>, _ d31: SIMD4<Float>, _ d32: SIMD4<Float>, _ d33: SIMD4<Float>,
                                 _ o: UnsafeMutablePointer<Float>, _ stride: Int) {
        func row(_ r0: SIMD4<Float>, _ r1: SIMD4<Float>, _ r2: SIMD4<Float>, _ r3: SIMD4<Float>, _ xi: Int) {
            store4(r0 - r2, o + xi * stride)
            store4(r1 + r2, o + (xi + 1) * stride)
            store4(r2 - r1, o + (xi + 2) * stride)
            store4(r1 - r3, o + (xi + 3) * stride)
        }
        row(d00 - d20, d01 - d21, d02 - d22, d03 - d23, 0)
        row(d10 + d20, d11 + d21, d12 + d22, d13 + d23, 4)
        row(d20 - d10, d21 - d11, d22 - d12, d23 - d13, 8)
        row(d10 - d30, d11 - d31, d12 - d32, d13 - d33, 12)
    }

    @inline(__always)
    private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    private func store4(_ r: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: r, as: SIMD4<Float>.self)
    }

    /// r Bᵀ-transformed along the row: (r0 - r2, r1 + r2, r2 - r1, r1 - r3).
    @inline(__always)
    private func columns(_ r: SIMD4<Float>) -> SIMD4<Float> {
        SIMD4(r[0] - r[2], r[1] + r[2], r[2] - r[1], r[1] - r[3])
    }

    @inline(__always)
    private func store(_ r: SIMD4<Float>, _ o: UnsafeMutablePointer<Float>, _ xi: Int, _ stride: Int) {
        o[xi * stride] = r[0]; o[(xi + 1) * stride] = r[1]; o[(xi + 2) * stride] = r[2]; o[(xi + 3) * stride] = r[3]
    }

    @inline(__always)
    private func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
    }

    /// y[k][2i + a][2j + b] (=|+=) (Aᵀ m A)_ab with Aᵀ = [1 1 1 0; 0 1 -1 -1], m_ξ = M_ξ[k][tile0 + t].
    private func outputTransform(_ m: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, tile0: Int, ld: Int,
                                 accumulate: Bool) {
        let oh = g.outHeight, ow = g.outWidth, xiStride = positionStride(k, ld)
        for kk in 0..<k {
            let src = m + kk * ld + tile0, yk = y + kk * oh * ow
            for ti in 0..<tilesH {
                let r = 2 * ti, below = r + 1 < oh
                var tj = 0
                // Four tiles at a time (lane l = tile tj + l) where all their outputs are inside the map.
                while below && 2 * (tj + 4) <= ow {
                    let p = src + ti * tilesW + tj
                    func m(_ xi: Int) -> SIMD4<Float> { UnsafeRawPointer(p + xi * xiStride).loadUnaligned(as: SIMD4<Float>.self) }
                    let u00 = m(0) + m(4) + m(8), u01 = m(1) + m(5) + m(9), u02 = m(2) + m(6) + m(10), u03 = m(3) + m(7) + m(11)
                    let u10 = m(4) - m(8) - m(12), u11 = m(5) - m(9) - m(13), u12 = m(6) - m(10) - m(14), u13 = m(7) - m(11) - m(15)
                    let y00 = u00 + u01 + u02, y01 = u01 - u02 - u03
                    let y10 = u10 + u11 + u12, y11 = u11 - u12 - u13
                    let top = yk + r * ow + 2 * tj
                    var even = SIMD8<Float>(), odd = SIMD8<Float>()
                    even.evenHalf = y00; even.oddHalf = y01
                    odd.evenHalf = y10; odd.oddHalf = y11
                    let rawTop = UnsafeMutableRawPointer(top), rawBelow = UnsafeMutableRawPointer(top + ow)
                    if accumulate {
                        rawTop.storeBytes(of: rawTop.loadUnaligned(as: SIMD8<Float>.self) + even, as: SIMD8<Float>.self)
                        rawBelow.storeBytes(of: rawBelow.loadUnaligned(as: SIMD8<Float>.self) + odd, as: SIMD8<Float>.self)
                    } else {
                        rawTop.storeBytes(of: even, as: SIMD8<Float>.self)
                        rawBelow.storeBytes(of: odd, as: SIMD8<Float>.self)
                    }
                    tj += 4
                }
                while tj < tilesW {
                    let p = src + ti * tilesW + tj
                    let m0 = gather4(p, 0, xiStride), m1 = gather4(p, 4, xiStride)
                    let m2 = gather4(p, 8, xiStride), m3 = gather4(p, 12, xiStride)
                    let u0 = m0 + m1 + m2, u1 = m1 - m2 - m3
                    let y00 = u0[0] + u0[1] + u0[2], y01 = u0[1] - u0[2] - u0[3]
                    let y10 = u1[0] + u1[1] + u1[2], y11 = u1[1] - u1[2] - u1[3]
                    let q = 2 * tj
                    let row0 = yk + r * ow + q
                    let right = q + 1 < ow
                    if accumulate {
                        row0[0] += y00
                        if right { row0[1] += y01 }
                        if below { row0[ow] += y10; if right { row0[ow + 1] += y11 } }
                    } else {
                        row0[0] = y00
                        if right { row0[1] = y01 }
                        if below { row0[ow] = y10; if right { row0[ow + 1] = y11 } }
                    }
                    tj += 1
                }
            }
        }
    }

    @inline(__always)
    private func gather4(_ p: UnsafePointer<Float>, _ xi: Int, _ stride: Int) -> SIMD4<Float> {
        SIMD4(p[xi * stride], p[(xi + 1) * stride], p[(xi + 2) * stride], p[(xi + 3) * stride])
    }
}
