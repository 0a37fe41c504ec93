// Prints the tensor table of each model file given, "name d0,d1,..." a line after a "# file" line, for
// tests/exporter_tensors.py to compare with tools/export.py's list.
#include <cstdio>
#include <exception>

#include "attn/model.h"
#include "attn/tensor_table.h"

int main(int argc, char** argv) {
  try {
    for (int i = 1; i < argc; ++i) {
      const attn::Model model = attn::Model::load(argv[i]);
      std::printf("# %s\n", argv[i]);
      for (const attn::TensorShape& tensor : attn::tensor_shapes(model.config())) {
        std::printf("%s %s\n", tensor.name.c_str(), attn::shape_string(tensor.shape).c_str());
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "print_tensor_table: %s\n", e.what());
    return 1;
  }
  return 0;
}
