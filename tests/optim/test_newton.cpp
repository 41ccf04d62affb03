// Newton-type methods through minimize(): one step on a quadratic, Rosenbrock from the
// textbook starts within step budgets, descent at every step from a start where the
// Hessian is indefinite, and the errors of a misuse.
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <cmath>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace tg = tapegrad;
namespace opt = tapegrad::optim;

namespace {

auto rosenbrock = [](auto x) { return 100.0 * tg::square(x[1] - tg::square(x[0])) + tg::square(1.0 - x[0]); };

auto make_newton = [](tg::Parameter& x) { return opt::Newton({x}); };
auto make_newton_cg = [](tg::Parameter& x) { return opt::NewtonCg({x}); };

// Counts steps and checks that f never increases from one step to the next.
struct DescentMonitor {
  double previous = INFINITY;
  long increases = 0;
  void on_step(const opt::StepReport& r) {
    if (r.f > previous) increases += 1;
    previous = r.f;
  }
};

TEST(Newton, SolvesAQuadraticInExactlyOneStep) {
  // f = ½xᵀAx − bᵀx, A symmetric positive definite: the minimum is A⁻¹b.
  const Eigen::Matrix3d a{{4, 1, 0.5}, {1, 3, -0.2}, {0.5, -0.2, 2}};
  const Eigen::Vector3d b{1, -2, 0.5};
  auto quadratic = [&](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    V f;
    for (int i = 0; i < 3; ++i) {
      f -= b(i) * x[static_cast<std::size_t>(i)];
      for (int j = 0; j < 3; ++j)
        f += 0.5 * a(i, j) * x[static_cast<std::size_t>(i)] * x[static_cast<std::size_t>(j)];
    }
    return f;
  };
  const Eigen::Vector3d expected = a.llt().solve(b);
  const opt::MinimizeResult r = opt::minimize(quadratic, std::vector<double>{3, -4, 10}, make_newton,
                                              {.max_steps = 1, .gradient_norm = 0});
  ASSERT_EQ(r.steps, 1);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(r.x[static_cast<std::size_t>(i)], expected(i), 1e-12);
}

TEST(NewtonCg, SolvesAQuadraticToTheForcingTermsAccuracyEachStep) {
  // Truncated CG stops at ‖r‖ ≤ min(0.5, √‖g‖)·‖g‖, so each step cuts the gradient
  // at least that much; on a quadratic, n CG iterations would be exact.
  const Eigen::Matrix2d a{{3, 1}, {1, 2}};
  auto quadratic = [&](auto x) {
    return 0.5 * (a(0, 0) * x[0] * x[0] + 2 * a(0, 1) * x[0] * x[1] + a(1, 1) * x[1] * x[1]) - x[0];
  };
  const opt::MinimizeResult r = opt::minimize(quadratic, std::vector<double>{3, -4}, make_newton_cg,
                                              {.max_steps = 10, .gradient_norm = 1e-12});
  EXPECT_EQ(r.reason, opt::StopReason::GradientNorm);
  EXPECT_LE(r.steps, 3);
  const Eigen::Vector2d expected = a.llt().solve(Eigen::Vector2d{1, 0});
  EXPECT_NEAR(r.x[0], expected(0), 1e-12);
  EXPECT_NEAR(r.x[1], expected(1), 1e-12);
}

TEST(Newton, ReachesRosenbrocksMinimumFromTheTextbookStartsWithin30Steps) {
  for (const std::vector<double>& start : {std::vector<double>{-1.2, 1.0}, std::vector<double>{2.5, -1.5}}) {
    DescentMonitor monitor;
    const opt::MinimizeResult r =
        opt::minimize(rosenbrock, start, make_newton, {.max_steps = 30, .gradient_norm = 1e-10}, monitor);
    EXPECT_EQ(r.reason, opt::StopReason::GradientNorm) << "from " << start[0] << ", " << start[1];
    EXPECT_LE(r.gradient_norm, 1e-10);
    EXPECT_LE(r.steps, 30);
    EXPECT_NEAR(r.x[0], 1.0, 1e-10);
    EXPECT_NEAR(r.x[1], 1.0, 1e-10);
    EXPECT_EQ(monitor.increases, 0);
  }
}

TEST(NewtonCg, ReachesRosenbrocksMinimumFromTheTextbookStartsWithin50Steps) {
  for (const std::vector<double>& start : {std::vector<double>{-1.2, 1.0}, std::vector<double>{2.5, -1.5}}) {
    DescentMonitor monitor;
    const opt::MinimizeResult r =
        opt::minimize(rosenbrock, start, make_newton_cg, {.max_steps = 50, .gradient_norm = 1e-10}, monitor);
    EXPECT_EQ(r.reason, opt::StopReason::GradientNorm) << "from " << start[0] << ", " << start[1];
    EXPECT_LE(r.steps, 50);
    EXPECT_NEAR(r.x[0], 1.0, 1e-9);
    EXPECT_NEAR(r.x[1], 1.0, 1e-9);
    EXPECT_EQ(monitor.increases, 0);
  }
}

TEST(Newton, DescendsAtEveryStepFromAStartWhereTheHessianIsIndefinite) {
  // f = x⁴/4 − x²/2 + y²/2 + xy/4... at (0.1, 0.3) ∂²f/∂x² = 3x² − 1 < 0: a pure Newton
  // step would head for the saddle. Both methods must go down every step.
  auto f = [](auto v) {
    return tg::pow(v[0], 4) / 4.0 - tg::square(v[0]) / 2.0 + tg::square(v[1]) / 2.0 + v[0] * v[1] / 4.0;
  };
  const std::vector<double> start{0.1, 0.3};
  EXPECT_LT(Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(tg::hessian(f, start)).eigenvalues().minCoeff(),
            0.0);
  for (auto make : {+[](tg::Parameter& x) -> std::unique_ptr<opt::Optimizer> {
                      return std::make_unique<opt::Newton>(std::vector<opt::ParameterRef>{x});
                    },
                    +[](tg::Parameter& x) -> std::unique_ptr<opt::Optimizer> {
                      return std::make_unique<opt::NewtonCg>(std::vector<opt::ParameterRef>{x});
                    }}) {
    DescentMonitor monitor;
    const opt::MinimizeResult r =
        opt::minimize(f, start, make, {.max_steps = 50, .gradient_norm = 1e-10}, monitor);
    EXPECT_EQ(monitor.increases, 0);
    // f ≈ −0.3 there, so f stops changing in double once |∇f| is near 1e-8.
    EXPECT_TRUE(opt::converged(r.reason)) << opt::to_string(r.reason);
    EXPECT_LE(r.gradient_norm, 1e-7);
    // A minimum: the Hessian there is positive definite.
    EXPECT_GT(Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(tg::hessian(f, r.x)).eigenvalues().minCoeff(),
              0.0);
  }
}

TEST(Newton, SaysSoWhenFCannotBeDifferentiatedTwice) {
  // Written for Var only, so its Hessian comes from its recording, and that holds a
  // custom_op, whose second derivatives no recording keeps.
  auto only_var = [](std::span<const tg::Var> x) {
    const std::vector<tg::Var> in{x[0]};
    return tg::custom_op(x[0].value() * x[0].value(), in, std::vector<double>{2 * x[0].value()});
  };
  EXPECT_THROW(
      {
        try {
          opt::minimize(only_var, std::vector<double>{1.0}, make_newton, {});
        } catch (const tg::Error& e) {
          EXPECT_NE(std::string(e.what()).find("generically"), std::string::npos) << e.what();
          throw;
        }
      },
      tg::Error);
  tg::Parameter x(Eigen::VectorXd::Ones(1));
  opt::Newton newton({x});
  EXPECT_THROW(newton.step(), tg::Error);
}

TEST(Newton, BacktrackingReachesTheMinimumToo) {
  const opt::MinimizeResult r = opt::minimize(
      rosenbrock, std::vector<double>{-1.2, 1.0},
      [](tg::Parameter& x) { return opt::Newton({x}, {.line_search = opt::StepSearch::Backtracking}); },
      {.max_steps = 50, .gradient_norm = 1e-10});
  EXPECT_EQ(r.reason, opt::StopReason::GradientNorm);
  EXPECT_NEAR(r.x[0], 1.0, 1e-10);
}

}  // namespace

namespace {

TEST(NewtonCg, StateDictRoundTripsItsOptionsAndCounters) {
  tg::Parameter x(Eigen::VectorXd::Ones(2));
  opt::NewtonCg a(
      {x}, {.lr = 0.5, .line_search = opt::StepSearch::Backtracking, .max_cg_iter = 7, .forcing = 0.1});
  opt::NewtonCg b({x});
  b.load_state_dict(a.state_dict());
  EXPECT_EQ(b.options().lr, 0.5);
  EXPECT_EQ(b.options().line_search, opt::StepSearch::Backtracking);
  EXPECT_EQ(b.options().max_cg_iter, 7);
  EXPECT_EQ(b.options().forcing, 0.1);
  // A state that breaks an option's rule is refused and changes nothing.
  opt::StateDict bad = a.state_dict();
  bad.entries["group.0.forcing"] = {2.0};
  EXPECT_THROW(b.load_state_dict(bad), tg::Error);
  EXPECT_EQ(b.options().forcing, 0.1);
}

}  // namespace
