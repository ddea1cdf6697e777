// Loops that need instructions the portable Swift build does not emit (AVX2+FMA), compiled per function with
// a target attribute so one binary runs anywhere; CPUBackend calls them only where CPUFeatures.host says the
// CPU has the extensions (runtime dispatch, not a build flag).
#ifndef CVECTORKERNELS_H
#define CVECTORKERNELS_H

#include <stddef.h>

/// Whether this build contains the x86 AVX2+FMA functions below (0 elsewhere: they must not be called).
int cvk_has_avx2_kernels(void);

/// Floats of scratch the direct convolution of one sample needs (both passes).
size_t cvk_direct_conv_scratch_floats(int channels, int outChannels, int kernelH, int kernelW, int outH, int outW);

/// One sample of a stride-1, undilated, ungrouped convolution with a small patch (few input channels), computed
/// directly: y[o][oy][ox] = sum over c, ky, kx of w[o][c][ky][kx] * x[c][oy+ky-padTop][ox+kx-padLeft] (zero
/// outside the input), plus bias[o] when bias is not NULL, then max(0, .) when relu is nonzero. x is channels x
/// height x width, y outChannels x outH x outW, where outH = height + padTop + padBottom - kernelH + 1 (likewise
/// outW) for the caller's bottom and right padding, which must not be negative.
void cvk_direct_conv_forward_avx2(const float *x, int channels, int height, int width, int padTop, int padLeft,
                                  const float *w, int outChannels, int kernelH, int kernelW,
                                  float *y, int outH, int outW, const float *bias, int relu, float *scratch);

/// The same convolution's weight gradient for one sample: dw[o][c][ky][kx] (= or +=, by `accumulate`) the sum over
/// oy, ox of dy[o][oy][ox] * x[c][oy+ky-padTop][ox+kx-padLeft].
void cvk_direct_conv_filter_avx2(const float *x, int channels, int height, int width, int padTop, int padLeft,
                                 const float *dy, int outChannels, int kernelH, int kernelW, int outH, int outW,
                                 float *dw, int accumulate, float *scratch);

/// Largest k of cvk_small_gemm_avx2 (its partial column block is padded on the stack: k x 16 floats).
#define CVK_SMALL_GEMM_MAX_K 512

/// C[m x n] = A[m x k] . B[k x n], all row-major with leading dimensions lda, ldb, ldc (C overwritten), for
/// k <= CVK_SMALL_GEMM_MAX_K: the small-K products of the CPU's Winograd convolution (k = channels, n = tiles) and
/// of backward-data through a column matrix (k = output channels, n = output positions).
void cvk_small_gemm_avx2(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c, int ldc);

/// C[m x n] (= or +=, by `accumulate`) A[m x k] . B[n x k]^T, row-major: the weight gradient's products, whose
/// inner dimension is long (tiles) and whose result is small (out x in channels).
void cvk_small_gemm_nt_avx2(int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
                            int ldc, int accumulate);

/// Sets flush-to-zero and denormals-are-zero for this thread's Float arithmetic (x86 MXCSR; a no-op elsewhere) and
/// returns the previous mode for cvk_float_mode_restore: training steps run so (see float_mode.c).
unsigned cvk_flush_denormals_begin(void);
void cvk_float_mode_restore(unsigned previous);

#endif
