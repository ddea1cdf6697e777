import CBLAS

/// Row-major single-precision GEMM, `C = alpha·op(A)·op(B) + beta·C`, over OpenBLAS kept single-threaded.
///
/// Threading choice (measured by Perf `sgemm.*`): OpenBLAS's own threads cost ~10-40 µs of wake-up per call and
/// fight our pool for the 2 cores, while the net's GEMMs are small (M ≤ 128, K ≤ 3136). Splitting the larger of
/// M/N between our spinning workers is as fast as OpenBLAS's 2 threads on large squares and much faster on the
/// small shapes a training step is made of, so OpenBLAS runs with 1 thread and we parallelise around it.
struct GemmShape {
    var transA: Bool, transB: Bool
    var m: Int, n: Int, k: Int
    var lda: Int, ldb: Int, ldc: Int

    init(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil) {
        self.transA = transA; self.transB = transB; self.m = m; self.n = n; self.k = k
        self.lda = lda ?? (transA ? m : k)
        self.ldb = ldb ?? (transB ? k : n)
        self.ldc = ldc ?? n
    }

    var flops: Int { 2 * m * n * k }
    /// Below this many flops a GEMM runs on one thread: a pool dispatch (~1-2 µs) would cost more than it saves.
    static let parallelFlops = 400_000
}

@inline(__always)
func sgemm(_ s: GemmShape, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
           alpha: Float = 1, beta: Float) {
    sgemm(transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: alpha, a: a, lda: s.lda, b: b,
          ldb: s.ldb, beta: beta, c: c, ldc: s.ldc)
}

@inline(__always)
func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
           b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0, n > 0 else { return }
    if k == 0 {
        for i in 0..<m { scaleRow(c + i * ldc, n, beta) }
        return
    }
    // Degenerate shapes (batch-1 linear layers) as matrix-vector products or outer products: sgemm would pack
    // the whole weight matrix first, which costs more than the product itself.
    if m == 1 {
        let incA = Int32(transA ? lda : 1)
        if transB {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), alpha, b, Int32(ldb), a, incA, beta, c, 1)
        } else {
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), alpha, b, Int32(ldb), a, incA, beta, c, 1)
        }
        return
    }
    if n == 1 {
        let incB = Int32(transB ? 1 : ldb)
        if transA {
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(m), alpha, a, Int32(lda), b, incB, beta, c, Int32(ldc))
        } else {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(k), alpha, a, Int32(lda), b, incB, beta, c, Int32(ldc))
        }
        return
    }
    if k == 1 {
        outerProduct(m: m, n: n, alpha: alpha, a: a, strideA: transA ? 1 : lda, b: b, strideB: transB ? ldb : 1,
                     beta: beta, c: c, ldc: ldc)
        return
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// C = alpha·a·bᵀ + beta·C (rank-1), one pass over C.
private func outerProduct(m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, strideA: Int, b: UnsafePointer<Float>,
                          strideB: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if strideB != 1 {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), 1, alpha, a, Int32(strideA), b,
                    Int32(strideB), beta, c, Int32(ldc))
        return
    }
    for i in 0..<m {
        let s = alpha * a[i * strideA], row = c + i * ldc
        if beta == 0 {
            for j in 0..<n { row[j] = s * b[j] }
        } else if beta == 1 {
            for j in 0..<n { row[j] += s * b[j] }
        } else {
            for j in 0..<n { row[j] = beta * row[j] + s * b[j] }
        }
    }
}

@inline(__always)
private func scaleRow(_ p: UnsafeMutablePointer<Float>, _ n: Int, _ beta: Float) {
    for j in 0..<n { p[j] = beta == 0 ? 0 : p[j] * beta }
}

/// The part of a GEMM that worker `part` of `parts` computes: a slice of C's rows or columns (whichever
/// dimension is larger), boundaries on multiples of 16 so OpenBLAS's micro-kernels stay full.
@inline(__always)
func sgemmSlice(_ s: GemmShape, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                alpha: Float = 1, beta: Float, part: Int, parts: Int) {
    if parts <= 1 { sgemm(s, a, b, c, alpha: alpha, beta: beta); return }
    if s.n >= s.m {
        let cols = slice(s.n, part, parts, align: 16)
        guard !cols.isEmpty else { return }
        let bOffset = s.transB ? cols.lowerBound * s.ldb : cols.lowerBound
        sgemm(transA: s.transA, transB: s.transB, m: s.m, n: cols.count, k: s.k, alpha: alpha, a: a, lda: s.lda,
              b: b + bOffset, ldb: s.ldb, beta: beta, c: c + cols.lowerBound, ldc: s.ldc)
    } else {
        let rows = slice(s.m, part, parts, align: 16)
        guard !rows.isEmpty else { return }
        let aOffset = s.transA ? rows.lowerBound : rows.lowerBound * s.lda
        sgemm(transA: s.transA, transB: s.transB, m: rows.count, n: s.n, k: s.k, alpha: alpha, a: a + aOffset,
              lda: s.lda, b: b, ldb: s.ldb, beta: beta, c: c + rows.lowerBound * s.ldc, ldc: s.ldc)
    }
}

/// Public GEMM entry for benchmarks and other modules: row-major, our pool around single-threaded OpenBLAS.
public final class CPUGemm {
    let pool: ThreadPool

    public init(threads: Int = CPUBackend.defaultThreads) {
        openblas_set_num_threads(1)
        pool = ThreadPool(threads: threads)
    }

    public var threads: Int { pool.workers }

    /// `C[m×n] = A[m×k]·B[k×n] (+ beta·C)`, all row-major and dense.
    public func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                         c: UnsafeMutablePointer<Float>, beta: Float = 0, transposeA: Bool = false,
                         transposeB: Bool = false) {
        let s = GemmShape(transA: transposeA, transB: transposeB, m: m, n: n, k: k)
        if s.flops < GemmShape.parallelFlops || pool.workers == 1 {
            sgemm(s, a, b, c, beta: beta)
        } else {
            pool.run { part, parts in sgemmSlice(s, a, b, c, beta: beta, part: part, parts: parts) }
        }
    }
}
