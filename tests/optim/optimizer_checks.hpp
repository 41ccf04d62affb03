// Checks every optimizer test uses: blocked kernels against entries stepped alone, and
// errors that name their value.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace optimizer_checks {

namespace tg = tapegrad;
namespace opt = tapegrad::optim;

// A long parameter is updated in blocks; each entry must move as the same optimizer
// moves it alone, whatever block it falls in. Up to rounding: vectorized and scalar
// code may contract a·b + c into one fused multiply-add differently, so the tolerance
// is a few units in the last place of the terms (of the size of the start value).
template <class Optimizer, class Options>
void expect_entrywise(
    const Options& options, double (*gradient)(double) = [](double x) { return 2 * x + 0.5; },
    int steps = 3) {
  const Eigen::Index n = 1000;  // several blocks and a partial one
  const Eigen::VectorXd start = Eigen::VectorXd::LinSpaced(n, -2, 3);
  tg::Parameter all(start);
  Optimizer together({all}, options);
  std::vector<tg::Parameter> single;
  for (Eigen::Index i = 0; i < n; ++i) single.emplace_back(start(i));
  std::vector<opt::ParameterRef> refs(single.begin(), single.end());
  Optimizer apart(refs, options);
  for (int step = 0; step < steps; ++step) {
    for (Eigen::Index i = 0; i < n; ++i) all.grad()(i) = gradient(all.value()(i));
    for (tg::Parameter& p : single) p.grad()(0) = gradient(p.value()(0));
    together.step();
    apart.step();
  }
  for (Eigen::Index i = 0; i < n; ++i)
    ASSERT_NEAR(all.value()(i), single[i].value()(0), 1e-14 * (1 + std::abs(start(i))))
        << Optimizer::name << ", entry " << i;
}

inline void expect_error(const std::function<void()>& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one mentioning " << fragment;
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

}  // namespace optimizer_checks
