// What the typed tests over the rules list share: the rules as GoogleTest types, a
// readable test name per rule, and random points inside each rule's sample interval
// kept off its kinks.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <random>
#include <string>
#include <tapegrad/autodiff/scalar/rules.hpp>
#include <tuple>
#include <vector>

namespace rule_sampling {

constexpr int points_per_rule = 24;
// The five-point stencil reaches 2·1e-3·max(1, |x|) to each side; points nearer a kink
// than this are drawn again.
constexpr double kink_margin = 0.05;

template <class Tuple>
struct AsTypes;
template <class... Rules>
struct AsTypes<std::tuple<Rules...>> {
  using type = ::testing::Types<Rules...>;
};

struct RuleNames {
  template <class Rule>
  static std::string GetName(int index) {
    const std::string name = Rule::name;
    return std::isalpha(static_cast<unsigned char>(name[0])) ? name : "operator" + std::to_string(index);
  }
};

template <class Rule, class... X>
bool near_kink(X... x) {
  if constexpr (requires { Rule::kink_distance(x...); })
    return Rule::kink_distance(x...) < kink_margin;
  else
    return false;
}

// Points with coordinate k drawn from intervals[k], none near a kink of Rule.
template <class Rule, std::size_t N>
std::vector<std::array<double, N>> sample_points(const std::array<tapegrad::rules::Interval, N>& intervals,
                                                 unsigned seed, int count = points_per_rule) {
  std::mt19937_64 rng(seed);
  std::vector<std::array<double, N>> points;
  while (points.size() < static_cast<std::size_t>(count)) {
    std::array<double, N> p;
    for (std::size_t k = 0; k < N; ++k)
      p[k] = std::uniform_real_distribution<double>(intervals[k].lo, intervals[k].hi)(rng);
    if (!std::apply([](auto... x) { return near_kink<Rule>(x...); }, p)) points.push_back(p);
  }
  return points;
}

}  // namespace rule_sampling
