import Foundation
import XCTest
import Engine
import OpTable
@testable import CPUBackend

/// Our small-K GEMM loops (CVectorKernels) against Double sums: the shapes cover each register block's row and
/// column tails (1-13 rows, columns around the 16- and 32-wide blocks), leading dimensions larger than the operands,
/// and the weight gradient's accumulate flag. The network tests reach these loops only where they are the default
/// (a pre-AVX-512 OpenBLAS); this test holds them to the bound on every AVX2 machine.
final class SmallGemmTests: XCTestCase {
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (5, 17, 3), (6, 16, 16), (7, 31, 9), (12, 33, 16), (13, 47, 5), (16, 196, 16), (32, 49, 32),
        (64, 16, 64), (3, 64, 40), (11, 15, 2),
    ]

    /// A matrix of `rows` x `columns` with leading dimension `ld` (the padding holds NaN: reading it fails the test).
    static func matrix(_ rows: Int, _ columns: Int, ld: Int, seed: Int) -> [Float] {
        var g = SplitMix64(seed: UInt64(seed))
        var a = [Float](repeating: .nan, count: rows * ld)
        for r in 0..<rows { for c in 0..<columns { a[r * ld + c] = Float.random(in: -1...1, using: &g) } }
        return a
    }

    /// max |got - want| / max(1, max |want|) over the m x n entries.
    static func error(_ got: [Float], _ want: [Double], m: Int, n: Int, ldc: Int) -> Double {
        var worst = 0.0, scale = 1.0
        for i in 0..<m { for j in 0..<n { scale = max(scale, abs(want[i * n + j])) } }
        for i in 0..<m { for j in 0..<n { worst = max(worst, abs(Double(got[i * ldc + j]) - want[i * n + j])) } }
        return worst / scale
    }

    func testProductMatchesDoubleSums() throws {
        try XCTSkipIf(!VectorKernels.runnable, "no AVX2+FMA here: OpenBLAS computes these products")
        let bound = Tolerances.CPU.blas.value
        for (m, n, k) in Self.shapes {
            let lda = k + 3, ldb = n + 5, ldc = n + 2
            let a = Self.matrix(m, k, ld: lda, seed: m * 131 + k), b = Self.matrix(k, n, ld: ldb, seed: n * 7 + k)
            var want = [Double](repeating: 0, count: m * n)
            for i in 0..<m { for j in 0..<n { for p in 0..<k { want[i * n + j] += Double(a[i * lda + p]) * Double(b[p * ldb + j]) } } }
            var c = [Float](repeating: -7, count: m * ldc)
            VectorKernels.gemm(m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, &c, ldc: ldc)
            let e = Self.error(c, want, m: m, n: n, ldc: ldc)
            XCTAssertLessThanOrEqual(e, bound, "\(m)x\(n)x\(k)")
            // Columns past n in each row of C are not written.
            for i in 0..<m { for j in n..<ldc { XCTAssertEqual(c[i * ldc + j], -7, "\(m)x\(n)x\(k) wrote past n") } }
        }
    }

    func testTransposedProductMatchesDoubleSums() throws {
        try XCTSkipIf(!VectorKernels.runnable, "no AVX2+FMA here: OpenBLAS computes these products")
        let bound = Tolerances.CPU.blas.value
        // Here k is the long dimension (tiles) and m x n the small result.
        for (m, n, k) in Self.shapes.map({ ($0.m, $0.k, $0.n) }) {
            let lda = k + 1, ldb = k + 4, ldc = n + 3
            let a = Self.matrix(m, k, ld: lda, seed: m + 17 * k), b = Self.matrix(n, k, ld: ldb, seed: n + 5 * k)
            let prior = Self.matrix(m, n, ld: ldc, seed: 99)
            for accumulate in [false, true] {
                var want = [Double](repeating: 0, count: m * n)
                for i in 0..<m {
                    for j in 0..<n {
                        for p in 0..<k { want[i * n + j] += Double(a[i * lda + p]) * Double(b[j * ldb + p]) }
                        if accumulate { want[i * n + j] += Double(prior[i * ldc + j]) }
                    }
                }
                var c = prior
                VectorKernels.gemmNT(m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, &c, ldc: ldc,
                                     accumulate: accumulate)
                let e = Self.error(c, want, m: m, n: n, ldc: ldc)
                XCTAssertLessThanOrEqual(e, bound, "NT \(m)x\(n)x\(k) accumulate \(accumulate)")
            }
        }
    }

    /// Our loops run where the CPU has AVX2+FMA; the GEMM-shaped uses default to them only against an OpenBLAS
    /// core without AVX-512 kernels, and the switches override that.
    func testUsesFollowTheCPUAndTheOpenBLASCore() {
        #if arch(x86_64)
        XCTAssertEqual(VectorKernels.runnable, CPUFeatures.host.features.isSuperset(of: [.avx2, .fma]))
        #else
        XCTAssertFalse(VectorKernels.runnable)
        #endif
        let avx512Cores: Set<String> = ["skylakex", "cooperlake", "sapphirerapids"]
        XCTAssertEqual(VectorKernels.openBLASHasAVX512,
                       CPUFeatures.host.hasAVX512SkylakeXSet && avx512Cores.contains(OpenBLASCore.loaded.lowercased()))
        let wanted: Bool
        switch ProcessInfo.processInfo.environment["LLMATIC_SMALL_GEMM"] {
        case "0": wanted = false
        case "1": wanted = VectorKernels.runnable
        default: wanted = VectorKernels.runnable && !VectorKernels.openBLASHasAVX512
        }
        XCTAssertEqual(VectorKernels.smallGemm, wanted)
        XCTAssertTrue(MeasurementSwitch.on.enables(runnable: true, byDefault: false))
        XCTAssertFalse(MeasurementSwitch.on.enables(runnable: false, byDefault: true))
        XCTAssertFalse(MeasurementSwitch.off.enables(runnable: true, byDefault: true))
        XCTAssertFalse(MeasurementSwitch.automatic.enables(runnable: true, byDefault: false))
        XCTAssertTrue(MeasurementSwitch.automatic.enables(runnable: true, byDefault: true))
        XCTAssertEqual(VectorKernels.directWeightGradient && !VectorKernels.directConvolution, false)
    }
}
