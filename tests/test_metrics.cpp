// Metrics on a hand-computed confusion matrix.
#include <catch2/catch.hpp>

#include "attn/metrics.h"

TEST_CASE("accuracy, precision, recall, F1 and macro-F1 by hand", "[metrics]") {
  // 3 labels; true label first: 0->0 x3, 0->1 x1, 1->1 x2, 1->2 x2, 2->2 x1, 2->0 x1 (10 inputs).
  attn::ConfusionMatrix m(3);
  const int pairs[][2] = {{0, 0}, {0, 0}, {0, 0}, {0, 1}, {1, 1}, {1, 1}, {1, 2}, {1, 2}, {2, 2}, {2, 0}};
  for (const auto& p : pairs) m.add(p[0], p[1]);
  CHECK(m.total() == 10);
  CHECK(m.accuracy() == Approx(0.6));
  CHECK(m.counts()[1][2] == 2);
  CHECK(m.support(1) == 4);
  CHECK(m.precision(0) == Approx(3.0 / 4.0));  // predicted 0: three right, one from label 2
  CHECK(m.recall(0) == Approx(3.0 / 4.0));
  CHECK(m.precision(2) == Approx(1.0 / 3.0));
  CHECK(m.recall(2) == Approx(1.0 / 2.0));
  CHECK(m.f1(2) == Approx(2 * (1.0 / 3) * 0.5 / (1.0 / 3 + 0.5)));  // 0.4
  const double f1_0 = 0.75, f1_1 = 2 * (2.0 / 3) * 0.5 / (2.0 / 3 + 0.5), f1_2 = 0.4;
  CHECK(m.macro_f1() == Approx((f1_0 + f1_1 + f1_2) / 3));
}

TEST_CASE("undefined precision and recall are 0, and bad indices are refused", "[metrics]") {
  attn::ConfusionMatrix m(2);
  m.add(0, 0);
  CHECK(m.precision(1) == 0.0);  // never predicted
  CHECK(m.recall(1) == 0.0);     // never present
  CHECK(m.f1(1) == 0.0);
  CHECK(m.macro_f1() == Approx(0.5));
  CHECK_THROWS_AS(m.add(2, 0), std::out_of_range);
}
