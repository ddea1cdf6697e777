import CVectorKernels

/// Whether our own C loops (CVectorKernels, AVX2+FMA) run here, for which uses, and the switches that choose for
/// side-by-side measurements in one build. The one place that combines cpuid, the build's content and the loaded
/// OpenBLAS core; callers go through the wrappers below, never through a `cvk_*_avx2` function by name.
///
/// Where OpenBLAS runs AVX-512 kernels (SkylakeX and later cores), its small-matrix sgemm is as fast as our AVX2
/// loops or faster (Intel Xeon model 207, Perf/README.md), so the GEMM-shaped uses stay on it there; the direct
/// forward convolution still wins (its K = 9-27 has no GEMM form worth the im2col).
enum VectorKernels {
    /// This build has the AVX2+FMA loops and this CPU (with its OS) runs them.
    static let runnable = cvk_has_avx2_kernels() != 0 && CPUFeatures.host.features.isSuperset(of: [.avx2, .fma])

    /// Whether OpenBLAS runs AVX-512 kernels: an AVX-512 CPU and a core not known to stop at AVX2.
    static let openBLASHasAVX512 = CPUFeatures.host.hasAVX512SkylakeXSet
        && !OpenBLASCore.preAVX512Cores.contains(OpenBLASCore.loaded.lowercased())

    /// First-layer convolutions' forward pass computed directly (`DirectConvolution`): `LLMATIC_DIRECT_CONV`.
    static let directConvolution = directSwitch.enables(runnable: runnable, byDefault: true)

    /// Their weight gradient computed directly too; by default only against a pre-AVX-512 OpenBLAS (its im2col
    /// product wins on SkylakeX kernels: 1.23 against 2.10 ms for smallcnn's conv1 at batch 128).
    static let directWeightGradient = directSwitch.enables(runnable: runnable, byDefault: !openBLASHasAVX512)

    /// `LLMATIC_DIRECT_CONV`, which both passes of the direct convolution follow.
    private static let directSwitch = MeasurementSwitch("LLMATIC_DIRECT_CONV")

    /// Small-K products on our GEMM loops instead of OpenBLAS: Winograd's per-position products and backward-data's
    /// product into its column matrix; by default only against a pre-AVX-512 OpenBLAS: `LLMATIC_SMALL_GEMM`.
    static let smallGemm = MeasurementSwitch("LLMATIC_SMALL_GEMM").enables(runnable: runnable,
                                                                          byDefault: !openBLASHasAVX512)

    /// Largest inner dimension `gemm` takes (the loop pads its last column block on the stack).
    static let smallGemmMaximumK = Int(CVK_SMALL_GEMM_MAX_K)

    /// C[m×n] = A[m×k]·B[k×n], row-major with leading dimensions (C overwritten), k ≤ smallGemmMaximumK.
    static func gemm(m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                     _ c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(runnable && k <= smallGemmMaximumK)
        cvk_small_gemm_avx2(Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), c, Int32(ldc))
    }

    /// C[m×n] (= or +=, by `accumulate`) A[m×k]·B[n×k]ᵀ, row-major.
    static func gemmNT(m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                       _ c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        precondition(runnable)
        cvk_small_gemm_nt_avx2(Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), c, Int32(ldc),
                               accumulate ? 1 : 0)
    }

    /// What runs on our loops here, for reports: "AVX2+FMA: first-layer convolutions (forward), small-K products
    /// (Winograd, backward-data); runtime dispatch", or why nothing does.
    static var summary: String {
        guard runnable else { return "none (no AVX2+FMA here): im2col and small-K products on OpenBLAS" }
        let uses = [(directConvolution, directWeightGradient ? "first-layer convolutions" : "first-layer convolutions (forward)"),
                    (smallGemm, "small-K products (Winograd, backward-data)")].filter(\.0).map(\.1)
        guard !uses.isEmpty else { return "none (switched off)" }
        let note = openBLASHasAVX512 && !smallGemm ? " (GEMM-shaped uses on OpenBLAS's AVX-512 kernels)" : ""
        return "AVX2+FMA: " + uses.joined(separator: ", ") + "; runtime dispatch" + note
    }
}

extension CPUBackend {
    /// Which of our own vector loops run on this machine, and for what (`llmatic devices`, the Perf JSON).
    public static var vectorKernels: String { VectorKernels.summary }
}
