#pragma once
// Readings of the attention weights of one input: heads aggregated, and the attention rollout of
// Abnar & Zuidema (2020), "Quantifying Attention Flow in Transformers". docs/attention.md gives the formulas.
#include <vector>

#include "attn/config.h"
#include "attn/model.h"

namespace attn {

enum class HeadAggregate { None, Mean, Max };

// One layer's weights aggregated over `heads` (every head when empty): [length, length], row-major.
// Mean keeps every row summing to 1; Max (elementwise) does not.
std::vector<float> aggregate_heads(const AttentionMaps& maps, int layer, HeadAggregate how,
                                   const std::vector<int>& heads = {});

// The rolled-out attention R = A'[L-1] ... A'[1] A'[0], [length, length], where per layer
// A' = 0.5 * mean_over_heads(A) + 0.5 * I with rows renormalised. Row i says how much token i's final state
// draws, through every layer and residual connection, on each input token; every row sums to 1.
std::vector<float> attention_rollout(const AttentionMaps& maps);

// One importance per token, summing to 1: the rollout rows weighted as the model pools its final states
// (mean: the mean of the rows; first / last: that row; attention: the pooling weights; max has no
// weights, so the mean is used).
std::vector<float> rollout_importance(const AttentionMaps& maps, Pooling pooling);

}  // namespace attn
