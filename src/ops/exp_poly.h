#pragma once
// The constants of exp(x) for x <= 0 shared by the two softmax paths: ops::exp_nonpositive (kernels.cpp, scalar,
// vectorised by the compiler) and its eight-lane twin in the AVX2 attention kernel, so that both agree to float
// rounding. x = n ln2 + r with |r| <= ln2/2, exp(r) by a degree-7 polynomial (the Taylor coefficients 1/k!,
// k <= 7: the truncation error at |r| <= 0.35 is below 2e-9, so float rounding dominates), and 2^n from the
// exponent bits. x below kLowest (where exp(x) < 2^-125, about 1.6e-38) gives exp(kLowest) rather than a
// subnormal: after softmax's max subtraction, such a term is 0 to any tolerance we check.

namespace attn::ops::exp_poly {

constexpr float kLowest = -87.0f;
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f;  // ln 2 split in two so that n * kLn2Hi is exact
constexpr float kLn2Lo = -2.12194440054690583e-4f;
// 1/k! for k = 7 down to 0, in the order Horner's rule takes them: p = kTaylor[0], then p = p * r + kTaylor[i].
constexpr float kTaylor[] = {1.0f / 5040.0f, 1.0f / 720.0f, 1.0f / 120.0f, 1.0f / 24.0f, 1.0f / 6.0f, 0.5f, 1.0f,
                             1.0f};
constexpr int kTerms = sizeof kTaylor / sizeof kTaylor[0];

}  // namespace attn::ops::exp_poly
