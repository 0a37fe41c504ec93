#pragma once
// Classification metrics from a confusion matrix: accuracy, per-label precision / recall / F1, macro-F1.
#include <cstddef>
#include <vector>

namespace attn {

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int num_labels);

  void add(int true_label, int predicted_label);
  // counts()[t][p]: inputs of true label t predicted as p.
  const std::vector<std::vector<size_t>>& counts() const { return counts_; }
  size_t total() const { return total_; }

  double accuracy() const;
  size_t support(int label) const;  // inputs whose true label is `label`
  // Precision, recall and F1 of one label; 0 when undefined (no predictions of it, no inputs of it), as
  // scikit-learn reports them with zero_division=0.
  double precision(int label) const;
  double recall(int label) const;
  double f1(int label) const;
  double macro_f1() const;  // unweighted mean of the per-label F1

 private:
  std::vector<std::vector<size_t>> counts_;
  size_t total_ = 0;
};

}  // namespace attn
