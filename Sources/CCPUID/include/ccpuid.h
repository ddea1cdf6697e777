// The x86 instructions Swift cannot issue (cpuid, xgetbv), and what the C compiler was told to target for this
// build; read by CPUBackend's CPUFeatures (Sources/CPUBackend/CPUFeatures.swift), which decodes the bits.
#ifndef CCPUID_H
#define CCPUID_H

/// Whether this build runs on x86-64 (the other two functions return zeros elsewhere).
int ccpuid_available(void);

/// cpuid with leaf `leaf` and sub-leaf `subleaf`; registers in the order eax, ebx, ecx, edx.
void ccpuid_query(unsigned leaf, unsigned subleaf, unsigned registers[4]);

/// XCR0 (the register states the OS saves on a context switch); 0 when the CPU lacks OSXSAVE.
unsigned long long ccpuid_xcr0(void);

/// The instruction-set level this C file was compiled for (the compiler's predefined macros), e.g.
/// "x86-64 (SSE2)", "AVX2+FMA", "AVX-512F/BW/VL"; the package passes the same target CPU to Swift and C.
const char *ccpuid_compiled_isa(void);

/// The LLMATIC_TARGET_CPU the package was built with ("" for the portable default).
const char *ccpuid_target_cpu(void);

#endif
