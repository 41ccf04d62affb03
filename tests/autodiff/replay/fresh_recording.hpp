// What every replay is compared with: f recorded afresh on an ordinary tape.
#pragma once

#include <functional>
#include <random>
#include <span>
#include <tapegrad/autodiff/autodiff.hpp>
#include <vector>

namespace replay_testing {

using Function = std::function<tapegrad::Var(std::span<const tapegrad::Var>)>;

// f's value at x, with its gradient in g, from a fresh recording.
inline double fresh_gradient(const Function& f, const std::vector<double>& x, std::vector<double>& g) {
  tapegrad::Tape tape;
  std::vector<tapegrad::Var> xs(x.begin(), x.end());
  const tapegrad::Var y = f(xs);
  tape.backward(y);
  g.clear();
  for (const tapegrad::Var& xi : xs) g.push_back(xi.adjoint());
  return y.value();
}

// n numbers drawn uniformly from [lo, hi) by a generator seeded with `seed`.
inline std::vector<double> random_point(std::size_t n, double lo, double hi, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> x(n);
  for (double& v : x) v = dist(rng);
  return x;
}

}  // namespace replay_testing
