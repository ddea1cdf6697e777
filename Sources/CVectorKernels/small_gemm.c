// See include/cvectorkernels.h. Winograd's per-position products are GEMMs with a small inner dimension (the
// channel count, 16-64) and a few hundred columns (tiles); OpenBLAS packs both operands for every such call and
// reached 38 GFLOP/s on one AVX2 core at 16x196x16, where this loop keeps a 6 x 16 block of C in registers and
// streams B once per row block.
#include "cvectorkernels.h"
#include <string.h>

#if defined(__x86_64__)
#include "x86_common.h"

// Rows 0..R-1 (R <= 6) of C, 16 columns: 12 sums in registers, each row of B loaded once per block of A's rows.
#define SMALL_GEMM_BLOCK(R)                                                                                        \
    AVX2 static void block_##R(int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc) {      \
        __m256 lo[R], hi[R];                                                                                      \
        for (int r = 0; r < R; r++) { lo[r] = _mm256_setzero_ps(); hi[r] = _mm256_setzero_ps(); }                \
        for (int p = 0; p < k; p++) {                                                                             \
            __m256 b0 = _mm256_loadu_ps(b + (size_t)p * ldb), b1 = _mm256_loadu_ps(b + (size_t)p * ldb + 8);      \
            for (int r = 0; r < R; r++) {                                                                         \
                __m256 v = _mm256_broadcast_ss(a + (size_t)r * lda + p);                                          \
                lo[r] = _mm256_fmadd_ps(v, b0, lo[r]);                                                            \
                hi[r] = _mm256_fmadd_ps(v, b1, hi[r]);                                                            \
            }                                                                                                     \
        }                                                                                                         \
        for (int r = 0; r < R; r++) {                                                                             \
            _mm256_storeu_ps(c + (size_t)r * ldc, lo[r]);                                                         \
            _mm256_storeu_ps(c + (size_t)r * ldc + 8, hi[r]);                                                     \
        }                                                                                                         \
    }

SMALL_GEMM_BLOCK(1)
SMALL_GEMM_BLOCK(2)
SMALL_GEMM_BLOCK(3)
SMALL_GEMM_BLOCK(4)
SMALL_GEMM_BLOCK(5)
SMALL_GEMM_BLOCK(6)

AVX2 static void block(int rows, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc) {
    switch (rows) {
    case 6: block_6(k, a, lda, b, ldb, c, ldc); break;
    case 5: block_5(k, a, lda, b, ldb, c, ldc); break;
    case 4: block_4(k, a, lda, b, ldb, c, ldc); break;
    case 3: block_3(k, a, lda, b, ldb, c, ldc); break;
    case 2: block_2(k, a, lda, b, ldb, c, ldc); break;
    default: block_1(k, a, lda, b, ldb, c, ldc); break;
    }
}

AVX2 void cvk_small_gemm_avx2(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc) {
    int full = n / 16 * 16, tail = n - full;
    // The last, partial block of columns goes through a zero-padded copy on the stack (masked loads in the inner
    // loop halved the whole product's rate at 16x196x16).
    float bt[CVK_SMALL_GEMM_MAX_K * 16], ct[6 * 16];
    if (tail > 0)
        for (int p = 0; p < k; p++)
            for (int j = 0; j < 16; j++) bt[p * 16 + j] = j < tail ? b[(size_t)p * ldb + full + j] : 0;
    for (int i = 0; i < m; i += 6) {
        int rows = m - i < 6 ? m - i : 6;
        const float *ai = a + (size_t)i * lda;
        float *ci = c + (size_t)i * ldc;
        for (int j = 0; j < full; j += 16) block(rows, k, ai, lda, b + j, ldb, ci + j, ldc);
        if (tail == 0) continue;
        block(rows, k, ai, lda, bt, 16, ct, 16);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < tail; j++) ci[(size_t)r * ldc + full + j] = ct[r * 16 + j];
    }
}

// Rows i..i+R-1 of A against rows j..j+S-1 of B (R <= 4, S <= 3): R x S dot products of length k.
#define SMALL_GEMM_NT_BLOCK(R, S)                                                                                  \
    AVX2 static void nt_block_##R##_##S(int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc, \
                                        int accumulate) {                                                         \
        __m256 acc[R][S];                                                                                         \
        for (int r = 0; r < R; r++) for (int s = 0; s < S; s++) acc[r][s] = _mm256_setzero_ps();                 \
        int p = 0;                                                                                                \
        for (; p + 8 <= k; p += 8) {                                                                              \
            __m256 bv[S];                                                                                         \
            for (int s = 0; s < S; s++) bv[s] = _mm256_loadu_ps(b + (size_t)s * ldb + p);                        \
            for (int r = 0; r < R; r++) {                                                                         \
                __m256 av = _mm256_loadu_ps(a + (size_t)r * lda + p);                                             \
                for (int s = 0; s < S; s++) acc[r][s] = _mm256_fmadd_ps(av, bv[s], acc[r][s]);                    \
            }                                                                                                     \
        }                                                                                                         \
        if (p < k) {                                                                                              \
            __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(k - p), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); \
            __m256 bv[S];                                                                                         \
            for (int s = 0; s < S; s++) bv[s] = _mm256_maskload_ps(b + (size_t)s * ldb + p, mask);               \
            for (int r = 0; r < R; r++) {                                                                         \
                __m256 av = _mm256_maskload_ps(a + (size_t)r * lda + p, mask);                                    \
                for (int s = 0; s < S; s++) acc[r][s] = _mm256_fmadd_ps(av, bv[s], acc[r][s]);                    \
            }                                                                                                     \
        }                                                                                                         \
        for (int r = 0; r < R; r++)                                                                               \
            for (int s = 0; s < S; s++) {                                                                         \
                float v = horizontal_sum(acc[r][s]);                                                             \
                float *out = c + (size_t)r * ldc + s;                                                             \
                *out = accumulate ? *out + v : v;                                                                 \
            }                                                                                                     \
    }

SMALL_GEMM_NT_BLOCK(4, 3)
SMALL_GEMM_NT_BLOCK(4, 1)
SMALL_GEMM_NT_BLOCK(1, 3)
SMALL_GEMM_NT_BLOCK(1, 1)

AVX2 void cvk_small_gemm_nt_avx2(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
                                 int ldc, int accumulate) {
    int i = 0;
    for (; i + 4 <= m; i += 4) {
        int j = 0;
        for (; j + 3 <= n; j += 3)
            nt_block_4_3(k, a + (size_t)i * lda, lda, b + (size_t)j * ldb, ldb, c + (size_t)i * ldc + j, ldc, accumulate);
        for (; j < n; j++)
            nt_block_4_1(k, a + (size_t)i * lda, lda, b + (size_t)j * ldb, ldb, c + (size_t)i * ldc + j, ldc, accumulate);
    }
    for (; i < m; i++) {
        int j = 0;
        for (; j + 3 <= n; j += 3)
            nt_block_1_3(k, a + (size_t)i * lda, lda, b + (size_t)j * ldb, ldb, c + (size_t)i * ldc + j, ldc, accumulate);
        for (; j < n; j++)
            nt_block_1_1(k, a + (size_t)i * lda, lda, b + (size_t)j * ldb, ldb, c + (size_t)i * ldc + j, ldc, accumulate);
    }
}

#else
void cvk_small_gemm_nt_avx2(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
                            int ldc, int accumulate) {
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb; (void)c; (void)ldc; (void)accumulate;
}
void cvk_small_gemm_avx2(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc) {
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)b; (void)ldb; (void)c; (void)ldc;
}
#endif
