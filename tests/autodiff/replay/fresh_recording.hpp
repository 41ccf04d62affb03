// What every replay is compared with: f recorded afresh on an ordinary tape.
#pragma once

#include <functional>
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

}  // namespace replay_testing
