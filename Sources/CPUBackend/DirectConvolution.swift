import CVectorKernels
import Engine

/// First-layer convolutions (1-3 input channels, stride 1) computed directly by CVectorKernels' AVX2+FMA loops,
/// per sample: forward and weight gradient. As im2col + sgemm their GEMM has K = patch = 9 or 27, where OpenBLAS's
/// AVX2 kernels run far below peak (its AVX-512 kernels keep the weight gradient: `VectorKernels`). Taken only
/// when this CPU has AVX2 and FMA (runtime dispatch: the build stays portable); `LLMATIC_DIRECT_CONV` set to 0 or
/// 1 forces it off or on (a measurement switch, as LLMATIC_WINOGRAD is).
struct DirectConvolution {
    let g: ConvGeometry

    /// Largest patch (input channels x kernel taps) taken: above it the GEMM's K is large enough for OpenBLAS.
    static let maximumPatch = 32

    /// Whether this machine runs the direct kernels at all.
    static var available: Bool { VectorKernels.directConvolution }

    static func qualifies(_ g: ConvGeometry) -> Bool {
        g.strideH == 1 && g.strideW == 1 && g.dilationH == 1 && g.dilationW == 1 && g.groups == 1
            && g.padH >= 0 && g.padW >= 0 && g.patchSize <= maximumPatch && g.outWidth >= 8 && g.outChannels >= 4
            && g.outHeight == g.inHeight + 2 * g.padH - g.kernelH + 1 && g.outWidth == g.inWidth + 2 * g.padW - g.kernelW + 1
    }

    init?(_ g: ConvGeometry) {
        guard Self.available, Self.qualifies(g) else { return nil }
        self.g = g
    }

    var scratchFloats: Int {
        cvk_direct_conv_scratch_floats(Int32(g.inChannels), Int32(g.outChannels), Int32(g.kernelH), Int32(g.kernelW),
                                       Int32(g.outHeight), Int32(g.outWidth))
    }

    /// y (one sample) = conv(x, w) + b, with ReLU applied when `relu` (the kernel's copy-out does both: the output
    /// of a first layer is its largest tensor, and a separate epilogue pass would stream it once more).
    func forward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, b: UnsafePointer<Float>?, relu: Bool,
                 y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        cvk_direct_conv_forward_avx2(x, Int32(g.inChannels), Int32(g.inHeight), Int32(g.inWidth), Int32(g.padH),
                                     Int32(g.padW), w, Int32(g.outChannels), Int32(g.kernelH), Int32(g.kernelW), y,
                                     Int32(g.outHeight), Int32(g.outWidth), b, relu ? 1 : 0, scratch)
    }

    /// dw (=|+=) the weight gradient of one sample.
    func filter(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dw: UnsafeMutablePointer<Float>, accumulate: Bool,
                scratch: UnsafeMutablePointer<Float>) {
        cvk_direct_conv_filter_avx2(x, Int32(g.inChannels), Int32(g.inHeight), Int32(g.inWidth), Int32(g.padH),
                                    Int32(g.padW), dy, Int32(g.outChannels), Int32(g.kernelH), Int32(g.kernelW),
                                    Int32(g.outHeight), Int32(g.outWidth), dw, accumulate ? 1 : 0, scratch)
    }
}
