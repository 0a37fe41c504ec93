// Measures the machine's single-precision FMA peak: each thread runs many independent FMA chains (enough of
// them to cover the FMA latency on every pipe), so the loop is bound by FMA throughput alone.
// The widest FMA the CPU has is measured (AVX-512 where the engine would run its AVX-512 kernels, else AVX2 +
// FMA): the vector code is compiled per function with __attribute__((target)) and picked at run time the way
// src/ops/isa.cpp picks the engine's kernels, so the binary needs no -march flag and runs on any x86-64.
// Usage: bench_peak [iterations (default 200000000)] [threads for the all-cores figure (default: all cores)]
// Prints `key value` lines: isa, vector_bits (the width measured), single_core_gflops, threads, all_cores_gflops.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kChains = 12;  // > latency (4-5 cycles) x FMA pipes (2) on current x86 cores

__attribute__((target("avx512f"))) float fma_avx512(long iterations) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(static_cast<float>(c) * 1e-3f);
  const __m512 mul = _mm512_set1_ps(0.999999f);
  const __m512 add = _mm512_set1_ps(1e-7f);
  for (long i = 0; i < iterations; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], mul, add);
  }
  // Stored and summed by hand: GCC 12's _mm512_reduce_add_ps trips -Wuninitialized inside its own header.
  alignas(64) float lanes[16];
  float sum = 0.0f;
  for (int c = 0; c < kChains; ++c) {
    _mm512_store_ps(lanes, acc[c]);
    for (float v : lanes) sum += v;
  }
  return sum;
}

__attribute__((target("avx2,fma"))) float fma_avx2(long iterations) {
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(static_cast<float>(c) * 1e-3f);
  const __m256 mul = _mm256_set1_ps(0.999999f);
  const __m256 add = _mm256_set1_ps(1e-7f);
  for (long i = 0; i < iterations; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], mul, add);
  }
  alignas(32) float lanes[8];
  float sum = 0.0f;
  for (int c = 0; c < kChains; ++c) {
    _mm256_store_ps(lanes, acc[c]);
    for (float v : lanes) sum += v;
  }
  return sum;
}

// Without FMA hardware: SSE multiply and add, counted as 2 flops per lane like an FMA.
float mul_add_sse(long iterations) {
  __m128 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm_set1_ps(static_cast<float>(c) * 1e-3f);
  const __m128 mul = _mm_set1_ps(0.999999f);
  const __m128 add = _mm_set1_ps(1e-7f);
  for (long i = 0; i < iterations; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = _mm_add_ps(_mm_mul_ps(acc[c], mul), add);
  }
  alignas(16) float lanes[4];
  float sum = 0.0f;
  for (int c = 0; c < kChains; ++c) {
    _mm_store_ps(lanes, acc[c]);
    for (float v : lanes) sum += v;
  }
  return sum;
}

struct Kernel {
  const char* isa;  // named as `attn info` names the engine's kernels
  int lanes;        // floats per vector
  float (*run)(long);
};

Kernel pick_kernel() {
  // The engine's order (ops::cpu_isa): AVX-512 only on top of AVX2 + FMA.
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return {"sse (mul+add)", 4, mul_add_sse};
  if (__builtin_cpu_supports("avx512f")) return {"avx512", 16, fma_avx512};
  return {"avx2", 8, fma_avx2};
}

volatile float g_sink;  // keeps the results alive so the loops are not optimised away

// Runs the kernel on `threads` threads at once; returns GFLOP/s summed over them (wall time of the slowest).
double measure(const Kernel& k, long iterations, int threads) {
  std::vector<std::thread> pool;
  std::vector<float> sums(static_cast<size_t>(threads));
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { sums[static_cast<size_t>(t)] = k.run(iterations); });
  for (auto& th : pool) th.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (float s : sums) g_sink = s;
  const double flops = 2.0 * k.lanes * kChains * static_cast<double>(iterations) * threads;
  return flops / seconds * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  const long iterations = argc > 1 ? std::atol(argv[1]) : 200000000L;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = argc > 2 ? std::max(1, std::atoi(argv[2])) : cores;
  if (iterations <= 0) {
    std::fprintf(stderr, "usage: bench_peak [iterations > 0] [threads]\n");
    return 2;
  }
  const Kernel k = pick_kernel();
  measure(k, iterations / 10 + 1, 1);  // wakes the core up to its working clock before the timed runs
  // Best of three: a short interruption by another process must not lower the peak.
  double one = 0.0, all = 0.0;
  for (int r = 0; r < 3; ++r) {
    one = std::max(one, measure(k, iterations, 1));
    all = std::max(all, measure(k, iterations, threads));
  }
  std::printf("isa %s\n", k.isa);
  std::printf("vector_bits %d\n", 32 * k.lanes);
  std::printf("single_core_gflops %.1f\n", one);
  std::printf("threads %d\n", threads);
  std::printf("all_cores_gflops %.1f\n", all);
  return 0;
}
