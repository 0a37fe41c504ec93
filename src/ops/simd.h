#pragma once
// The hand-written kernels' vector types, one struct per instruction set, and the attribute that compiles a
// function for each. Such functions run only after ops::cpu_isa() said the CPU has the set; the rest of the binary
// stays baseline x86-64 (no -march). A kernel is written once, as templates over `Vec` in a .inc file that
// per_isa.h includes once per instruction set with ATTN_TARGET set to that set's attribute: GCC will not
// inline a target-specific intrinsic into a template compiled for the baseline, so the attribute has to be on
// every function of the kernel, and it cannot depend on a template parameter.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(ATTN_NO_AVX2_KERNELS)
#define ATTN_HAVE_X86_KERNELS 1
// GCC 12's AVX-512 intrinsics pass `_mm512_undefined_ps()` (a self-initialised variable) as the unused source
// of their masked builtins, which trips -Wuninitialized inside the header once inlined; the state of these
// warnings at the header's own lines is what counts, so they are off while it is read.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <type_traits>

#include "exp_poly.h"

#define ATTN_AVX2 __attribute__((target("avx2,fma")))
#define ATTN_AVX512 __attribute__((target("avx512f,avx2,fma")))

namespace attn::ops {

// Calls f(std::integral_constant<int, rows>{}) for rows = min(max_rows, remaining): the row count of a register
// tile is a template parameter (it sizes the accumulators).
template <int max_rows, typename F>
inline void with_tile_rows(int remaining, F f) {
  if constexpr (max_rows == 1) {
    f(std::integral_constant<int, 1>{});
  } else if (remaining >= max_rows) {
    f(std::integral_constant<int, max_rows>{});
  } else {
    with_tile_rows<max_rows - 1>(remaining, f);
  }
}

// 8 floats. Tiles of 6 rows x 2 vectors: 12 accumulators and the operands fit the 16 registers.
struct Avx2 {
  using V = __m256;
  static constexpr int kLanes = 8;
  static constexpr int kTileRows = 6;
  ATTN_AVX2 static V zero() { return _mm256_setzero_ps(); }
  ATTN_AVX2 static V set1(float x) { return _mm256_set1_ps(x); }
  ATTN_AVX2 static V load(const float* p) { return _mm256_loadu_ps(p); }
  ATTN_AVX2 static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  ATTN_AVX2 static V broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  ATTN_AVX2 static V add(V a, V b) { return _mm256_add_ps(a, b); }
  ATTN_AVX2 static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  ATTN_AVX2 static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  ATTN_AVX2 static V max(V a, V b) { return _mm256_max_ps(a, b); }  // b when either is NaN
  ATTN_AVX2 static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  ATTN_AVX2 static V fnma(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }  // c - a b
  ATTN_AVX2 static V round(V x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // 2^n for whole n in [-126, 0], from the exponent bits.
  ATTN_AVX2 static V pow2(V n) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
  }
  // x in lanes l < count, fill in the others.
  ATTN_AVX2 static V keep_below(V x, int count, V fill) {
    const __m256i seen = _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_blendv_ps(fill, x, _mm256_castsi256_ps(seen));
  }
  ATTN_AVX2 static float reduce_max(V x) {
    x = _mm256_max_ps(x, _mm256_permute2f128_ps(x, x, 1));
    x = _mm256_max_ps(x, _mm256_permute_ps(x, 0x4e));
    return _mm256_cvtss_f32(_mm256_max_ps(x, _mm256_permute_ps(x, 0xb1)));
  }
  ATTN_AVX2 static float reduce_sum(V x) {
    x = _mm256_add_ps(x, _mm256_permute2f128_ps(x, x, 1));
    x = _mm256_add_ps(x, _mm256_permute_ps(x, 0x4e));
    return _mm256_cvtss_f32(_mm256_add_ps(x, _mm256_permute_ps(x, 0xb1)));
  }
};

// 16 floats. 32 registers: tiles of 12 rows x 2 vectors (24 accumulators).
struct Avx512 {
  using V = __m512;
  static constexpr int kLanes = 16;
  static constexpr int kTileRows = 12;
  ATTN_AVX512 static V zero() { return _mm512_setzero_ps(); }
  ATTN_AVX512 static V set1(float x) { return _mm512_set1_ps(x); }
  ATTN_AVX512 static V load(const float* p) { return _mm512_loadu_ps(p); }
  ATTN_AVX512 static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  ATTN_AVX512 static V broadcast(const float* p) { return _mm512_set1_ps(*p); }
  ATTN_AVX512 static V add(V a, V b) { return _mm512_add_ps(a, b); }
  ATTN_AVX512 static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  ATTN_AVX512 static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  ATTN_AVX512 static V max(V a, V b) { return _mm512_max_ps(a, b); }  // b when either is NaN
  ATTN_AVX512 static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  ATTN_AVX512 static V fnma(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
  ATTN_AVX512 static V round(V x) { return _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  ATTN_AVX512 static V pow2(V n) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23));
  }
  ATTN_AVX512 static V keep_below(V x, int count, V fill) {
    const unsigned seen = count >= kLanes ? 0xffffu : count <= 0 ? 0u : (1u << count) - 1u;
    return _mm512_mask_blend_ps(static_cast<__mmask16>(seen), fill, x);
  }
  // The two halves folded into one AVX2 vector, then as there.
  ATTN_AVX512 static __m256 high_half(V x) { return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)); }
  ATTN_AVX512 static float reduce_max(V x) {
    __m256 h = _mm256_max_ps(_mm512_castps512_ps256(x), high_half(x));
    h = _mm256_max_ps(h, _mm256_permute2f128_ps(h, h, 1));
    h = _mm256_max_ps(h, _mm256_permute_ps(h, 0x4e));
    return _mm256_cvtss_f32(_mm256_max_ps(h, _mm256_permute_ps(h, 0xb1)));
  }
  ATTN_AVX512 static float reduce_sum(V x) {
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(x), high_half(x));
    h = _mm256_add_ps(h, _mm256_permute2f128_ps(h, h, 1));
    h = _mm256_add_ps(h, _mm256_permute_ps(h, 0x4e));
    return _mm256_cvtss_f32(_mm256_add_ps(h, _mm256_permute_ps(h, 0xb1)));
  }
};

}  // namespace attn::ops
#else
#define ATTN_HAVE_X86_KERNELS 0
#endif
