#include "attn/metrics.h"

#include <stdexcept>
#include <string>

namespace attn {

ConfusionMatrix::ConfusionMatrix(int num_labels)
    : counts_(static_cast<size_t>(num_labels), std::vector<size_t>(static_cast<size_t>(num_labels), 0)) {}

void ConfusionMatrix::add(int true_label, int predicted_label) {
  const int n = static_cast<int>(counts_.size());
  if (true_label < 0 || true_label >= n || predicted_label < 0 || predicted_label >= n) {
    throw std::out_of_range("label index outside 0.." + std::to_string(n - 1));
  }
  ++counts_[true_label][predicted_label];
  ++total_;
}

double ConfusionMatrix::accuracy() const {
  size_t correct = 0;
  for (size_t i = 0; i < counts_.size(); ++i) correct += counts_[i][i];
  return total_ == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(total_);
}

size_t ConfusionMatrix::support(int label) const {
  size_t sum = 0;
  for (size_t count : counts_[label]) sum += count;
  return sum;
}

double ConfusionMatrix::precision(int label) const {
  size_t predicted = 0;
  for (const auto& row : counts_) predicted += row[label];
  return predicted == 0 ? 0.0 : static_cast<double>(counts_[label][label]) / static_cast<double>(predicted);
}

double ConfusionMatrix::recall(int label) const {
  const size_t actual = support(label);
  return actual == 0 ? 0.0 : static_cast<double>(counts_[label][label]) / static_cast<double>(actual);
}

double ConfusionMatrix::f1(int label) const {
  const double p = precision(label), r = recall(label);
  return p + r == 0.0 ? 0.0 : 2.0 * p * r / (p + r);
}

double ConfusionMatrix::macro_f1() const {
  if (counts_.empty()) return 0.0;
  double sum = 0.0;
  for (size_t i = 0; i < counts_.size(); ++i) sum += f1(static_cast<int>(i));
  return sum / static_cast<double>(counts_.size());
}

}  // namespace attn
