import Engine
import NetIR

/// Backward-data of a stride-1, ungrouped convolution as a forward convolution of dy with the flipped kernel:
/// dx[c, y, x] = Σ_o Σ_p,q W[o, c, kH-1-p, kW-1-q] · dy[o, y + p·dH - P'h, x + q·dW - P'w], P' = d·(k-1) - pad.
/// Per sample that is an im2col *gather* of dy and one GEMM with K = C_out·kH·kW, instead of a GEMM with
/// K = C_out into a column buffer and a col2im scatter-add (resnet8 stage 1 at batch 128: K = 16, and the
/// scatter-add made backward-data twice as slow as the forward pass).
struct ConvolutionBackwardDataGather {
    /// The convolution that computes dx: input dy (C_out x outH x outW), output dx (C_in x inH x inW).
    let t: ConvGeometry
    let im2col: Im2col
    /// Floats of one flipped weight matrix (C_in x C_out·kH·kW).
    let weights: Int
    /// Column floats per sample (C_out·kH·kW x inH·inW).
    let columns: Int

    /// nil when the geometry does not qualify: stride 1, one group, and padding no larger than the kernel's
    /// dilated reach (so the transposed padding is not negative).
    init?(_ g: ConvGeometry) {
        let ph = g.dilationH * (g.kernelH - 1) - g.padH, pw = g.dilationW * (g.kernelW - 1) - g.padW
        guard g.strideH == 1, g.strideW == 1, g.groups == 1, ph >= 0, pw >= 0, !g.isPointwise else { return nil }
        var t = g
        t.inChannels = g.outChannels; t.inHeight = g.outHeight; t.inWidth = g.outWidth
        t.outChannels = g.inChannels; t.outHeight = g.inHeight; t.outWidth = g.inWidth
        t.padH = ph; t.padW = pw
        self.t = t
        im2col = Im2col(g: t)
        weights = g.inChannels * t.patchSize
        columns = t.patchSize * t.outputPlane
    }

    /// Worker scratch: flipped weights, one sample's columns, and the padded plane of the gather.
    var scratchFloats: Int { weights + columns + Im2col.scratchFloats(t) }

    /// W'[c][o·kk + p·kW + q] = W[o][c][kH-1-p][kW-1-q].
    func flip(_ w: UnsafePointer<Float>, into f: UnsafeMutablePointer<Float>) {
        let kh = t.kernelH, kw = t.kernelW, kk = kh * kw, cin = t.outChannels, cout = t.inChannels
        for o in 0..<cout {
            for c in 0..<cin {
                let src = w + (o * cin + c) * kk, dst = f + c * cout * kk + o * kk
                for i in 0..<kk { dst[i] = src[kk - 1 - i] }
            }
        }
    }

    /// dx_n (=|+=) W' · im2col(dy_n) for the samples `samples`, with flipped weights already in `scratch`.
    func run(dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, samples: Range<Int>, accumulate: Bool,
             scratch: UnsafeMutablePointer<Float>) {
        let col = scratch + weights, plane = col + columns
        let dySample = t.inChannels * t.inputPlane, dxSample = t.outChannels * t.outputPlane
        for n in samples {
            im2col.gather(dy + n * dySample, channels: 0..<t.inChannels, columns: 0..<t.outputPlane, col, scratch: plane)
            sgemm(GemmShape(m: t.outChannels, n: t.outputPlane, k: t.patchSize, ldb: t.outputPlane, ldc: t.outputPlane),
                  scratch, col, dx + n * dxSample, beta: accumulate ? 1 : 0)
        }
    }
}
