// See include/cvectorkernels.h. The direct convolution exists for first layers (1 or 3 input channels, 3x3): as
// im2col + sgemm their GEMM has K = 9 or 27, where OpenBLAS reaches a fraction of peak (15 GFLOP/s of 95 on one
// AVX2 core for smallcnn's conv1), while here every loaded input vector feeds 4 output channels.
#include "cvectorkernels.h"
#include <string.h>

static size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

// Both passes work on flat planes: the input is copied with its zero border into rows of `row_stride` floats, so an
// output position p = oy * stride + ox reads tap (ky, kx) at p + ky * stride + kx, and a whole plane is one run of
// `flat_length` positions (the columns past outW in each row are computed and dropped, or carry zero gradient).
static size_t row_stride(int outW, int kernelW) { return (size_t)outW + (size_t)kernelW - 1; }
static size_t flat_length(int outH, int outW, int kernelW) { return round_up((size_t)outH * row_stride(outW, kernelW), 16); }
// Rows of the padded input: the kernel's reach below the last output row plus the spill of the last 16-wide chunk.
static size_t padded_rows(int outH, int outW, int kernelH, int kernelW) {
    size_t ps = row_stride(outW, kernelW);
    return (size_t)outH + (size_t)kernelH + (16 + (size_t)kernelW + ps - 1) / ps;
}

size_t cvk_direct_conv_scratch_floats(int channels, int outChannels, int kernelH, int kernelW, int outH, int outW) {
    size_t input = (size_t)channels * padded_rows(outH, outW, kernelH, kernelW) * row_stride(outW, kernelW);
    size_t length = flat_length(outH, outW, kernelW);
    size_t outputs = (size_t)(outChannels > 4 ? outChannels : 4) * length;
    return input + outputs + 64;
}

static void pad_input(const float *x, int channels, int height, int width, int padTop, int padLeft,
                      int outH, int outW, int kernelH, int kernelW, float *pad) {
    size_t ps = row_stride(outW, kernelW), ph = padded_rows(outH, outW, kernelH, kernelW);
    memset(pad, 0, sizeof(float) * (size_t)channels * ph * ps);
    for (int c = 0; c < channels; c++) {
        for (int iy = 0; iy < height; iy++) {
            size_t row = (size_t)iy + (size_t)padTop;
            if (row >= ph) break;
            memcpy(pad + ((size_t)c * ph + row) * ps + padLeft, x + ((size_t)c * height + iy) * width,
                   sizeof(float) * (size_t)width);
        }
    }
}

#if defined(__x86_64__)
#include "x86_common.h"

int cvk_has_avx2_kernels(void) { return 1; }

// n floats from src to dst, then `zeros` zero floats after them, in vector stores (rows here are 8-32 floats:
// a libc memcpy call per row cost more than the row's arithmetic).
AVX2 static inline void copy_row(float *dst, const float *src, int n, int zeros) {
    int j = 0;
    for (; j + 8 <= n; j += 8) _mm256_storeu_ps(dst + j, _mm256_loadu_ps(src + j));
    for (; j < n; j++) dst[j] = src[j];
    for (int k = 0; k < zeros; k++) dst[n + k] = 0;
}

// Output channels o..o+3 (weights w, rows `patch` apart) at flat positions p..p+15, into out (rows `length` apart).
AVX2 static void forward_block4(const float *pad, size_t ps, size_t ph, int channels, int kernelH, int kernelW,
                                const float *w, int patch, size_t p, float *out, size_t length) {
    __m256 a0 = _mm256_setzero_ps(), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
    for (int c = 0; c < channels; c++) {
        for (int ky = 0; ky < kernelH; ky++) {
            const float *row = pad + ((size_t)c * ph + (size_t)ky) * ps + p;
            const float *wt = w + (c * kernelH + ky) * kernelW;
            for (int kx = 0; kx < kernelW; kx++) {
                __m256 x0 = _mm256_loadu_ps(row + kx), x1 = _mm256_loadu_ps(row + kx + 8);
                __m256 v = _mm256_broadcast_ss(wt + kx);
                a0 = _mm256_fmadd_ps(v, x0, a0); b0 = _mm256_fmadd_ps(v, x1, b0);
                v = _mm256_broadcast_ss(wt + patch + kx);
                a1 = _mm256_fmadd_ps(v, x0, a1); b1 = _mm256_fmadd_ps(v, x1, b1);
                v = _mm256_broadcast_ss(wt + 2 * patch + kx);
                a2 = _mm256_fmadd_ps(v, x0, a2); b2 = _mm256_fmadd_ps(v, x1, b2);
                v = _mm256_broadcast_ss(wt + 3 * patch + kx);
                a3 = _mm256_fmadd_ps(v, x0, a3); b3 = _mm256_fmadd_ps(v, x1, b3);
            }
        }
    }
    _mm256_storeu_ps(out + p, a0); _mm256_storeu_ps(out + p + 8, b0);
    _mm256_storeu_ps(out + length + p, a1); _mm256_storeu_ps(out + length + p + 8, b1);
    _mm256_storeu_ps(out + 2 * length + p, a2); _mm256_storeu_ps(out + 2 * length + p + 8, b2);
    _mm256_storeu_ps(out + 3 * length + p, a3); _mm256_storeu_ps(out + 3 * length + p + 8, b3);
}

// One output channel at flat positions p..p+15 (the channels left over after blocks of four).
AVX2 static void forward_block1(const float *pad, size_t ps, size_t ph, int channels, int kernelH, int kernelW,
                                const float *w, size_t p, float *out) {
    __m256 a = _mm256_setzero_ps(), b = a;
    for (int c = 0; c < channels; c++) {
        for (int ky = 0; ky < kernelH; ky++) {
            const float *row = pad + ((size_t)c * ph + (size_t)ky) * ps + p;
            const float *wt = w + (c * kernelH + ky) * kernelW;
            for (int kx = 0; kx < kernelW; kx++) {
                __m256 v = _mm256_broadcast_ss(wt + kx);
                a = _mm256_fmadd_ps(v, _mm256_loadu_ps(row + kx), a);
                b = _mm256_fmadd_ps(v, _mm256_loadu_ps(row + kx + 8), b);
            }
        }
    }
    _mm256_storeu_ps(out + p, a); _mm256_storeu_ps(out + p + 8, b);
}

// n floats of src plus `bias`, clamped at 0 when `relu`, into dst (the forward's epilogue, fused into its copy-out).
AVX2 static inline void copy_row_epilogue(float *dst, const float *src, int n, float bias, int relu) {
    __m256 b = _mm256_set1_ps(bias), zero = _mm256_setzero_ps();
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 v = _mm256_add_ps(_mm256_loadu_ps(src + j), b);
        _mm256_storeu_ps(dst + j, relu ? _mm256_max_ps(v, zero) : v);
    }
    for (; j < n; j++) {
        float v = src[j] + bias;
        dst[j] = relu && !(v > 0) ? 0 : v;
    }
}

AVX2 void cvk_direct_conv_forward_avx2(const float *x, int channels, int height, int width, int padTop, int padLeft,
                                       const float *w, int outChannels, int kernelH, int kernelW,
                                       float *y, int outH, int outW, const float *bias, int relu, float *scratch) {
    size_t ps = row_stride(outW, kernelW), ph = padded_rows(outH, outW, kernelH, kernelW);
    size_t length = flat_length(outH, outW, kernelW), plane = (size_t)outH * outW;
    int patch = channels * kernelH * kernelW;
    pad_input(x, channels, height, width, padTop, padLeft, outH, outW, kernelH, kernelW, scratch);
    float *flat = scratch + (size_t)channels * ph * ps;
    for (int o = 0; o < outChannels;) {
        int block = outChannels - o >= 4 ? 4 : 1;
        for (size_t p = 0; p < length; p += 16) {
            if (block == 4) forward_block4(scratch, ps, ph, channels, kernelH, kernelW, w + (size_t)o * patch, patch, p,
                                           flat, length);
            else forward_block1(scratch, ps, ph, channels, kernelH, kernelW, w + (size_t)o * patch, p, flat);
        }
        // Keep each row's outW valid columns (the rest read past the row into the border).
        for (int i = 0; i < block; i++)
            for (int oy = 0; oy < outH; oy++)
                copy_row_epilogue(y + (size_t)(o + i) * plane + (size_t)oy * outW,
                                  flat + (size_t)i * length + (size_t)oy * ps, outW, bias ? bias[o + i] : 0, relu);
        o += block;
    }
}

static void store_gradient(float *d, float s, int accumulate) { *d = accumulate ? *d + s : s; }

// The weight gradient: dy is copied into the flat layout with zeros in the columns past outW, so one tap's sum is a
// dot product of two runs. Blocks of 4 output channels x 3 horizontal taps keep 12 sums in registers (7 loads per 12
// multiply-adds); leftover channels and taps go one by one.
AVX2 void cvk_direct_conv_filter_avx2(const float *x, int channels, int height, int width, int padTop, int padLeft,
                                      const float *dy, int outChannels, int kernelH, int kernelW, int outH, int outW,
                                      float *dw, int accumulate, float *scratch) {
    size_t ps = row_stride(outW, kernelW), ph = padded_rows(outH, outW, kernelH, kernelW);
    size_t length = flat_length(outH, outW, kernelW), plane = (size_t)outH * outW;
    int taps = kernelH * kernelW, patch = channels * taps;
    pad_input(x, channels, height, width, padTop, padLeft, outH, outW, kernelH, kernelW, scratch);
    float *g = scratch + (size_t)channels * ph * ps;
    for (int o = 0; o < outChannels; o++) {
        float *go = g + (size_t)o * length;
        for (int oy = 0; oy < outH; oy++)
            copy_row(go + (size_t)oy * ps, dy + (size_t)o * plane + (size_t)oy * outW, outW, (int)(ps - (size_t)outW));
        memset(go + (size_t)outH * ps, 0, sizeof(float) * (length - (size_t)outH * ps));
    }
    for (int c = 0; c < channels; c++) {
        for (int ky = 0; ky < kernelH; ky++) {
            const float *xr = scratch + ((size_t)c * ph + (size_t)ky) * ps;
            int o = 0;
            for (; o + 4 <= outChannels; o += 4) {
                const float *g0 = g + (size_t)o * length;
                int kx = 0;
                for (; kx + 3 <= kernelW; kx += 3) {
                    __m256 s[12];
                    for (int i = 0; i < 12; i++) s[i] = _mm256_setzero_ps();
                    for (size_t p = 0; p < length; p += 8) {
                        __m256 x0 = _mm256_loadu_ps(xr + kx + p), x1 = _mm256_loadu_ps(xr + kx + 1 + p),
                               x2 = _mm256_loadu_ps(xr + kx + 2 + p);
                        for (int i = 0; i < 4; i++) {
                            __m256 d = _mm256_loadu_ps(g0 + (size_t)i * length + p);
                            s[3 * i] = _mm256_fmadd_ps(d, x0, s[3 * i]);
                            s[3 * i + 1] = _mm256_fmadd_ps(d, x1, s[3 * i + 1]);
                            s[3 * i + 2] = _mm256_fmadd_ps(d, x2, s[3 * i + 2]);
                        }
                    }
                    for (int i = 0; i < 4; i++)
                        for (int j = 0; j < 3; j++)
                            store_gradient(dw + (size_t)(o + i) * patch + (size_t)(c * taps + ky * kernelW + kx + j),
                                           horizontal_sum(s[3 * i + j]), accumulate);
                }
                for (; kx < kernelW; kx++) {
                    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
                    for (size_t p = 0; p < length; p += 8) {
                        __m256 v = _mm256_loadu_ps(xr + kx + p);
                        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(g0 + p), v, s0);
                        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(g0 + length + p), v, s1);
                        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(g0 + 2 * length + p), v, s2);
                        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(g0 + 3 * length + p), v, s3);
                    }
                    __m256 sums[4] = {s0, s1, s2, s3};
                    for (int i = 0; i < 4; i++)
                        store_gradient(dw + (size_t)(o + i) * patch + (size_t)(c * taps + ky * kernelW + kx),
                                       horizontal_sum(sums[i]), accumulate);
                }
            }
            for (; o < outChannels; o++) {
                const float *go = g + (size_t)o * length;
                for (int kx = 0; kx < kernelW; kx++) {
                    __m256 s = _mm256_setzero_ps();
                    for (size_t p = 0; p < length; p += 8)
                        s = _mm256_fmadd_ps(_mm256_loadu_ps(go + p), _mm256_loadu_ps(xr + kx + p), s);
                    store_gradient(dw + (size_t)o * patch + (size_t)(c * taps + ky * kernelW + kx), horizontal_sum(s),
                                   accumulate);
                }
            }
        }
    }
}

#else
int cvk_has_avx2_kernels(void) { return 0; }
void cvk_direct_conv_forward_avx2(const float *x, int channels, int height, int width, int padTop, int padLeft,
                                  const float *w, int outChannels, int kernelH, int kernelW,
                                  float *y, int outH, int outW, const float *bias, int relu, float *scratch) {
    (void)bias; (void)relu; (void)x; (void)channels; (void)height; (void)width; (void)padTop; (void)padLeft; (void)w; (void)outChannels;
    (void)kernelH; (void)kernelW; (void)y; (void)outH; (void)outW; (void)scratch;
}
void cvk_direct_conv_filter_avx2(const float *x, int channels, int height, int width, int padTop, int padLeft,
                                 const float *dy, int outChannels, int kernelH, int kernelW, int outH, int outW,
                                 float *dw, int accumulate, float *scratch) {
    (void)x; (void)channels; (void)height; (void)width; (void)padTop; (void)padLeft; (void)dy; (void)outChannels;
    (void)kernelH; (void)kernelW; (void)outH; (void)outW; (void)dw; (void)accumulate; (void)scratch;
}
#endif
