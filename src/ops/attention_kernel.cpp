#include <algorithm>
#include <cstring>
#include <limits>

#include "attn/ops.h"
#include "simd.h"

// Dot-product attention heads with AVX2 + FMA or AVX-512 (attention_kernel.inc), for head widths that are a
// multiple of the vector. OpenBLAS ran each head's two small products (n x n x d_head, then n x d_head x n) as
// separate calls, each packing its operands: at 10 to 64 tokens and d_head 16 the calls cost more than their
// arithmetic. Past one key block and without an attention dump, the streaming path never holds the n x n scores.

namespace attn::ops {

#define ATTN_KERNEL_FILE "attention_kernel.inc"
#include "per_isa.h"
#undef ATTN_KERNEL_FILE

Isa attention_isa(int d_head, Isa packed) {
  const Isa isa = std::min(packed, cpu_isa());
  if (d_head <= 0) return Isa::Portable;
  if (isa == Isa::Avx512 && d_head % 16 == 0) return Isa::Avx512;
  if (isa >= Isa::Avx2 && d_head % 8 == 0) return Isa::Avx2;
  return Isa::Portable;
}

void attention_heads(const float* qkv, int n, int d_model, int heads, float scale, bool causal, Isa isa,
                     AttentionScratch& scratch, float* context, float* weights) {
  if (weights == nullptr && n > kAttentionBlock) {
    attention_heads_streaming(qkv, n, d_model, heads, scale, causal, isa, scratch, context);
    return;
  }
#if ATTN_HAVE_X86_KERNELS
  if (isa == Isa::Avx512) return avx512::heads(qkv, n, d_model, heads, scale, causal, scratch, context, weights);
  if (isa == Isa::Avx2) return avx2::heads(qkv, n, d_model, heads, scale, causal, scratch, context, weights);
#endif
  (void)qkv, (void)n, (void)d_model, (void)heads, (void)scale, (void)causal, (void)scratch, (void)context;
  (void)weights;
}

void attention_heads_streaming(const float* qkv, int n, int d_model, int heads, float scale, bool causal, Isa isa,
                               AttentionScratch& scratch, float* context) {
#if ATTN_HAVE_X86_KERNELS
  if (isa == Isa::Avx512) return avx512::heads_streaming(qkv, n, d_model, heads, scale, causal, scratch, context);
  if (isa == Isa::Avx2) return avx2::heads_streaming(qkv, n, d_model, heads, scale, causal, scratch, context);
#endif
  (void)qkv, (void)n, (void)d_model, (void)heads, (void)scale, (void)causal, (void)scratch, (void)context;
}

}  // namespace attn::ops
