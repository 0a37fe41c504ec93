#include <cstdlib>
#include <cstring>

#include "attn/ops.h"
#include "simd.h"

namespace attn::ops {
namespace {

Isa detect_cpu_isa() {
#if ATTN_HAVE_X86_KERNELS
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return Isa::Portable;
  return __builtin_cpu_supports("avx512f") ? Isa::Avx512 : Isa::Avx2;
#else
  return Isa::Portable;
#endif
}

// ATTN_ISA caps the choice (a narrower set than the CPU has, to compare or to debug); unknown names are ignored.
Isa detect_kernel_isa() {
  const Isa cpu = cpu_isa();
  const char* cap = std::getenv("ATTN_ISA");
  if (cap == nullptr) return cpu;
  for (const Isa isa : {Isa::Portable, Isa::Avx2, Isa::Avx512}) {
    if (std::strcmp(cap, isa_name(isa)) == 0) return isa < cpu ? isa : cpu;
  }
  return cpu;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512:
      return "avx512";
    case Isa::Avx2:
      return "avx2";
    case Isa::Portable:
      break;
  }
  return "portable";
}

Isa cpu_isa() {
  static const Isa isa = detect_cpu_isa();
  return isa;
}

Isa kernel_isa() {
  static const Isa isa = detect_kernel_isa();
  return isa;
}

}  // namespace attn::ops
