// The problems and sizes measured, in one list that every benchmark binary part
// (tapegrad, hand-written, peers) walks, so all variants measure the same instances.
#pragma once

#include <string>

#include "problems.hpp"

namespace bench {

template <class Problem>
std::string label(const Problem& p) {
  return std::string(Problem::name) + "/" + std::to_string(p.n);
}

template <class Visit>
void for_each_problem(Visit&& visit) {
  for (std::size_t n : {10, 1000, 100000}) {
    visit(Sum{n});
    visit(Prod{n});
    visit(LogSumExp{n});
    visit(NormalLogPdf{n});
    visit(Regression{n});
    visit(StochasticVolatility{n});
    visit(Rosenbrock{n});
    visit(RosenbrockTemporaries{{n}});
  }
  visit(TwoVariable{});
  visit(Residual{});
  visit(SigmoidLayer{64});
  visit(SigmoidLayer{256});
}

}  // namespace bench
