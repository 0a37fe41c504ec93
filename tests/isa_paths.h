#pragma once
// The kernel instruction sets this CPU runs, narrowest first: the tests run every one of them (the AVX2 kernels
// too on an AVX-512 machine) and compare each with the same reference.
#include <vector>

#include "attn/ops.h"

inline std::vector<attn::ops::Isa> isa_paths() {
  std::vector<attn::ops::Isa> isas;
  for (const auto isa : {attn::ops::Isa::Portable, attn::ops::Isa::Avx2, attn::ops::Isa::Avx512}) {
    if (isa <= attn::ops::cpu_isa()) isas.push_back(isa);
  }
  return isas;
}
