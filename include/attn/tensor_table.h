#pragma once
// Every tensor of a model in one list: its name in a model file, its shape for a given config, and the field of
// ModelWeights it fills. The format readers (through the binder), the binary cache, parameter_count, the tests
// and tools/export.py (checked by tests/exporter_tensors.py) all follow this list, so adding a tensor is one entry
// in src/model/tensor_table.cpp and the field in its layer's weights struct (include/attn/layers.h).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "attn/config.h"
#include "attn/model.h"

namespace attn {

struct TensorShape {
  std::string name;            // e.g. "layers.0.attention.query.weight"
  std::vector<int64_t> shape;  // for this config, row-major, [out, in] for a matrix
  int64_t elements() const;
};

// A tensor bound to the part of ModelWeights it fills: storage[offset, offset + elements()). The query, key and
// value projections of a layer share one storage, stacked [3 * d_model, d_model], so they have offsets.
struct TensorBinding : TensorShape {
  std::vector<float>* storage = nullptr;
  size_t offset = 0;
};

// The same over weights that are only read.
struct TensorView : TensorShape {
  const float* data = nullptr;  // [elements()]
};

// The tensors a model with this config has, in the order of a model file; a tensor an architecture variant
// calls for (learned positions, additive scores, the pre-norm final norm, the pooling query; in format v2 the
// embedding norm and projection and the head's dense layer) only when the config chooses that variant. weights.layers
// must hold config.num_layers blocks (std::logic_error otherwise).
std::vector<TensorBinding> tensor_table(const ModelConfig& config, ModelWeights& weights);
std::vector<TensorView> tensor_table(const ModelConfig& config, const ModelWeights& weights);

// Names and shapes only.
std::vector<TensorShape> tensor_shapes(const ModelConfig& config);

// "[128,64]", as messages show a shape.
std::string shape_string(const std::vector<int64_t>& shape);

}  // namespace attn
