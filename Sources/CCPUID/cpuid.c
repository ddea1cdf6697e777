// See include/ccpuid.h.
#include "ccpuid.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

int ccpuid_available(void) { return 1; }

void ccpuid_query(unsigned leaf, unsigned subleaf, unsigned registers[4]) {
    unsigned a = 0, b = 0, c = 0, d = 0;
    // __get_cpuid_count checks the highest supported leaf first and leaves zeros above it.
    if (!__get_cpuid_count(leaf, subleaf, &a, &b, &c, &d)) { a = b = c = d = 0; }
    registers[0] = a; registers[1] = b; registers[2] = c; registers[3] = d;
}

unsigned long long ccpuid_xcr0(void) {
    unsigned r[4];
    ccpuid_query(1, 0, r);
    if (!(r[2] & (1u << 27))) return 0; // OSXSAVE: xgetbv is only legal when the OS enabled XSAVE
    unsigned lo, hi;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}
#else
int ccpuid_available(void) { return 0; }
void ccpuid_query(unsigned leaf, unsigned subleaf, unsigned registers[4]) {
    (void)leaf; (void)subleaf;
    registers[0] = registers[1] = registers[2] = registers[3] = 0;
}
unsigned long long ccpuid_xcr0(void) { return 0; }
#endif

const char *ccpuid_compiled_isa(void) {
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
    return "AVX-512F/BW/VL";
#elif defined(__AVX2__) && defined(__FMA__)
    return "AVX2+FMA";
#elif defined(__AVX2__)
    return "AVX2";
#elif defined(__AVX__)
    return "AVX";
#elif defined(__SSE4_2__)
    return "SSE4.2";
#elif defined(__x86_64__)
    return "x86-64 (SSE2)";
#elif defined(__aarch64__)
    return "AArch64 (NEON)";
#else
    return "generic";
#endif
}

const char *ccpuid_target_cpu(void) {
#ifdef LLMATIC_TARGET_CPU_NAME
    return LLMATIC_TARGET_CPU_NAME;
#else
    return "";
#endif
}
