#pragma once
// Whether this build has the hand-written AVX2 + FMA kernels, and the attribute that compiles a function for
// them. Such functions run only after ops::packed_kernel_available() said the CPU has both; the rest of the
// binary stays baseline x86-64 (or whatever the target is).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(ATTN_NO_AVX2_KERNELS)
#define ATTN_HAVE_AVX2_KERNEL 1
#include <immintrin.h>
#define ATTN_AVX2 __attribute__((target("avx2,fma")))
#else
#define ATTN_HAVE_AVX2_KERNEL 0
#endif
