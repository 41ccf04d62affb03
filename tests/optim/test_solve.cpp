// Systems of equations, least squares and implicit differentiation: the seed equation
// and Powell's badly scaled system to a residual of 1e-12, a singular Jacobian at the
// start handed to Levenberg–Marquardt, the dogleg on Moré, Garbow & Hillstrom's systems
// against the line search, a curve fit, and dx*/dθ of a root against finite differences
// of the re-solved root.
#include <gtest/gtest.h>

#include <cmath>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace tg = tapegrad;
namespace opt = tapegrad::optim;
using tg::Var;

namespace {

TEST(Solve, TheSeedEquationToAResidualOf1e12) {
  // x⁷ + x³ − 25 + eˣ + log(x + x²) + 1/x = 0.
  auto seed = [](std::span<const Var> x) {
    const Var& v = x[0];
    return std::vector<Var>{tg::pow(v, 7.0) + tg::pow(v, 3.0) - 25.0 + tg::exp(v) + tg::log(v + v * v) +
                            1.0 / v};
  };
  const opt::SolveResult r = opt::solve(seed, std::vector<double>{1.0});
  ASSERT_TRUE(r.converged()) << opt::to_string(r.reason);
  EXPECT_LE(r.residual_norm, 1e-12);
  // The residual recomputed here, in long double, from the returned root.
  const long double x = r.x[0];
  const long double g = std::pow(x, 7) + x * x * x - 25 + std::exp(x) + std::log(x + x * x) + 1 / x;
  EXPECT_LE(std::abs(static_cast<double>(g)), 1e-12);
}

TEST(Solve, PowellsBadlyScaledSystemToAResidualOf1e12) {
  // 10⁴xy = 1, e⁻ˣ + e⁻ʸ = 1.0001 from (0, 1) (Moré, Garbow & Hillstrom problem 3).
  auto powell = [](std::span<const Var> v) {
    return std::vector<Var>{1e4 * v[0] * v[1] - 1.0, tg::exp(-v[0]) + tg::exp(-v[1]) - 1.0001};
  };
  const opt::SolveResult r = opt::solve(powell, std::vector<double>{0.0, 1.0});
  ASSERT_TRUE(r.converged()) << opt::to_string(r.reason) << " |F| = " << r.residual_norm;
  EXPECT_LE(r.residual_norm, 1e-12);
  const double x = r.x[0], y = r.x[1];
  EXPECT_LE(std::abs(1e4 * x * y - 1), 1e-12);
  EXPECT_LE(std::abs(std::exp(-x) + std::exp(-y) - 1.0001), 1e-12);
  EXPECT_NEAR(x, 1.098159e-5, 1e-10);  // the published solution
  EXPECT_NEAR(y, 9.106147, 1e-5);
}

TEST(Solve, ASingularJacobianAtTheStartGoesToLevenbergMarquardt) {
  // F = (x + y² − 3, 2x + 2y² − 6 + y³): at (0, 0) J = [[1, 0], [2, 0]] has rank 1, so
  // Newton has no step; the only root is (3, 0) (F₂ − 2F₁ = y³).
  auto f = [](std::span<const Var> v) {
    return std::vector<Var>{v[0] + v[1] * v[1] - 3.0,
                            2.0 * v[0] + 2.0 * v[1] * v[1] - 6.0 + v[1] * v[1] * v[1]};
  };
  // J dense (Auto for two unknowns) and sparse: the sparse LU finds J singular as the QR
  // does, and Levenberg–Marquardt then stores J sparse too.
  for (const opt::JacobianStorage storage : {opt::JacobianStorage::Auto, opt::JacobianStorage::Sparse}) {
    opt::SolveOptions options;
    options.jacobian = storage;
    const opt::SolveResult r = opt::solve(f, std::vector<double>{0.0, 0.0}, options);
    ASSERT_TRUE(r.converged()) << opt::to_string(r.reason);
    EXPECT_EQ(r.method, "levenberg-marquardt");
    EXPECT_NEAR(r.x[0], 3.0, 1e-12);
    EXPECT_NEAR(r.x[1], 0.0, 1e-12);
  }
}

TEST(Solve, SaysWhenThereIsNoRootAndReturnsTheBestPoint) {
  // x² + 1 = 0 has no real root; |F| is smallest at x = 0.
  auto f = [](std::span<const Var> v) { return std::vector<Var>{v[0] * v[0] + 1.0}; };
  const opt::SolveResult r = opt::solve(f, std::vector<double>{2.0});
  EXPECT_FALSE(r.converged());
  EXPECT_NEAR(r.x[0], 0.0, 1e-3);
  EXPECT_NEAR(r.residual_norm, 1.0, 1e-6);
}

TEST(Solve, RejectsMoreUnknownsThanEquations) {
  auto f = [](std::span<const Var> v) { return std::vector<Var>{v[0] + v[1]}; };
  EXPECT_THROW(opt::solve(f, std::vector<double>{1.0, 2.0}), tg::Error);
}

// Moré, Garbow & Hillstrom's problem 3 (Powell's badly scaled system).
auto powell_badly_scaled = [](std::span<const Var> v) {
  return std::vector<Var>{1e4 * v[0] * v[1] - 1.0, tg::exp(-v[0]) + tg::exp(-v[1]) - 1.0001};
};

TEST(SolveDogleg, PowellsBadlyScaledSystemInFewerIterationsThanTheLineSearch) {
  // The line search along the Newton direction crawls here (its steps are cut to keep
  // exp(−x₂) in check while x₁ ≈ 10⁻⁵); the dogleg's region, scaled by J's columns
  // (10⁴x₂ against e⁻ˣ²), lets x₂ grow by steady steps.
  opt::SolveOptions newton, dogleg;
  newton.method = opt::SolveMethod::Newton;
  dogleg.method = opt::SolveMethod::Dogleg;
  const opt::SolveResult by_line_search =
      opt::solve(powell_badly_scaled, std::vector<double>{0.0, 1.0}, newton);
  const opt::SolveResult by_dogleg = opt::solve(powell_badly_scaled, std::vector<double>{0.0, 1.0}, dogleg);
  ASSERT_TRUE(by_line_search.converged()) << opt::to_string(by_line_search.reason);
  ASSERT_TRUE(by_dogleg.converged()) << opt::to_string(by_dogleg.reason)
                                     << " |F| = " << by_dogleg.residual_norm;
  EXPECT_EQ(by_dogleg.method, "dogleg");
  EXPECT_EQ(by_dogleg.linear_solver, "dense QR");
  EXPECT_LT(by_dogleg.iterations, by_line_search.iterations);
  EXPECT_LT(by_dogleg.evaluations, by_line_search.evaluations);
  // The same root, and a root: F recomputed here in long double.
  EXPECT_NEAR(by_dogleg.x[0], by_line_search.x[0], 1e-10);
  EXPECT_NEAR(by_dogleg.x[1], by_line_search.x[1], 1e-10);
  const long double x = by_dogleg.x[0], y = by_dogleg.x[1];
  EXPECT_LE(std::abs(static_cast<double>(1e4L * x * y - 1)), 1e-12);
  EXPECT_LE(std::abs(static_cast<double>(std::exp(-x) + std::exp(-y) - 1.0001L)), 1e-12);
  EXPECT_NEAR(by_dogleg.x[0], 1.098159e-5, 1e-10);  // the published solution
  EXPECT_NEAR(by_dogleg.x[1], 9.106147, 1e-5);
}

TEST(SolveDogleg, RosenbrocksSystemToItsOnlyRoot) {
  // MGH problem 1: 10(x₂ − x₁²) = 0, 1 − x₁ = 0 from (−1.2, 1); the only root is (1, 1).
  auto rosenbrock_system = [](std::span<const Var> v) {
    return std::vector<Var>{10.0 * (v[1] - v[0] * v[0]), 1.0 - v[0]};
  };
  opt::SolveOptions options;
  options.method = opt::SolveMethod::Dogleg;
  const opt::SolveResult r = opt::solve(rosenbrock_system, std::vector<double>{-1.2, 1.0}, options);
  ASSERT_TRUE(r.converged()) << opt::to_string(r.reason);
  EXPECT_NEAR(r.x[0], 1.0, 1e-12);
  EXPECT_NEAR(r.x[1], 1.0, 1e-12);
  EXPECT_LE(r.residual_norm, 1e-12);
}

TEST(SolveDogleg, FreudensteinRothEndsAtTheSpuriousMinimumAsTheLineSearchDoes) {
  // MGH problem 2 from (0.5, −2): the root is (5, 4), but both methods are drawn to the
  // local minimum of ‖F‖ near (11.41, −0.8968), where MGH give ‖F‖² = 48.9842.
  auto freudenstein_roth = [](std::span<const Var> v) {
    return std::vector<Var>{-13.0 + v[0] + ((5.0 - v[1]) * v[1] - 2.0) * v[1],
                            -29.0 + v[0] + ((v[1] + 1.0) * v[1] - 14.0) * v[1]};
  };
  for (const opt::SolveMethod method : {opt::SolveMethod::Newton, opt::SolveMethod::Dogleg}) {
    opt::SolveOptions options;
    options.method = method;
    const opt::SolveResult r = opt::solve(freudenstein_roth, std::vector<double>{0.5, -2.0}, options);
    EXPECT_EQ(r.reason, opt::SolveStop::Stalled) << opt::to_string(method);
    EXPECT_NEAR(r.residual_norm * r.residual_norm, 48.9842, 0.01) << opt::to_string(method);
    EXPECT_NEAR(r.x[1], -0.8968, 0.01) << opt::to_string(method);
  }
}

TEST(SolveDogleg, ASingularJacobianAtTheStartStepsAlongTheGradientAndTheLeastSquaresStep) {
  // F = (x² + y − 3, x − y + 1): det J = −2x − 1 vanishes on x = −½, so J is singular at
  // the start (−½, 0); the roots are (1, 2) and (−2, −1) (x² + x − 2 = 0), J regular at both.
  // Dense, the Gauss–Newton step is a least-squares solution; sparse, the LU finds J singular
  // and the first step follows the gradient alone.
  auto f = [](std::span<const Var> v) {
    return std::vector<Var>{v[0] * v[0] + v[1] - 3.0, v[0] - v[1] + 1.0};
  };
  for (const opt::JacobianStorage storage : {opt::JacobianStorage::Dense, opt::JacobianStorage::Sparse}) {
    opt::SolveOptions options;
    options.method = opt::SolveMethod::Dogleg;
    options.jacobian = storage;
    const opt::SolveResult r = opt::solve(f, std::vector<double>{-0.5, 0.0}, options);
    ASSERT_TRUE(r.converged()) << opt::to_string(r.reason);
    const bool first = std::abs(r.x[0] - 1) < 1e-6;
    EXPECT_NEAR(r.x[0], first ? 1.0 : -2.0, 1e-12);
    EXPECT_NEAR(r.x[1], first ? 2.0 : -1.0, 1e-12);
  }
}

TEST(SolveDogleg, ARootWhereJIsSingularIsReachedButNotLocated) {
  // The system of ASingularJacobianAtTheStartGoesToLevenbergMarquardt: from (0, 0), where
  // J = [[1, 0], [2, 0]] and F = (−3, −6), the least-squares step is (3, 0) and fits the
  // first trust region (radius 100: ‖D·x₀‖ = 0), so the dogleg lands on the root (3, 0) at
  // once. J is singular there and no steps led to it: the residual is within the tolerance
  // at a point that is not located, which solve() reports as such.
  auto f = [](std::span<const Var> v) {
    return std::vector<Var>{v[0] + v[1] * v[1] - 3.0,
                            2.0 * v[0] + 2.0 * v[1] * v[1] - 6.0 + v[1] * v[1] * v[1]};
  };
  opt::SolveOptions options;
  options.method = opt::SolveMethod::Dogleg;
  const opt::SolveResult r = opt::solve(f, std::vector<double>{0.0, 0.0}, options);
  EXPECT_EQ(r.reason, opt::SolveStop::Asymptote);
  EXPECT_EQ(r.iterations, 1);
  EXPECT_NEAR(r.x[0], 3.0, 1e-14);
  EXPECT_EQ(r.x[1], 0.0);
}

TEST(LeastSquares, FitsAnExponentialCurveExactly) {
  // y = 2.5·e^(−1.3 t) sampled without noise: the residuals vanish at (2.5, −1.3).
  std::vector<double> t, y;
  for (int i = 0; i < 12; ++i) {
    t.push_back(0.25 * i);
    y.push_back(2.5 * std::exp(-1.3 * 0.25 * i));
  }
  auto residuals = [&](std::span<const Var> p) {
    std::vector<Var> r;
    for (std::size_t i = 0; i < t.size(); ++i) r.emplace_back(p[0] * tg::exp(p[1] * t[i]) - y[i]);
    return r;
  };
  const opt::MinimizeResult r = opt::least_squares(residuals, std::vector<double>{1.0, 0.0}, {},
                                                   {.max_steps = 100, .gradient_norm = 1e-14});
  EXPECT_TRUE(opt::converged(r.reason)) << opt::to_string(r.reason);
  EXPECT_NEAR(r.x[0], 2.5, 1e-10);
  EXPECT_NEAR(r.x[1], -1.3, 1e-10);
  EXPECT_LE(r.f, 1e-20);
}

TEST(ImplicitSolve, DerivativesMatchFiniteDifferencesOfTheResolvedRoot) {
  // x* solves x³ + θ₀x − θ₁ = 0 and y* = x*² + θ₀ y*... as a 2×2 system in (x, y):
  //   x³ + θ₀ x − θ₁ = 0,   y − sin(x y) − θ₀θ₁ = 0.
  auto equations = [](std::span<const Var> v, std::span<const Var> th) {
    return std::vector<Var>{v[0] * v[0] * v[0] + th[0] * v[0] - th[1],
                            v[1] - tg::sin(v[0] * v[1]) - th[0] * th[1]};
  };
  const std::vector<double> theta0{1.5, 2.0}, start{1.0, 1.0};
  // A scalar of the roots: L = x* y* + θ₀.
  auto loss = [&](const std::vector<double>& theta) {
    tg::Tape tape;
    const std::vector<Var> th(theta.begin(), theta.end());
    const std::vector<Var> root = opt::implicit_solve(equations, th, start);
    const Var l = root[0] * root[1] + th[0];
    return std::pair{l.value(), tg::gradient(l, th)};
  };
  const auto [value, gradient] = loss(theta0);
  for (std::size_t k = 0; k < 2; ++k) {
    const double h = 1e-4;
    auto at = [&](double step) {
      std::vector<double> th = theta0;
      th[k] += step;
      return loss(th).first;
    };
    const double fd = (8 * (at(h) - at(-h)) - (at(2 * h) - at(-2 * h))) / (12 * h);
    EXPECT_NEAR(gradient[k], fd, 1e-8 * std::max(1.0, std::abs(fd))) << "dL/dθ" << k;
  }
  EXPECT_TRUE(std::isfinite(value));
}

}  // namespace
