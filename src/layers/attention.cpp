#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "attn/layers.h"
#include "attn/ops.h"

namespace attn {
namespace {

// Additive (Bahdanau) scores of one head: S[i][j] = v · tanh(q[i] + k[j]); q and k rows have stride `stride`.
void additive_scores(const float* q, const float* k, const float* v, int n, int d_head, int stride, float* scores) {
  for (int i = 0; i < n; ++i) {
    const float* qi = q + static_cast<size_t>(i) * stride;
    for (int j = 0; j < n; ++j) {
      const float* kj = k + static_cast<size_t>(j) * stride;
      float sum = 0.0f;
      for (int t = 0; t < d_head; ++t) sum += v[t] * std::tanh(qi[t] + kj[t]);
      scores[static_cast<size_t>(i) * n + j] = sum;
    }
  }
}

}  // namespace

void pack_weights(AttentionWeights& weights, int d_model, bool use_kernel) {
  weights.qkv_packed = ops::pack_matrix(weights.qkv_weight.data(), 3 * d_model, d_model, use_kernel);
  weights.output_packed = ops::pack_matrix(weights.output_weight.data(), d_model, d_model, use_kernel);
}

void self_attention(const AttentionWeights& weights, const ModelConfig& config, const float* x,
                    const BatchLayout& layout, Workspace& work, float* out, float* const* attention_weights_out) {
  const int d = config.d_model;
  const int d_head = config.head_dim();
  const int rows = layout.total_tokens;
  const int qkv_stride = 3 * d;
  if (weights.qkv_packed.empty()) throw std::logic_error("self_attention: weights not packed");
  ops::at_least(work.qkv, static_cast<size_t>(rows) * qkv_stride);
  ops::at_least(work.context, static_cast<size_t>(rows) * d);

  // [rows, 3d]: one GEMM for the query, key and value projections of every token of every input.
  ops::linear(x, rows, weights.qkv_packed, weights.qkv_bias.data(), work.qkv.data());

  const float scale = config.attention_score == AttentionScore::ScaledDot
                          ? 1.0f / std::sqrt(static_cast<float>(d_head))
                          : 1.0f;
  // The head kernel of the weights' ISA where it applies (streaming past one key block when no weights are
  // asked for); else OpenBLAS per head, with the n x n scores.
  const ops::Isa isa = config.attention_score == AttentionScore::Additive
                           ? ops::Isa::Portable
                           : ops::attention_isa(d_head, weights.qkv_packed.isa);
  for (int b = 0; b < layout.size(); ++b) {
    const int n = layout.lengths[b];
    const float* qkv = work.qkv.data() + static_cast<size_t>(layout.offsets[b]) * qkv_stride;
    float* context = work.context.data() + static_cast<size_t>(layout.offsets[b]) * d;
    float* weights_out = attention_weights_out != nullptr ? attention_weights_out[b] : nullptr;
    // Only this input's n keys exist here, so there is nothing to mask: padding never enters the softmax.
    if (isa != ops::Isa::Portable) {
      ops::attention_heads(qkv, n, d, config.num_heads, scale, config.causal, isa, work.attention, context,
                           weights_out);
      continue;
    }
    ops::at_least(work.scores, static_cast<size_t>(n) * n);
    for (int h = 0; h < config.num_heads; ++h) {
      const float* q = qkv + h * d_head;          // [n, d_head], row stride 3d
      const float* k = qkv + d + h * d_head;      // [n, d_head], row stride 3d
      const float* v = qkv + 2 * d + h * d_head;  // [n, d_head], row stride 3d
      float* scores = weights_out != nullptr ? weights_out + static_cast<size_t>(h) * n * n : work.scores.data();  // [n, n]
      if (config.attention_score == AttentionScore::Additive) {
        additive_scores(q, k, weights.additive_v.data() + static_cast<size_t>(h) * d_head, n, d_head, qkv_stride,
                        scores);
      } else {
        ops::gemm(false, true, n, n, d_head, scale, q, qkv_stride, k, qkv_stride, 0.0f, scores, n);
      }
      for (int i = 0; i < n; ++i) {
        float* row = scores + static_cast<size_t>(i) * n;
        // Causal: query i sees keys 0..i; the later keys get weight exactly 0 (the -inf of the mask).
        const int visible = config.causal ? i + 1 : n;
        ops::softmax(row, visible);
        std::fill(row + visible, row + n, 0.0f);
      }
      // context[:, head h] = A v_h, [n, d_head] written into the concatenated [n, d] layout.
      ops::gemm(false, false, n, d_head, n, 1.0f, scores, n, v, qkv_stride, 0.0f, context + h * d_head, d);
    }
  }
  ops::linear(work.context.data(), rows, weights.output_packed, weights.output_bias.data(), out,
              ops::Epilogue::Accumulate);
}

}  // namespace attn
