#include <cblas.h>

#include "attn/ops.h"

namespace attn::ops {

void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc) {
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k,
              alpha, a, lda, b, ldb, beta, c, ldc);
}

// OpenBLAS's own thread pool (pthreads build): its idle threads spin on sched_yield for about 0.1 s after the
// library starts, on cores attn's workers need. With one BLAS thread per call the pool has nothing to do, so it
// is stopped; a weak reference, so that a BLAS without this function (or a serial build) links all the same.
extern "C" int blas_thread_shutdown_(void) __attribute__((weak));

void set_blas_threads(int threads) {
  openblas_set_num_threads(threads);
  if (threads == 1 && blas_thread_shutdown_ != nullptr) blas_thread_shutdown_();
}

void gemm_reference(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
                    const float* b, int ldb, float beta, float* c, int ldc) {
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double sum = 0.0;
      for (int p = 0; p < k; ++p) {
        const float av = trans_a ? a[p * lda + i] : a[i * lda + p];
        const float bv = trans_b ? b[j * ldb + p] : b[p * ldb + j];
        sum += static_cast<double>(av) * bv;
      }
      float& out = c[i * ldc + j];
      // beta == 0 must ignore whatever C holds (it may be uninitialised), as BLAS does.
      out = static_cast<float>(alpha * sum + (beta == 0.0f ? 0.0 : static_cast<double>(beta) * out));
    }
  }
}

}  // namespace attn::ops
