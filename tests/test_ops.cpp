// Ops against naive references and hand-computed values.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "attn/ops.h"
#include "isa_paths.h"

namespace {

// sgemm accumulates in float; the reference in double. Relative to the magnitude of the inputs (|x| <= 1).
constexpr float kGemmTolerance = 1e-5f;
constexpr float kKernelTolerance = 1e-6f;
// A faster path against its double-precision reference (the 1e-5), inputs in [-0.5, 0.5].
constexpr double kFastPathTolerance = 1e-5;

std::vector<float> random_vector(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

}  // namespace

TEST_CASE("gemm matches the triple-loop reference for every transpose, stride, alpha and beta", "[ops]") {
  std::mt19937 rng(42);
  const int shapes[][3] = {{1, 1, 1}, {3, 5, 7}, {17, 9, 33}, {64, 48, 128}, {5, 130, 3}};
  for (const auto& s : shapes) {
    const int m = s[0], n = s[1], k = s[2];
    for (int ta = 0; ta < 2; ++ta) {
      for (int tb = 0; tb < 2; ++tb) {
        for (const float beta : {0.0f, 0.5f}) {
          const int pad = 3;  // row strides larger than the logical width
          const int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
          const auto a = random_vector(static_cast<size_t>(ta ? k : m) * lda, rng);
          const auto b = random_vector(static_cast<size_t>(tb ? n : k) * ldb, rng);
          auto c_fast = random_vector(static_cast<size_t>(m) * ldc, rng);
          auto c_ref = c_fast;
          attn::ops::gemm(ta, tb, m, n, k, 0.75f, a.data(), lda, b.data(), ldb, beta, c_fast.data(), ldc);
          attn::ops::gemm_reference(ta, tb, m, n, k, 0.75f, a.data(), lda, b.data(), ldb, beta, c_ref.data(), ldc);
          for (int i = 0; i < m; ++i) {
            for (int j = 0; j < n; ++j) {
              INFO("m=" << m << " n=" << n << " k=" << k << " ta=" << ta << " tb=" << tb << " beta=" << beta);
              REQUIRE(c_fast[i * ldc + j] == Approx(c_ref[i * ldc + j]).margin(kGemmTolerance * static_cast<float>(k)));
            }
            // Padding columns beyond n are untouched.
            for (int j = n; j < ldc; ++j) REQUIRE(c_fast[i * ldc + j] == c_ref[i * ldc + j]);
          }
        }
      }
    }
  }
}

TEST_CASE("gemm_reference agrees with a hand-computed product", "[ops]") {
  const float a[] = {1, 2, 3, 4, 5, 6};    // [2,3]
  const float b[] = {7, 8, 9, 10, 11, 12};  // [3,2]
  float c[4] = {};
  attn::ops::gemm_reference(false, false, 2, 2, 3, 1.0f, a, 3, b, 2, 0.0f, c, 2);
  CHECK(c[0] == 58.0f);  // 1*7 + 2*9 + 3*11
  CHECK(c[1] == 64.0f);
  CHECK(c[2] == 139.0f);
  CHECK(c[3] == 154.0f);
}

TEST_CASE("linear computes x W^T + b with W stored [out, in], on every path", "[ops]") {
  const float x[] = {1, 2};                    // [1, in=2]
  const float w[] = {1, 0, 0, 1, 2, -1};       // [out=3, in=2]
  const float bias[] = {0.5f, -0.5f, 1.0f};
  for (const attn::ops::Isa isa : isa_paths()) {
    const attn::ops::PackedMatrix packed = attn::ops::pack_matrix(w, 3, 2, isa);
    float y[3];
    attn::ops::linear(x, 1, packed, bias, y);
    CHECK(y[0] == 1.5f);
    CHECK(y[1] == 1.5f);
    CHECK(y[2] == 1.0f);
    attn::ops::linear(x, 1, packed, nullptr, y);
    CHECK(y[2] == 0.0f);
  }
}

TEST_CASE("packed linear matches the double-precision reference for every epilogue and every ISA", "[ops]") {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-0.5f, 0.5f);
  // Rows around the 6- and 12-row tiles and the 96-row block, widths around the 16- and 32-column panels
  // (2: a classifier), depths below, at and above the 512- and 1024-deep slices.
  const int shapes[][3] = {{1, 16, 64},   {5, 17, 3},     {6, 48, 128},  {7, 2, 256},    {13, 32, 129},
                           {12, 33, 64},  {97, 33, 257},  {25, 95, 130}, {200, 64, 513}, {13, 40, 512},
                           {30, 33, 1024}, {7, 64, 1025}, {100, 17, 1537}};
  const attn::ops::Epilogue epilogues[] = {attn::ops::Epilogue::None, attn::ops::Epilogue::Relu,
                                           attn::ops::Epilogue::Accumulate};
  for (const attn::ops::Isa isa : isa_paths()) {
    for (const auto& shape : shapes) {
      const int rows = shape[0], out = shape[1], in = shape[2];
      std::vector<float> x(static_cast<size_t>(rows) * in), w(static_cast<size_t>(out) * in), bias(out);
      std::vector<float> y0(static_cast<size_t>(rows) * out);
      for (auto* v : {&x, &w, &bias, &y0})
        for (auto& value : *v) value = dist(rng);
      const attn::ops::PackedMatrix packed = attn::ops::pack_matrix(w.data(), out, in, isa);
      REQUIRE(packed.isa == isa);
      for (const auto epilogue : epilogues) {
        for (const bool with_bias : {true, false}) {
          std::vector<float> y = y0;
          attn::ops::linear(x.data(), rows, packed, with_bias ? bias.data() : nullptr, y.data(), epilogue);
          for (int i = 0; i < rows; ++i) {
            for (int o = 0; o < out; ++o) {
              double expected = with_bias ? bias[o] : 0.0;
              for (int k = 0; k < in; ++k) expected += static_cast<double>(x[i * in + k]) * w[o * in + k];
              if (epilogue == attn::ops::Epilogue::Relu) expected = std::max(expected, 0.0);
              if (epilogue == attn::ops::Epilogue::Accumulate) expected += y0[i * out + o];
              INFO("isa " << attn::ops::isa_name(isa) << " rows " << rows << " out " << out << " in " << in << " epilogue "
                             << static_cast<int>(epilogue) << " bias " << with_bias << " at " << i << "," << o);
              REQUIRE(y[i * out + o] == Approx(expected).margin(kFastPathTolerance));
            }
          }
        }
      }
    }
  }
}

TEST_CASE("softmax matches the closed form, sums to 1 and is stable for large scores", "[ops]") {
  float row[] = {1.0f, 2.0f, 3.0f};
  attn::ops::softmax(row, 3);
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  CHECK(row[0] == Approx(std::exp(1.0) / z).margin(kKernelTolerance));
  CHECK(row[1] == Approx(std::exp(2.0) / z).margin(kKernelTolerance));
  CHECK(row[2] == Approx(std::exp(3.0) / z).margin(kKernelTolerance));
  CHECK(row[0] + row[1] + row[2] == Approx(1.0f).margin(kKernelTolerance));

  float large[] = {1000.0f, 1001.0f};
  attn::ops::softmax(large, 2);
  CHECK(std::isfinite(large[0]));
  CHECK(large[1] == Approx(1.0 / (1.0 + std::exp(-1.0))).margin(kKernelTolerance));

  float single[] = {-5.0f};
  attn::ops::softmax(single, 1);
  CHECK(single[0] == 1.0f);
}

TEST_CASE("exp_nonpositive is within 2^-22 relative of exp on [-87, 0]", "[ops]") {
  constexpr double kExpRelative = 1.0 / (1 << 22);
  double worst = 0.0;
  for (int i = 0; i <= 870000; ++i) {
    const float x = -static_cast<float>(i) * 1e-4f;
    const double want = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::abs(attn::ops::exp_nonpositive(x) - want) / want);
  }
  CHECK(worst < kExpRelative);
  CHECK(attn::ops::exp_nonpositive(0.0f) == 1.0f);
  // Below -87 the result stays exp(-87) (about 1.6e-38): finite, positive, far below any tolerance.
  CHECK(attn::ops::exp_nonpositive(-1000.0f) == attn::ops::exp_nonpositive(-87.0f));
  CHECK(attn::ops::exp_nonpositive(-1000.0f) > 0.0f);
}

TEST_CASE("softmax and layer_norm match double-precision references at every length and tail", "[ops]") {
  // The kernels reduce over 8 partial sums and then a tail; lengths around multiples of 8 cover both parts.
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> score(-30.0f, 30.0f);
  for (int n = 1; n <= 70; ++n) {
    std::vector<float> row(static_cast<size_t>(n));
    for (auto& x : row) x = score(rng);
    const float max_score = *std::max_element(row.begin(), row.end());
    double z = 0.0;
    for (float x : row) z += std::exp(static_cast<double>(x) - max_score);
    std::vector<float> got = row;
    attn::ops::softmax(got.data(), n);
    for (int i = 0; i < n; ++i) {
      CHECK(got[static_cast<size_t>(i)] ==
            Approx(std::exp(static_cast<double>(row[static_cast<size_t>(i)]) - max_score) / z).margin(kKernelTolerance));
    }

    std::vector<float> v = random_vector(static_cast<size_t>(n), rng), gamma = random_vector(static_cast<size_t>(n), rng),
                       beta = random_vector(static_cast<size_t>(n), rng);
    double mean = 0.0, var = 0.0;
    for (float x : v) mean += x;
    mean /= n;
    for (float x : v) var += (x - mean) * (x - mean);
    var /= n;
    std::vector<float> normed = v;
    attn::ops::layer_norm(normed.data(), 1, n, gamma.data(), beta.data(), 1e-6f);
    for (size_t i = 0; i < v.size(); ++i) {
      const double want = (v[i] - mean) / std::sqrt(var + 1e-6) * gamma[i] + beta[i];
      CHECK(normed[i] == Approx(want).margin(10 * kKernelTolerance));
    }
  }
}

TEST_CASE("add_bias adds the bias to every row", "[ops]") {
  std::vector<float> y = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18};  // [2, 9]: a tail after 8
  const float bias[] = {0.5f, -1, 2, 0, 0, 0, 0, 0, 100};
  attn::ops::add_bias(y.data(), 2, 9, bias);
  CHECK(y[0] == 1.5f);
  CHECK(y[1] == 1.0f);
  CHECK(y[8] == 109.0f);
  CHECK(y[9] == 10.5f);
  CHECK(y[17] == 118.0f);
}

TEST_CASE("layer_norm normalises each row with the biased variance and epsilon", "[ops]") {
  float x[] = {1, 2, 3, 4, 10, 10, 10, 10};  // [2, 4]; the second row has zero variance
  const float gamma[] = {1, 2, 1, 1};
  const float beta[] = {0, 0, 1, 0};
  const float eps = 1e-6f;
  attn::ops::layer_norm(x, 2, 4, gamma, beta, eps);
  const double inv_std = 1.0 / std::sqrt(1.25 + 1e-6);  // mean 2.5, variance (2.25+0.25+0.25+2.25)/4
  CHECK(x[0] == Approx(-1.5 * inv_std).margin(kKernelTolerance));
  CHECK(x[1] == Approx(2 * -0.5 * inv_std).margin(kKernelTolerance));
  CHECK(x[2] == Approx(0.5 * inv_std + 1).margin(kKernelTolerance));
  CHECK(x[3] == Approx(1.5 * inv_std).margin(kKernelTolerance));
  // Constant row: (x - mean) = 0, so the output is beta and epsilon keeps it finite.
  CHECK(x[4] == 0.0f);
  CHECK(x[6] == 1.0f);
}

TEST_CASE("relu and add_inplace", "[ops]") {
  float x[] = {-1.0f, 0.0f, 2.5f, -0.0f};
  attn::ops::relu(x, 4);
  CHECK(x[0] == 0.0f);
  CHECK(x[2] == 2.5f);
  float y[] = {1, 2, 3, 4};
  attn::ops::add_inplace(y, x, 4);
  CHECK(y[2] == 5.5f);
  CHECK(y[0] == 1.0f);
}

// Both GELUs are computed through exp_nonpositive (vectorised, no libm call); their absolute error, measured
// against the double-precision forms over [-12, 12], stays below 1.7e-7 times max(1, |x|).
constexpr double kGeluTolerance = 2.5e-7;

namespace {

// x = -12 .. 12 in steps of 1/256, an odd count so that the loop's tail after the vector lanes runs too.
std::vector<float> gelu_inputs() {
  std::vector<float> x;
  for (int i = -12 * 256; i <= 12 * 256; ++i) x.push_back(static_cast<float>(i) / 256.0f);
  return x;
}

}  // namespace

TEST_CASE("gelu is the exact erf form", "[ops]") {
  const std::vector<float> in = gelu_inputs();
  std::vector<float> x = in;
  attn::ops::gelu(x.data(), x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = in[i];
    const double want = 0.5 * v * std::erfc(-v / std::sqrt(2.0));  // = 0.5 v (1 + erf(v / sqrt 2))
    REQUIRE(x[i] == Approx(want).margin(kGeluTolerance * std::max(1.0, std::fabs(v))));
  }
  float one[] = {-1.0f, 0.0f, 40.0f};
  attn::ops::gelu(one, 3);
  CHECK(one[0] == Approx(-0.15865525).margin(1e-7));  // differs from the tanh approximation (-0.15880801)
  CHECK(one[1] == 0.0f);
  CHECK(one[2] == 40.0f);
}

TEST_CASE("gelu_tanh is the tanh approximation", "[ops]") {
  const std::vector<float> in = gelu_inputs();
  std::vector<float> x = in;
  attn::ops::gelu_tanh(x.data(), x.size());
  const double k = std::sqrt(2.0 / M_PI);
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = in[i];
    // 0.5 v (1 + tanh(u)) written as v / (1 + exp(-2u)), which keeps its precision where tanh(u) is near -1.
    const double want = v / (1.0 + std::exp(-2.0 * k * (v + 0.044715 * v * v * v)));
    REQUIRE(x[i] == Approx(want).margin(kGeluTolerance * std::max(1.0, std::fabs(v))));
  }
}

TEST_CASE("the ISA names round-trip and the kernels never exceed the CPU", "[ops]") {
  CHECK(std::string(attn::ops::isa_name(attn::ops::Isa::Avx512)) == "avx512");
  CHECK(std::string(attn::ops::isa_name(attn::ops::Isa::Avx2)) == "avx2");
  CHECK(std::string(attn::ops::isa_name(attn::ops::Isa::Portable)) == "portable");
  CHECK(attn::ops::kernel_isa() <= attn::ops::cpu_isa());
  // Asking for more than the CPU has packs for what it has.
  const float w[] = {1, 2};
  CHECK(attn::ops::pack_matrix(w, 1, 2, attn::ops::Isa::Avx512).isa == attn::ops::cpu_isa());
  // Head widths: AVX-512 takes multiples of 16, AVX2 multiples of 8 (also under an AVX-512 packing), else none.
  CHECK(attn::ops::attention_isa(12, attn::ops::Isa::Avx512) == attn::ops::Isa::Portable);
  CHECK(attn::ops::attention_isa(16, attn::ops::Isa::Portable) == attn::ops::Isa::Portable);
  if (attn::ops::cpu_isa() >= attn::ops::Isa::Avx2) {
    CHECK(attn::ops::attention_isa(24, attn::ops::Isa::Avx512) == attn::ops::Isa::Avx2);
    CHECK(attn::ops::attention_isa(16, attn::ops::Isa::Avx2) == attn::ops::Isa::Avx2);
  }
  if (attn::ops::cpu_isa() == attn::ops::Isa::Avx512) {
    CHECK(attn::ops::attention_isa(16, attn::ops::Isa::Avx512) == attn::ops::Isa::Avx512);
  }
}
