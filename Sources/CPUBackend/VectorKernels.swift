#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CVectorKernels

/// Whether our AVX2+FMA C loops (CVectorKernels) may run here, and the switches that turn each use off for
/// side-by-side measurements in one build. The one place that combines cpuid with the build's content.
enum VectorKernels {
    /// This build has the x86 AVX2 functions and this CPU (with its OS) has AVX2 and FMA.
    static let avx2: Bool = cvk_has_avx2_kernels() != 0 && CPUFeatures.host.features.isSuperset(of: [.avx2, .fma])

    /// First-layer convolutions computed directly (`DirectConvolution`); `LLMATIC_DIRECT_CONV=0` turns them off.
    static let directConvolution = avx2 && !switchedOff("LLMATIC_DIRECT_CONV")

    /// Small-K products on our GEMM loops instead of OpenBLAS: Winograd's per-position products and backward-data's
    /// product into its column matrix; `LLMATIC_SMALL_GEMM=0` turns them off.
    static let smallGemm = avx2 && !switchedOff("LLMATIC_SMALL_GEMM")

    /// What runs on our AVX2 loops here, for reports: "AVX2+FMA (runtime dispatch): first-layer convolutions,
    /// small-K products (Winograd, backward-data)", or why nothing does.
    static var summary: String {
        guard avx2 else { return "none (no AVX2+FMA here): im2col and small-K products on OpenBLAS" }
        let uses = [(directConvolution, "first-layer convolutions"), (smallGemm, "small-K products (Winograd, backward-data)")].filter(\.0).map(\.1)
        return uses.isEmpty ? "none (switched off)" : "AVX2+FMA (runtime dispatch): " + uses.joined(separator: ", ")
    }

    private static func switchedOff(_ name: String) -> Bool {
        guard let v = getenv(name) else { return false }
        return String(cString: v) == "0"
    }
}

extension CPUBackend {
    /// Which of our AVX2 loops run on this machine (reports: `llmatic devices`, the Perf JSON).
    public static var vectorKernels: String { VectorKernels.summary }
}
