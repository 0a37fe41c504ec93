// What OpenBLAS sgemm reaches on this machine for one of the model's GEMM shapes, called the way attn's
// ops::linear calls it: row-major, C[M,N] (preloaded with the bias, beta = 1) += A[M,K] * W[N,K]^T.
// Usage: bench_sgemm M N K [threads (default 1)] [seconds per round (default 0.2)]
//        bench_sgemm --config   (prints OpenBLAS's build configuration)
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--config") == 0) {
    std::printf("%s\n", openblas_get_config());
    return 0;
  }
  if (argc < 4) {
    std::fprintf(stderr, "usage: bench_sgemm M N K [threads] [seconds] | bench_sgemm --config\n");
    return 2;
  }
  const int m = std::atoi(argv[1]), n = std::atoi(argv[2]), k = std::atoi(argv[3]);
  const int threads = argc > 4 ? std::atoi(argv[4]) : 1;
  const double seconds = argc > 5 ? std::atof(argv[5]) : 0.2;
  if (m <= 0 || n <= 0 || k <= 0 || threads <= 0 || seconds <= 0) {
    std::fprintf(stderr, "bench_sgemm: sizes, threads and seconds must be positive\n");
    return 2;
  }
  openblas_set_num_threads(threads);
  std::vector<float> a(static_cast<size_t>(m) * k), w(static_cast<size_t>(n) * k), bias(static_cast<size_t>(n));
  std::vector<float> c(static_cast<size_t>(m) * n);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i % 17) * 0.01f - 0.08f;
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i % 13) * 0.01f - 0.06f;
  for (size_t i = 0; i < bias.size(); ++i) bias[i] = 0.001f * static_cast<float>(i);

  auto call = [&] {
    for (int r = 0; r < m; ++r) std::copy(bias.begin(), bias.end(), c.begin() + static_cast<long>(r) * n);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a.data(), k, w.data(), k, 1.0f, c.data(), n);
  };
  call();  // warm-up: thread start, first touch of the buffers
  // Best of five rounds: a short interruption by another process must not lower the figure.
  double best = 0.0;
  for (int round = 0; round < 5; ++round) {
    long calls = 0;
    const auto start = std::chrono::steady_clock::now();
    double elapsed = 0.0;
    do {
      call();
      ++calls;
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } while (elapsed < seconds);
    best = std::max(best, 2.0 * m * n * k * static_cast<double>(calls) / elapsed * 1e-9);
  }
  std::printf("M %d N %d K %d threads %d gflops %.2f check %.3f\n", m, n, k, threads, best, static_cast<double>(c[0]));
  return 0;
}
