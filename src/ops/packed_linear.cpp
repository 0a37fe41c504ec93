#include <algorithm>
#include <cstring>

#include "attn/ops.h"
#include "simd.h"

// y = epilogue(x W^T + b) for the engine's fixed weights, with W repacked once at load into column panels so the
// inner loop reads it contiguously. A register-blocked kernel (linear_kernel.inc: AVX2 + FMA tiles of 6 rows x
// 16 columns, AVX-512 tiles of 12 rows x 32 columns) replaces OpenBLAS there: at these sizes (K of 64 to 512, a
// few hundred rows) OpenBLAS packs both operands and zeroes C on every call, and bias, ReLU and the residual add
// need extra passes over y. Elsewhere (no AVX2 + FMA, or a compiler other than GCC/Clang on x86-64) the same
// contract is kept with OpenBLAS and separate passes.

namespace attn::ops {

#define ATTN_KERNEL_FILE "linear_kernel.inc"
#include "per_isa.h"
#undef ATTN_KERNEL_FILE

PackedMatrix pack_matrix(const float* weight, int out, int in, Isa isa) {
  PackedMatrix packed;
  packed.out = out;
  packed.in = in;
  packed.isa = std::min(isa, cpu_isa());
  if (!packed.kernel()) {
    packed.data.assign(weight, weight + static_cast<size_t>(out) * in);  // [out, in] for OpenBLAS
    return packed;
  }
  // [panel][in][width]: panel p holds columns p * width .. p * width + width - 1 of W^T, zero beyond `out`.
  const int width = packed.panel();
  const int panels = (out + width - 1) / width;
  packed.data.assign(static_cast<size_t>(panels) * in * width, 0.0f);
  for (int o = 0; o < out; ++o) {
    float* dst = packed.data.data() + static_cast<size_t>(o / width) * in * width + o % width;
    const float* src = weight + static_cast<size_t>(o) * in;
    for (int k = 0; k < in; ++k) dst[static_cast<size_t>(k) * width] = src[k];
  }
  return packed;
}

void linear(const float* x, int rows, const PackedMatrix& w, const float* bias, float* y, Epilogue epilogue) {
  if (rows == 0 || w.out == 0) return;
#if ATTN_HAVE_X86_KERNELS
  static_assert(2 * Avx2::kLanes == 16 && 2 * Avx512::kLanes == 32, "PackedMatrix::panel()");
  if (w.isa == Isa::Avx512) return avx512::linear(x, rows, w, bias, y, epilogue);
  if (w.isa == Isa::Avx2) return avx2::linear(x, rows, w, bias, y, epilogue);
#endif
  const size_t size = static_cast<size_t>(rows) * w.out;
  const bool accumulate = epilogue == Epilogue::Accumulate;
  gemm(false, true, rows, w.out, w.in, 1.0f, x, w.in, w.data.data(), w.in, accumulate ? 1.0f : 0.0f, y, w.out);
  if (bias != nullptr) add_bias(y, rows, w.out, bias);
  if (epilogue == Epilogue::Relu) relu(y, size);
}

}  // namespace attn::ops
