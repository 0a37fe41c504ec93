#pragma once
// Transformer layers. Each owns a plain struct of its weights, shape-checked once by the loader;
// the forward functions never look a weight up by name.
//
// Batches are packed, not padded: the token states of all inputs are stacked as rows of one
// [total_tokens, d_model] matrix, input b owning rows offsets[b] .. offsets[b] + lengths[b].
// Position-wise layers (projections, feed-forward, layer norm) run as one GEMM over every row;
// only attention looks at sequence boundaries, so no padded key ever exists and none can leak in.
#include <cstdint>
#include <vector>

#include "attn/config.h"
#include "attn/ops.h"

namespace attn {

struct BatchLayout {
  std::vector<int> offsets;  // [batch] first row of each input
  std::vector<int> lengths;  // [batch] tokens of each input
  int total_tokens = 0;

  void add(int length) {
    offsets.push_back(total_tokens);
    lengths.push_back(length);
    total_tokens += length;
  }
  int size() const { return static_cast<int>(lengths.size()); }
};

// Scratch buffers reused between batches so the hot path does not allocate once warmed up.
struct Workspace {
  std::vector<float> states;     // [tokens, d_model]
  std::vector<float> qkv;        // [tokens, 3 * d_model]
  std::vector<float> context;    // [tokens, d_model] concatenated head outputs
  std::vector<float> normed;     // [tokens, d_model] pre-norm: the normalised input of a sublayer
  std::vector<float> hidden;     // [chunk of tokens, ffn_dim]
  std::vector<float> scores;     // [max_length, max_length] one head of one input at a time
  std::vector<float> pooled;     // [batch, d_model]
  std::vector<float> embedded;   // [tokens, embedding_dim] before the projection, when a v2 model has one
  std::vector<float> head_hidden;  // [batch, d_model] the head's dense layer, for heads other than linear
  ops::AttentionScratch attention;  // the AVX2 attention kernel's per-head buffers
};

struct LayerNormWeights {
  std::vector<float> gamma;  // [width] (d_model, or embedding_dim for the embedding norm)
  std::vector<float> beta;   // [width]
};

// e = config.embedding_width() (d_model unless a v2 file says otherwise).
struct EmbeddingWeights {
  std::vector<float> table;      // [vocab_size, e]
  std::vector<float> positions;  // [max_length, e] when positional_encoding is learned, else empty
  LayerNormWeights norm;         // [e] when embedding_norm, else empty
  std::vector<float> projection_weight;  // [d_model, e] when embedding_projection, else empty; stored [out, in]
  std::vector<float> projection_bias;    // [d_model]
  ops::PackedMatrix projection_packed;   // projection_weight prepared by pack_weights
};

// Interleaved sinusoids: [max_length, width], P[pos][2j] = sin(pos / 10000^(2j/width)), P[pos][2j+1] = cos(same).
std::vector<float> sinusoidal_positions(int max_length, int width);

// out[i] = table[ids[i]] + positions[i], for the n tokens of one input; table rows, positions and out are
// `width` wide (out is [n, width]).
void embed(const EmbeddingWeights& weights, const std::vector<float>& positions, int width, const int32_t* ids,
           int n, float* out);

void pack_weights(EmbeddingWeights& weights, const ModelConfig& config, bool use_kernel = true);

// Steps 1-3 of the forward pass for a whole batch, into work.states [total_tokens, d_model]: token + position
// embeddings [n, e] per input, the embedding layer norm (embedding_norm), the projection e -> d_model
// (embedding_projection; the [n, e] sums then wait in work.embedded). ids[b] holds input b's layout.lengths[b] ids.
void embed_batch(const EmbeddingWeights& weights, const ModelConfig& config, const std::vector<float>& positions,
                 const std::vector<const int32_t*>& ids, const BatchLayout& layout, Workspace& work);

struct AttentionWeights {
  // Wq, Wk, Wv stacked at load into one [3 * d_model, d_model] matrix (stored [out, in]) so that the three
  // projections are one GEMM: rows 0..d are the query, d..2d the key, 2d..3d the value.
  std::vector<float> qkv_weight;     // [3 * d_model, d_model]
  std::vector<float> qkv_bias;       // [3 * d_model]
  std::vector<float> output_weight;  // [d_model, d_model], stored [out, in]
  std::vector<float> output_bias;    // [d_model]
  std::vector<float> additive_v;     // [num_heads, d_head] when attention_score is additive, else empty
  ops::PackedMatrix qkv_packed;      // qkv_weight and output_weight prepared for ops::linear by pack_weights
  ops::PackedMatrix output_packed;
};

// Multi-head self-attention over each input of the batch: out = concat_h(softmax(S_h) v_h) Wo^T + bo, with the
// scores S_h of config.attention_score and the causal mask of config.causal (docs/model-format.md).
// x and out are [total_tokens, d_model]; the result is added to out (the residual connection; out may be x).
// When attention_weights_out is non-null, attention_weights_out[b] (if non-null) receives
// input b's weights as [num_heads, length, length].
void self_attention(const AttentionWeights& weights, const ModelConfig& config, const float* x,
                    const BatchLayout& layout, Workspace& work, float* out, float* const* attention_weights_out);

struct FeedForwardWeights {
  std::vector<float> linear1_weight;  // [ffn_dim, d_model], stored [out, in]
  std::vector<float> linear1_bias;    // [ffn_dim]
  std::vector<float> linear2_weight;  // [d_model, ffn_dim], stored [out, in]
  std::vector<float> linear2_bias;    // [d_model]
  ops::PackedMatrix linear1_packed;   // linear1_weight and linear2_weight prepared by pack_weights
  ops::PackedMatrix linear2_packed;
};

// out += W2 act(W1 x + b1) + b2 per row, act from config.activation; x and out are [rows, d_model] (out may be x).
void feed_forward(const FeedForwardWeights& weights, const ModelConfig& config, const float* x, int rows,
                  Workspace& work, float* out);

struct EncoderBlockWeights {
  AttentionWeights attention;
  LayerNormWeights attention_norm;
  FeedForwardWeights ffn;
  LayerNormWeights ffn_norm;
};

// Fills the *_packed matrices from the [out, in] weights; the model does it once after loading. use_kernel false
// keeps OpenBLAS for every product (the tests compare the two paths). The layers throw std::logic_error on
// weights that were never packed.
void pack_weights(AttentionWeights& weights, int d_model, bool use_kernel = true);
void pack_weights(FeedForwardWeights& weights, int d_model, int ffn_dim, bool use_kernel = true);
void pack_weights(EncoderBlockWeights& weights, int d_model, int ffn_dim, bool use_kernel = true);

// One encoder block, in place on work.states. Post-norm: x = LN1(x + attention(x)); x = LN2(x + ffn(x)).
// Pre-norm: x = x + attention(LN1(x)); x = x + ffn(LN2(x)).
void encoder_block(const EncoderBlockWeights& weights, const ModelConfig& config, const BatchLayout& layout,
                   Workspace& work, float* const* attention_weights_out);

struct ClassifierWeights {
  std::vector<float> weight;  // [num_labels, d_model], stored [out, in]
  std::vector<float> bias;    // [num_labels]
  std::vector<float> pooling_query;  // [d_model] when pooling is attention, else empty
  std::vector<float> head_weight;    // [d_model, d_model] for heads other than linear, else empty; [out, in]
  std::vector<float> head_bias;      // [d_model]
  ops::PackedMatrix packed;   // weight prepared for ops::linear by pack_weights
  ops::PackedMatrix head_packed;     // head_weight, likewise
};

void pack_weights(ClassifierWeights& weights, int d_model, int num_labels, bool use_kernel = true);

// Pools each input's rows of work.states into work.pooled [batch, d_model] (config.pooling), then, for a head
// other than linear, h = act(pooled Wh^T + bh) (tanh, ReLU or erf GELU, config.head), and
// logits [batch, num_labels] = h Wc^T + bc (h = pooled for the linear head). With attention pooling and
// pooling_weights_out non-null, pooling_weights_out[b] (if non-null) receives input b's pooling weights, [length].
void pool_and_classify(const ClassifierWeights& weights, const ModelConfig& config, const BatchLayout& layout,
                       Workspace& work, float* logits, float* const* pooling_weights_out);

}  // namespace attn
