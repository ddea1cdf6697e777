// What the x86 loops of this target share (x86-64 only): the per-function target attribute and a horizontal sum.
#ifndef CVECTORKERNELS_X86_COMMON_H
#define CVECTORKERNELS_X86_COMMON_H

#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static inline float horizontal_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

#endif
