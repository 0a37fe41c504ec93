// Includes the kernel file named by ATTN_KERNEL_FILE once per instruction set, each copy in its own namespace
// (ops::avx2, ops::avx512) with `Vec` and ATTN_TARGET set for it (simd.h). No include guard: each kernel's .cpp
// includes it once, inside namespace attn::ops, after defining ATTN_KERNEL_FILE.
#if ATTN_HAVE_X86_KERNELS
namespace avx2 {
using Vec = Avx2;
#define ATTN_TARGET ATTN_AVX2
#include ATTN_KERNEL_FILE
#undef ATTN_TARGET
}  // namespace avx2

namespace avx512 {
using Vec = Avx512;
#define ATTN_TARGET ATTN_AVX512
#include ATTN_KERNEL_FILE
#undef ATTN_TARGET
}  // namespace avx512
#endif
