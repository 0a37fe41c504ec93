#include <algorithm>
#include <cstring>

#include "attn/ops.h"
#include "avx2_target.h"

// y = epilogue(x W^T + b) for the engine's fixed weights, with W repacked once at load into column panels so the
// inner loop reads it contiguously. An AVX2 + FMA register-blocked kernel (6 rows x 16 columns, 12 accumulators)
// replaces OpenBLAS there: at these sizes (K of 64 to 512, a few hundred rows) OpenBLAS packs both operands and
// zeroes C on every call, and bias, ReLU and the residual add need extra passes over y.
// Elsewhere (no AVX2 + FMA, or a compiler other than GCC/Clang on x86-64) the same contract is kept with
// OpenBLAS and separate passes.

namespace attn::ops {
namespace {

constexpr int kPanel = PackedMatrix::kPanel;  // output columns per panel: two 8-float vectors
constexpr int kDepth = 256;                   // K per pass: one panel's slice is 16 KiB, half of L1
constexpr int kRowBlock = 96;                 // rows sharing one panel slice while it sits in L1

bool cpu_has_avx2_fma() {
#if ATTN_HAVE_AVX2_KERNEL
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

#if ATTN_HAVE_AVX2_KERNEL
// One tile: `rows` (1 to 6) rows x 16 columns of y over the depth slice [k0, k0 + depth) (x and panel already
// point at k0). `first` starts from the bias (and y itself when accumulating); later slices continue from the
// partial sums in y. `last` applies ReLU. cols < 16 only in the last panel, whose padding columns are zeros in
// the panel and are never written to y.
template <int rows>
ATTN_AVX2 void tile(const float* x, size_t ldx, const float* panel, int depth, float* y, size_t ldy, int cols,
                    const float* bias, bool first, bool last, Epilogue epilogue) {
  __m256 acc[rows][2];
  // Only the last panel's partial tiles go through staged, so it is left uninitialised: zeroing it on every
  // tile would cost the kernel a pass it never needs.
  alignas(32) float staged[rows][kPanel];
  const bool direct = cols == kPanel;
  const bool read_y = !first || epilogue == Epilogue::Accumulate;
  if (read_y && !direct) {
    for (int r = 0; r < rows; ++r) {
      std::memset(staged[r], 0, sizeof staged[r]);
      std::memcpy(staged[r], y + r * ldy, sizeof(float) * cols);
    }
  }
  __m256 bias0 = _mm256_setzero_ps(), bias1 = _mm256_setzero_ps();
  if (first && bias != nullptr && direct) {
    bias0 = _mm256_loadu_ps(bias);
    bias1 = _mm256_loadu_ps(bias + 8);
  } else if (first && bias != nullptr) {
    alignas(32) float b[kPanel] = {};
    std::memcpy(b, bias, sizeof(float) * cols);
    bias0 = _mm256_load_ps(b);
    bias1 = _mm256_load_ps(b + 8);
  }
#pragma GCC unroll 6
  for (int r = 0; r < rows; ++r) {
    if (read_y) {
      const float* src = direct ? y + r * ldy : staged[r];
      acc[r][0] = _mm256_add_ps(_mm256_loadu_ps(src), bias0);
      acc[r][1] = _mm256_add_ps(_mm256_loadu_ps(src + 8), bias1);
    } else {
      acc[r][0] = bias0;
      acc[r][1] = bias1;
    }
  }
#pragma GCC unroll 4
  for (int k = 0; k < depth; ++k) {
    const __m256 w0 = _mm256_loadu_ps(panel + k * kPanel);
    const __m256 w1 = _mm256_loadu_ps(panel + k * kPanel + 8);
#pragma GCC unroll 6
    for (int r = 0; r < rows; ++r) {
      const __m256 a = _mm256_broadcast_ss(x + r * ldx + k);
      acc[r][0] = _mm256_fmadd_ps(a, w0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(a, w1, acc[r][1]);
    }
  }
  const bool relu = last && epilogue == Epilogue::Relu;
  const __m256 zero = _mm256_setzero_ps();
#pragma GCC unroll 6
  for (int r = 0; r < rows; ++r) {
    const __m256 v0 = relu ? _mm256_max_ps(acc[r][0], zero) : acc[r][0];
    const __m256 v1 = relu ? _mm256_max_ps(acc[r][1], zero) : acc[r][1];
    if (direct) {
      _mm256_storeu_ps(y + r * ldy, v0);
      _mm256_storeu_ps(y + r * ldy + 8, v1);
    } else {
      _mm256_store_ps(staged[r], v0);
      _mm256_store_ps(staged[r] + 8, v1);
      std::memcpy(y + r * ldy, staged[r], sizeof(float) * cols);
    }
  }
}

ATTN_AVX2 void linear_avx2(const float* x, int rows, const PackedMatrix& w, const float* bias, float* y,
                           Epilogue epilogue) {
  const int in = w.in;
  const int out = w.out;
  const int panels = (out + kPanel - 1) / kPanel;
  // Depth slices, then blocks of rows, then panels: one panel's slice ([depth][16], 16 KiB at most) stays in L1
  // while every tile of the row block (in L2) runs over it.
  for (int k0 = 0; k0 < in; k0 += kDepth) {
    const int depth = std::min(kDepth, in - k0);
    const bool first = k0 == 0;
    const bool last = k0 + depth == in;
    for (int i0 = 0; i0 < rows; i0 += kRowBlock) {
      const int block_end = std::min(rows, i0 + kRowBlock);
      for (int p = 0; p < panels; ++p) {
        const float* panel = w.data.data() + (static_cast<size_t>(p) * in + k0) * kPanel;
        const int cols = std::min(kPanel, out - p * kPanel);
        const float* b = bias != nullptr ? bias + p * kPanel : nullptr;
        for (int i = i0; i < block_end; i += kTileRows) {
          const float* xs = x + static_cast<size_t>(i) * in + k0;
          float* ys = y + static_cast<size_t>(i) * out + p * kPanel;
          with_tile_rows(block_end - i, [&](auto tile_rows) {
            tile<decltype(tile_rows)::value>(xs, in, panel, depth, ys, out, cols, b, first, last, epilogue);
          });
        }
      }
    }
  }
}
#endif

}  // namespace

bool packed_kernel_available() {
  static const bool available = cpu_has_avx2_fma();
  return available;
}

PackedMatrix pack_matrix(const float* weight, int out, int in, bool use_kernel) {
  PackedMatrix packed;
  packed.out = out;
  packed.in = in;
  packed.kernel = use_kernel && packed_kernel_available();
  if (!packed.kernel) {
    packed.data.assign(weight, weight + static_cast<size_t>(out) * in);  // [out, in] for OpenBLAS
    return packed;
  }
  // [panel][in][16]: panel p holds columns 16p .. 16p + 15 of W^T, zero beyond `out`.
  const int panels = (out + kPanel - 1) / kPanel;
  packed.data.assign(static_cast<size_t>(panels) * in * kPanel, 0.0f);
  for (int o = 0; o < out; ++o) {
    float* dst = packed.data.data() + static_cast<size_t>(o / kPanel) * in * kPanel + o % kPanel;
    const float* src = weight + static_cast<size_t>(o) * in;
    for (int k = 0; k < in; ++k) dst[static_cast<size_t>(k) * kPanel] = src[k];
  }
  return packed;
}

void linear(const float* x, int rows, const PackedMatrix& w, const float* bias, float* y, Epilogue epilogue) {
  if (rows == 0 || w.out == 0) return;
#if ATTN_HAVE_AVX2_KERNEL
  if (w.kernel) {
    linear_avx2(x, rows, w, bias, y, epilogue);
    return;
  }
#endif
  const size_t size = static_cast<size_t>(rows) * w.out;
  const bool accumulate = epilogue == Epilogue::Accumulate;
  gemm(false, true, rows, w.out, w.in, 1.0f, x, w.in, w.data.data(), w.in, accumulate ? 1.0f : 0.0f, y, w.out);
  if (bias != nullptr) add_bias(y, rows, w.out, bias);
  if (epilogue == Epilogue::Relu) relu(y, size);
}

}  // namespace attn::ops
