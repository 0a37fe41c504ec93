#pragma once
// Whether this build has the hand-written AVX2 + FMA kernels, and the attribute that compiles a function for
// them. Such functions run only after ops::packed_kernel_available() said the CPU has both; the rest of the
// binary stays baseline x86-64 (or whatever the target is).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(ATTN_NO_AVX2_KERNELS)
#define ATTN_HAVE_AVX2_KERNEL 1
#include <immintrin.h>
#define ATTN_AVX2 __attribute__((target("avx2,fma")))

#include <type_traits>

namespace attn::ops {

// Rows per register tile in both kernels: 6 rows x 2 vectors = 12 accumulators, plus the operands, fit the 16
// AVX2 registers.
constexpr int kTileRows = 6;

// The row count is a template parameter of the tiles (it sizes the accumulators): calls
// f(std::integral_constant<int, rows>{}) for rows = min(kTileRows, remaining), 1 to 6.
template <typename F>
inline void with_tile_rows(int remaining, F f) {
  static_assert(kTileRows == 6, "the cases below");
  switch (remaining < kTileRows ? remaining : kTileRows) {
    case 6: f(std::integral_constant<int, 6>{}); break;
    case 5: f(std::integral_constant<int, 5>{}); break;
    case 4: f(std::integral_constant<int, 4>{}); break;
    case 3: f(std::integral_constant<int, 3>{}); break;
    case 2: f(std::integral_constant<int, 2>{}); break;
    default: f(std::integral_constant<int, 1>{}); break;
  }
}

}  // namespace attn::ops
#else
#define ATTN_HAVE_AVX2_KERNEL 0
#endif
