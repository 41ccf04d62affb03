// The reference's example of minimize_constrained() (`\snippet test_constrained_example.cpp
// minimize_constrained`), compiled and run with IPOPT's tests: the program that holds it
// links tapegrad::ipopt, which the other examples do not need.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <tapegrad/optim/constrained/minimize_constrained.hpp>
#include <vector>

namespace tg = tapegrad;

TEST(DocExamples, MinimizeConstrained) {
  //! [minimize_constrained]
  // min (x − 2)² + (y − 1)²  subject to  x² + y² ≤ 1 (a function) and y ≥ 0 (a bound).
  auto f = [](auto x) { return tg::square(x[0] - 2.0) + tg::square(x[1] - 1.0); };
  auto c = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    return std::vector<V>{x[0] * x[0] + x[1] * x[1]};
  };
  const double inf = std::numeric_limits<double>::infinity();
  tg::optim::ConstrainedOptions options;
  options.lower = {-inf, 0.0};  // x free, y ≥ 0
  options.constraint_lower = {-inf};
  options.constraint_upper = {1.0};
  const tg::optim::ConstrainedResult r =
      tg::optim::minimize_constrained(f, c, std::vector<double>{0, 0}, options);
  // r.optimal(): the KKT conditions hold; r.x = (2, 1)/√5; r.multipliers[0] = √5 − 1
  //! [minimize_constrained]
  ASSERT_TRUE(r.optimal()) << r.solver_message;
  EXPECT_NEAR(r.x[0], 2 / std::sqrt(5.0), 1e-7);
  EXPECT_NEAR(r.x[1], 1 / std::sqrt(5.0), 1e-7);
  EXPECT_NEAR(r.multipliers[0], std::sqrt(5.0) - 1, 1e-6);
  EXPECT_NEAR(r.bound_multipliers_lower[1], 0, 1e-6);  // y's bound is not active
}
