// The data of the regression lessons: 40 points y = 2x + 1 + noise, x in [0, 2), and
// the mean squared error of the line y = a·x + b over them, for Vars or doubles.
#pragma once

#include <random>
#include <type_traits>
#include <vector>

namespace lesson {

struct Points {
  std::vector<double> x, y;
  Points() {
    std::mt19937 random(7);
    std::normal_distribution<double> noise(0, 0.3);
    for (int i = 0; i < 40; ++i) {
      x.push_back(i / 20.0);
      y.push_back(2 * x.back() + 1 + noise(random));
    }
  }
  // L(a, b) = mean of (a·xᵢ + b − yᵢ)²; v = (a, b).
  template <class V>
  auto loss(const V& v) const {
    using T = std::decay_t<decltype(v[0])>;  // double, or a tape Var
    T sum = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const T r = v[0] * x[i] + v[1] - y[i];
      sum = T(sum + r * r);
    }
    return T(sum / static_cast<double>(x.size()));
  }
};

}  // namespace lesson
