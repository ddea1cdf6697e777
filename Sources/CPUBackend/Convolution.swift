#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Engine
import NetIR

/// Convolution forward, backward-data and backward-filter as im2col + sgemm (docs/ops.md "conv2d").
///
/// Per sample and group: `Y[Og×P] = W_g[Og×patch] · col[patch×P]` with P = outH·outW, the bias and activation
/// applied right after each tile's GEMM while it is in cache. A 1×1 stride-1 unpadded convolution uses the input
/// plane itself as the column matrix. Work split, fixed at load:
/// * batch ≥ workers: each worker takes a contiguous range of samples with its own column buffer; weight
///   gradients go to per-worker partial buffers (worker 0 writes the real one) summed afterwards.
/// * batch < workers (batch 1): forward splits output columns (each worker gathers only its columns);
///   backward-data and backward-filter split input channels (disjoint rows of col / columns of dW), or groups,
///   or for a single input channel the output channels of dW.
struct ConvolutionKernel {
    let g: ConvGeometry
    let im2col: Im2col
    let cg, og, kk, patch, plane, inSample, outSample: Int
    let pointwise: Bool
    /// One column buffer per worker (`colCount` floats each) and partial weight-gradient buffers (`partialCount`).
    let cols: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    let partials: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    /// Backward-data as a forward convolution of dy, where the geometry allows (stride 1, one group).
    let transposed: ConvolutionBackwardDataGather?
    /// Winograd F(2×2, 3×3) for the forward pass and for backward-data (on the transposed geometry), taken when
    /// the batch is split between workers and the geometry qualifies (`WinogradConvolution.qualifies`).
    let winograd: WinogradConvolution?
    let winogradTransposed: WinogradConvolution?
    /// First layers (patch of at most 32, stride 1) on a batch split: forward computed directly, and the weight gradient
    /// too where `VectorKernels.directWeightGradient` says so.
    let direct: DirectConvolution?

    init(_ g: ConvGeometry, workspace: Workspace) {
        self.g = g
        im2col = Im2col(g: g)
        transposed = ConvolutionBackwardDataGather(g)
        (winograd, winogradTransposed) = Self.winogradKernels(g)
        direct = DirectConvolution(g)
        cg = g.inChannels / g.groups; og = g.outChannels / g.groups
        kk = g.kernelH * g.kernelW; patch = g.patchSize; plane = g.outputPlane
        inSample = g.inChannels * g.inputPlane; outSample = g.outChannels * plane
        pointwise = g.isPointwise
        cols = workspace.cols; partials = workspace.partials
    }

    /// Column-buffer floats per worker and partial-gradient floats per worker this convolution needs.
    static func workspaceNeeds(_ g: ConvGeometry) -> (col: Int, partial: Int) {
        // After the column matrix: im2col's padded plane, or the transposed weights of backward-data's own GEMM.
        let forward = g.isPointwise ? 0
            : g.patchSize * g.outputPlane + max(Im2col.scratchFloats(g), g.outChannels / g.groups * g.patchSize)
        let (w, wt) = winogradKernels(g)
        let col = max(forward, ConvolutionBackwardDataGather(g)?.scratchFloats ?? 0, w?.scratchFloats ?? 0,
                      wt?.scratchFloats ?? 0, DirectConvolution(g)?.scratchFloats ?? 0)
        return (col, g.outChannels * g.patchSize + g.outChannels)
    }

    /// Winograd kernels for the forward pass and backward-data, nil where the geometry does not qualify or
    /// `LLMATIC_WINOGRAD=0` turns them off (a measurement switch: Perf compares both paths in one build).
    static func winogradKernels(_ g: ConvGeometry) -> (WinogradConvolution?, WinogradConvolution?) {
        guard winogradEnabled else { return (nil, nil) }
        return (WinogradConvolution(g), ConvolutionBackwardDataGather(g).flatMap { WinogradConvolution($0.t, flipped: true) })
    }

    static let winogradEnabled = MeasurementSwitch("LLMATIC_WINOGRAD") != .off

    func splitsBatch(_ workers: Int) -> Bool { g.batch >= workers }

    /// Winograd runs on a batch split with at least `WinogradConvolution.minimumSamples` samples per worker
    /// (resnet8 at batch 1 on one thread: 1.8 ms a step with it, 1.45 ms without; batch 32: 0.76x the time).
    func takesWinograd(_ workers: Int) -> Bool { g.batch >= workers * WinogradConvolution.minimumSamples }

    // MARK: forward

    func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, b: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
                 act: Activation?, part: Int, parts: Int) {
        if takesWinograd(parts), let winograd {
            winograd.run(x: x, w: w, b: b, y: y, act: act, accumulate: false, samples: slice(g.batch, part, parts),
                         scratch: cols[part])
        } else if splitsBatch(parts), let direct {
            for n in slice(g.batch, part, parts) {
                let yn = y + n * outSample, fused = act == nil || act == .relu
                direct.forward(x: x + n * inSample, w: w, b: b, relu: act == .relu, y: yn, scratch: cols[part])
                if !fused { applyBiasAndActivation(yn, b: nil, act: act, columns: 0..<plane) }
            }
        } else if splitsBatch(parts) {
            for n in slice(g.batch, part, parts) {
                forwardTile(x: x + n * inSample, w: w, b: b, y: y + n * outSample, act: act, columns: 0..<plane, col: cols[part])
            }
        } else {
            let columns = columnShare(part, parts)
            guard !columns.isEmpty else { return }
            for n in 0..<g.batch {
                forwardTile(x: x + n * inSample, w: w, b: b, y: y + n * outSample, act: act, columns: columns, col: cols[part])
            }
        }
    }

    /// Worker `part`'s output positions when one sample's product is split by columns: whole output rows where
    /// im2col copies rows of a padded plane (its fast path; a partial row takes the per-segment path, which made
    /// the 2-thread batch-1 forward of 7x7-28x28 maps no faster than one thread), else 16-aligned slices.
    private func columnShare(_ part: Int, _ parts: Int) -> Range<Int> {
        guard Im2col.usesPaddedPlane(g), !pointwise else { return slice(plane, part, parts, align: 16) }
        let rows = slice(g.outHeight, part, parts)
        return rows.lowerBound * g.outWidth..<rows.upperBound * g.outWidth
    }

    private func forwardTile(x: UnsafePointer<Float>, w: UnsafePointer<Float>, b: UnsafePointer<Float>?,
                             y: UnsafeMutablePointer<Float>, act: Activation?, columns: Range<Int>, col: UnsafeMutablePointer<Float>) {
        let j0 = columns.lowerBound, width = columns.count
        for grp in 0..<g.groups {
            let xg = x + grp * cg * g.inputPlane
            let source: UnsafePointer<Float>, ldb: Int
            if pointwise {
                source = xg + j0; ldb = plane
            } else {
                im2col.gather(xg, channels: 0..<cg, columns: columns, col, scratch: col + patch * plane)
                source = UnsafePointer(col); ldb = width
            }
            sgemm(GemmShape(m: og, n: width, k: patch, ldb: ldb, ldc: plane), w + grp * og * patch, source,
                  y + grp * og * plane + j0, beta: 0)
        }
        applyBiasAndActivation(y, b: b, act: act, columns: columns)
    }

    /// Bias and activation over `columns` of every output channel of one sample, in place.
    private func applyBiasAndActivation(_ y: UnsafeMutablePointer<Float>, b: UnsafePointer<Float>?, act: Activation?,
                                        columns: Range<Int>) {
        guard b != nil || act != nil else { return }
        for o in 0..<g.outChannels {
            let row = y + o * plane + columns.lowerBound
            ActivationKernels.forward(row, row, columns.count, bias: b?[o] ?? 0, act)
        }
    }

    // MARK: backward data

    /// Fewest output positions for backward-data's product on our small-K loops (their 16-column blocks): 1-thread
    /// resnet8 b128, s2_conv1 (196 positions) 7.5-7.8 -> 6.35-6.4 ms, s3_conv1 (49: a quarter of its last block
    /// is padding) 5.7 -> 6.3 ms.
    static let smallGemmMinimumPlane = 128

    func backwardData(dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, accumulate: Bool,
                      part: Int, parts: Int) {
        if takesWinograd(parts), let winogradTransposed {
            winogradTransposed.run(x: dy, w: w, b: nil, y: dx, act: nil, accumulate: accumulate,
                                   samples: slice(g.batch, part, parts), scratch: cols[part])
        } else if splitsBatch(parts), let transposed {
            // Each worker flips the (small) weights into its own scratch: no barrier between workers needed.
            let samples = slice(g.batch, part, parts)
            guard !samples.isEmpty else { return }
            transposed.flip(w, into: cols[part])
            transposed.run(dy: dy, dx: dx, samples: samples, accumulate: accumulate, scratch: cols[part])
        } else if splitsBatch(parts) {
            for n in slice(g.batch, part, parts) {
                for grp in 0..<g.groups {
                    backwardDataTile(dy: dy + n * outSample, w: w, dx: dx + n * inSample, group: grp, channels: 0..<cg,
                                     accumulate: accumulate, col: cols[part])
                }
            }
        } else if g.groups == 1 {
            let channels = slice(cg, part, parts)
            guard !channels.isEmpty else { return }
            for n in 0..<g.batch {
                backwardDataTile(dy: dy + n * outSample, w: w, dx: dx + n * inSample, group: 0, channels: channels,
                                 accumulate: accumulate, col: cols[part])
            }
        } else {
            for n in 0..<g.batch {
                for grp in slice(g.groups, part, parts) {
                    backwardDataTile(dy: dy + n * outSample, w: w, dx: dx + n * inSample, group: grp, channels: 0..<cg,
                                     accumulate: accumulate, col: cols[part])
                }
            }
        }
    }

    /// dx[group, channels] (=|+=) col2im(W_gᵀ[channels] · dy_g).
    private func backwardDataTile(dy: UnsafePointer<Float>, w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                  group: Int, channels: Range<Int>, accumulate: Bool, col: UnsafeMutablePointer<Float>) {
        let wg = w + group * og * patch, dyg = dy + group * og * plane
        let dxg = dx + group * cg * g.inputPlane
        let c0 = channels.lowerBound
        if pointwise {
            sgemm(GemmShape(transA: true, m: channels.count, n: plane, k: og, lda: patch), wg + c0, dyg,
                  dxg + c0 * plane, beta: accumulate ? 1 : 0)
            return
        }
        let rows = channels.count * kk
        if VectorKernels.smallGemm && og <= VectorKernels.smallGemmMaximumK && plane >= Self.smallGemmMinimumPlane {
            // W_gᵀ for these channels, packed after the column matrix (read before the scatter reuses that space),
            // so the product runs on our small-K loops: K = C_out is 16-64 here, where OpenBLAS's transposed-A
            // GEMM was most of resnet8's stride-2 backward-data.
            let wt = col + patch * plane
            for r in 0..<rows {
                for o in 0..<og { wt[r * og + o] = wg[o * patch + c0 * kk + r] }
            }
            VectorKernels.gemm(m: rows, n: plane, k: og, wt, lda: og, dyg, ldb: plane, col, ldc: plane)
        } else {
            sgemm(GemmShape(transA: true, m: rows, n: plane, k: og, lda: patch), wg + c0 * kk, dyg, col, beta: 0)
        }
        if !accumulate { (dxg + c0 * g.inputPlane).update(repeating: 0, count: channels.count * g.inputPlane) }
        im2col.scatterAdd(col, channels: channels, dxg, scratch: col + patch * plane)
    }

    // MARK: backward filter

    /// Whether the batch split leaves worker `part` with samples whose partial gradient must be summed.
    func backwardFilter(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>,
                        db: UnsafeMutablePointer<Float>?, accumulate: Bool, part: Int, parts: Int) {
        if splitsBatch(parts) {
            let target = part == 0 ? dw : partials[part]
            let bias: UnsafeMutablePointer<Float>? = db == nil ? nil : (part == 0 ? db : partials[part] + g.outChannels * patch)
            if takesWinograd(parts), let winograd {
                let samples = slice(g.batch, part, parts)
                guard !samples.isEmpty else { return }
                winograd.weightGradient(x: x, dy: dy, dw: target, overwrite: part != 0 || !accumulate, samples: samples,
                                        scratch: cols[part])
                if let bias {
                    for n in samples {
                        biasGradient(dy + n * outSample, bias, outputs: 0..<g.outChannels,
                                     overwrite: n == samples.lowerBound && (part != 0 || !accumulate))
                    }
                }
                return
            }
            var first = true
            for n in slice(g.batch, part, parts) {
                let overwrite = first && (part != 0 || !accumulate)
                if let direct, VectorKernels.directWeightGradient {
                    direct.filter(x: x + n * inSample, dy: dy + n * outSample, dw: target, accumulate: !overwrite,
                                  scratch: cols[part])
                } else {
                    for grp in 0..<g.groups {
                        filterTile(x: x + n * inSample, dy: dy + n * outSample, dw: target, group: grp, channels: 0..<cg,
                                   outputs: 0..<og, beta: overwrite ? 0 : 1, col: cols[part])
                    }
                }
                if let bias { biasGradient(dy + n * outSample, bias, outputs: 0..<g.outChannels, overwrite: overwrite) }
                first = false
            }
            return
        }
        let beta: Float = accumulate ? 1 : 0
        for n in 0..<g.batch {
            let xn = x + n * inSample, dyn = dy + n * outSample
            let b: Float = n == 0 ? beta : 1
            if g.groups > 1 {
                for grp in slice(g.groups, part, parts) {
                    filterTile(x: xn, dy: dyn, dw: dw, group: grp, channels: 0..<cg, outputs: 0..<og, beta: b, col: cols[part])
                }
                if let db { biasGradient(dyn, db, outputs: slice(g.outChannels, part, parts), overwrite: b == 0) }
            } else if cg >= parts {
                let channels = slice(cg, part, parts)
                filterTile(x: xn, dy: dyn, dw: dw, group: 0, channels: channels, outputs: 0..<og, beta: b, col: cols[part])
                if let db { biasGradient(dyn, db, outputs: slice(g.outChannels, part, parts), overwrite: b == 0) }
            } else {
                let outputs = slice(og, part, parts)
                filterTile(x: xn, dy: dyn, dw: dw, group: 0, channels: 0..<cg, outputs: outputs, beta: b, col: cols[part])
                if let db { biasGradient(dyn, db, outputs: outputs, overwrite: b == 0) }
            }
        }
    }

    /// After a batch-split backward-filter: dW += Σ partials of workers 1..<parts (slice `part` of the sum).
    func reducePartials(dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?, part: Int, parts: Int,
                        workers: Int) {
        let used = min(workers, g.batch)
        guard used > 1 else { return }
        let weights = g.outChannels * patch
        for i in slice(weights, part, parts, align: 16) {
            var s = dw[i]
            for w in 1..<used { s += partials[w][i] }
            dw[i] = s
        }
        if let db, part == 0 {
            for o in 0..<g.outChannels {
                var s = db[o]
                for w in 1..<used { s += partials[w][weights + o] }
                db[o] = s
            }
        }
    }

    /// dW_g[outputs, channels] (=|+=) dy_g[outputs] · col[channels]ᵀ.
    private func filterTile(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>, group: Int,
                            channels: Range<Int>, outputs: Range<Int>, beta: Float, col: UnsafeMutablePointer<Float>) {
        guard !channels.isEmpty, !outputs.isEmpty else { return }
        let xg = x + group * cg * g.inputPlane
        let c0 = channels.lowerBound, o0 = outputs.lowerBound
        let source: UnsafePointer<Float>
        if pointwise {
            source = xg + c0 * plane
        } else {
            im2col.gather(xg, channels: channels, columns: 0..<plane, col, scratch: col + patch * plane)
            source = UnsafePointer(col)
        }
        sgemm(GemmShape(transB: true, m: outputs.count, n: channels.count * kk, k: plane, lda: plane, ldb: plane, ldc: patch),
              dy + (group * og + o0) * plane, source, dw + (group * og + o0) * patch + c0 * kk, beta: beta)
    }

    private func biasGradient(_ dy: UnsafePointer<Float>, _ db: UnsafeMutablePointer<Float>, outputs: Range<Int>, overwrite: Bool) {
        for o in outputs {
            let s = Reduce.sum(dy + o * plane, plane)
            db[o] = overwrite ? s : db[o] + s
        }
    }
}
