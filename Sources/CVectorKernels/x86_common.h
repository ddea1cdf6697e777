// What the x86 loops of this target share (x86-64 only): the per-function target attributes and horizontal sums.
#ifndef CVECTORKERNELS_X86_COMMON_H
#define CVECTORKERNELS_X86_COMMON_H

#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))
// The subset OpenBLAS's SkylakeX kernels need too (CPUFeatures.hasAVX512SkylakeXSet): F, CD, DQ, BW, VL.
#define AVX512 __attribute__((target("avx512f,avx512cd,avx512dq,avx512bw,avx512vl,avx2,fma")))

AVX2 static inline float horizontal_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

AVX512 static inline float horizontal_sum512(__m512 v) {
    return horizontal_sum(_mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1)));
}

#endif
