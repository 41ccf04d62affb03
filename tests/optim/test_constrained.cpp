// minimize_constrained() through IPOPT on problems whose optimum is derived by hand (or,
// for the equality-constrained least squares, solved in closed form through its KKT
// system), with the KKT conditions of every returned optimum checked from tapegrad's own
// dense derivatives: ∇f + Jᵀλ − z_lower + z_upper = 0.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <stdexcept>
#include <tapegrad/autodiff/autodiff.hpp>
#include <tapegrad/optim/constrained/minimize_constrained.hpp>
#include <vector>

namespace tg = tapegrad;
namespace opt = tapegrad::optim;

namespace {

constexpr double infinite = std::numeric_limits<double>::infinity();

// The stationarity residual of the Lagrangian at the result, from dense derivatives.
template <class F, class C>
double kkt_residual(F f, C c, const opt::ConstrainedResult& r) {
  const Eigen::Map<const Eigen::VectorXd> x(r.x.data(), static_cast<Eigen::Index>(r.x.size()));
  Eigen::VectorXd g(x.size());
  {
    tg::Tape tape;
    std::vector<tg::Var> v(r.x.begin(), r.x.end());
    const tg::Var y = f(std::span<const tg::Var>(v));
    const std::vector<double> grad = tg::gradient(y, v);
    g = Eigen::Map<const Eigen::VectorXd>(grad.data(), x.size());
  }
  if (!r.multipliers.empty()) {
    tg::Tape tape;
    std::vector<tg::Var> v(r.x.begin(), r.x.end());
    std::vector<tg::Var> cs;
    for (const auto& e : c(std::span<const tg::Var>(v))) cs.emplace_back(e);
    const Eigen::MatrixXd j = tg::jacobian(std::span<const tg::Var>(cs), std::span<const tg::Var>(v));
    g += j.transpose() * Eigen::Map<const Eigen::VectorXd>(r.multipliers.data(), j.rows());
  }
  for (Eigen::Index i = 0; i < x.size(); ++i)
    g(i) += -r.bound_multipliers_lower[static_cast<std::size_t>(i)] +
            r.bound_multipliers_upper[static_cast<std::size_t>(i)];
  return g.cwiseAbs().maxCoeff();
}

// x² + y² ≤ 1, as one constraint.
auto unit_disc = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  return std::vector<V>{x[0] * x[0] + x[1] * x[1]};
};

}  // namespace

// min (x−2)² + (y−1)² on the unit disc: the projection of (2, 1), (2, 1)/√5, with f* = (√5 − 1)²
// and, from 2(x − 2) + 2λx = 0, the multiplier λ = √5 − 1 (≥ 0: the constraint at its upper side).
TEST(MinimizeConstrained, AQuadraticOnADiscReachesTheProjection) {
  auto f = [](auto x) { return (x[0] - 2.0) * (x[0] - 2.0) + (x[1] - 1.0) * (x[1] - 1.0); };
  const opt::ConstrainedResult r = opt::minimize_constrained(
      f, unit_disc, std::vector<double>{0, 0}, {.constraint_lower = {-infinite}, .constraint_upper = {1}});
  ASSERT_TRUE(r.optimal()) << r.solver_message;
  const double s5 = std::sqrt(5.0);
  EXPECT_NEAR(r.x[0], 2 / s5, 1e-7);
  EXPECT_NEAR(r.x[1], 1 / s5, 1e-7);
  EXPECT_NEAR(r.f, (s5 - 1) * (s5 - 1), 1e-7);
  ASSERT_EQ(r.multipliers.size(), 1u);
  EXPECT_NEAR(r.multipliers[0], s5 - 1, 1e-6);
  EXPECT_NEAR(r.constraints[0], 1, 1e-7);
  EXPECT_TRUE(r.feasible(1e-7));
  EXPECT_LE(kkt_residual(f, unit_disc, r), 1e-6);
  EXPECT_GT(r.hessian_evaluations, 0);
}

// min (x−3)² + (y−½)² + (z+2)² on [0, 1]³: x on its upper face (1), y inside (½), z on its lower
// face (0); the bound multipliers are the gradient's size there: z_upper,x = −∂f/∂x = 4,
// z_lower,z = ∂f/∂z = 4.
TEST(MinimizeConstrained, ABoxBoundedQuadraticEndsOnAFace) {
  auto f = [](auto x) {
    return (x[0] - 3.0) * (x[0] - 3.0) + (x[1] - 0.5) * (x[1] - 0.5) + (x[2] + 2.0) * (x[2] + 2.0);
  };
  const opt::ConstrainedResult r =
      opt::minimize_bounded(f, std::vector<double>{0.5, 0.5, 0.5}, {.lower = {0, 0, 0}, .upper = {1, 1, 1}});
  ASSERT_TRUE(r.optimal()) << r.solver_message;
  EXPECT_NEAR(r.x[0], 1, 1e-7);
  EXPECT_NEAR(r.x[1], 0.5, 1e-7);
  EXPECT_NEAR(r.x[2], 0, 1e-7);
  EXPECT_NEAR(r.bound_multipliers_upper[0], 4, 1e-6);
  EXPECT_NEAR(r.bound_multipliers_lower[2], 4, 1e-6);
  EXPECT_NEAR(r.bound_multipliers_lower[1], 0, 1e-6);
  EXPECT_TRUE(r.multipliers.empty());
  EXPECT_LE(kkt_residual(f, opt::detail::NoConstraints{}, r), 1e-6);
}

// min ‖Ax − b‖² subject to Cx = d, against its KKT system solved in closed form:
//   [2AᵀA  Cᵀ] [x]   [2Aᵀb]
//   [C     0 ] [λ] = [d   ]
TEST(MinimizeConstrained, EqualityConstrainedLeastSquaresSolvesItsKktSystem) {
  Eigen::MatrixXd a(6, 4), c(2, 4);
  Eigen::VectorXd b(6), d(2);
  a << 1, 2, 0, 1, 0, 1, 3, 0, 2, 0, 1, 1, 1, 1, 1, 1, 0, 3, 0, 2, 4, 0, 1, 0;
  b << 1, -2, 3, 0.5, 2, -1;
  c << 1, 1, 1, 1, 1, -1, 2, 0;
  d << 2, 0.5;
  Eigen::MatrixXd kkt = Eigen::MatrixXd::Zero(6, 6);
  kkt.topLeftCorner(4, 4) = 2 * a.transpose() * a;
  kkt.topRightCorner(4, 2) = c.transpose();
  kkt.bottomLeftCorner(2, 4) = c;
  Eigen::VectorXd rhs(6);
  rhs << 2 * a.transpose() * b, d;
  const Eigen::VectorXd solution = kkt.fullPivLu().solve(rhs);

  auto f = [&](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    V s = 0.0;
    for (int i = 0; i < 6; ++i) {
      V r = -b(i);
      for (int j = 0; j < 4; ++j) r += a(i, j) * x[static_cast<std::size_t>(j)];
      s += r * r;
    }
    return s;
  };
  auto equalities = [&](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    std::vector<V> out;
    for (int i = 0; i < 2; ++i) {
      V r = -d(i);
      for (int j = 0; j < 4; ++j) r += c(i, j) * x[static_cast<std::size_t>(j)];
      out.push_back(r);
    }
    return out;
  };
  const opt::ConstrainedResult r = opt::minimize_constrained(f, equalities, std::vector<double>(4, 0.0));
  ASSERT_TRUE(r.optimal()) << r.solver_message;
  for (int j = 0; j < 4; ++j) EXPECT_NEAR(r.x[static_cast<std::size_t>(j)], solution(j), 1e-7) << j;
  // IPOPT's λ multiplies c in f + λᵀc, as the KKT system's does.
  for (int i = 0; i < 2; ++i)
    EXPECT_NEAR(r.multipliers[static_cast<std::size_t>(i)], solution(4 + i), 1e-6) << i;
  EXPECT_LE(kkt_residual(f, equalities, r), 1e-6);
}

// x² + y² ≤ 1 and x + y ≥ 3 cannot both hold (on the disc x + y ≤ √2).
TEST(MinimizeConstrained, AnInfeasibleProblemIsReportedAsSuch) {
  auto f = [](auto x) { return x[0] * x[0] + x[1]; };
  auto c = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    return std::vector<V>{x[0] * x[0] + x[1] * x[1], x[0] + x[1]};
  };
  const opt::ConstrainedResult r =
      opt::minimize_constrained(f, c, std::vector<double>{0.3, 0.2},
                                {.constraint_lower = {-infinite, 3}, .constraint_upper = {1, infinite}});
  EXPECT_EQ(r.status, opt::ConstrainedStatus::Infeasible) << r.solver_message;
  EXPECT_FALSE(r.optimal());
  EXPECT_FALSE(r.feasible(1e-3));
  EXPECT_GT(r.constraint_violation, 0.1);
}

// |x| + |y| ≤ 1 from (0, 0), where neither |x| nor |y| is differentiable (tapegrad takes the
// derivative 0 there, as PyTorch): min (x−1)² + (y−1)² is the projection of (1, 1) onto the
// diamond, (½, ½), with f* = ½ and λ from 2(x − 1) + λ = 0: λ = 1.
TEST(MinimizeConstrained, AConstraintThatIsNotDifferentiableAtTheStart) {
  auto f = [](auto x) { return (x[0] - 1.0) * (x[0] - 1.0) + (x[1] - 1.0) * (x[1] - 1.0); };
  auto diamond = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    return std::vector<V>{V(tg::abs(x[0]) + tg::abs(x[1]))};
  };
  const opt::ConstrainedResult r = opt::minimize_constrained(
      f, diamond, std::vector<double>{0, 0}, {.constraint_lower = {-infinite}, .constraint_upper = {1}});
  ASSERT_TRUE(r.optimal()) << r.solver_message;
  EXPECT_NEAR(r.x[0], 0.5, 1e-7);
  EXPECT_NEAR(r.x[1], 0.5, 1e-7);
  EXPECT_NEAR(r.f, 0.5, 1e-7);
  EXPECT_NEAR(r.multipliers[0], 1, 1e-6);
}

// A chain of 2000 unknowns with a banded Hessian and one constraint per pair: the
// Lagrangian's Hessian is colored with a handful of colors, not 2000, and the optimum meets
// the KKT conditions. min Σ (xᵢ − 1)² + Σ (xᵢ₊₁ − xᵢ²)² subject to xᵢ + xᵢ₊₁ ≤ 1.5.
TEST(MinimizeConstrained, ALargeSparseProblemColorsItsDerivatives) {
  const std::size_t n = 2000;
  auto f = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    V s = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) s += (x[i] - 1.0) * (x[i] - 1.0);
    for (std::size_t i = 0; i + 1 < x.size(); ++i) s += tg::square(x[i + 1] - x[i] * x[i]);
    return s;
  };
  auto pairs = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    std::vector<V> out;
    for (std::size_t i = 0; i + 1 < x.size(); ++i) out.push_back(x[i] + x[i + 1]);
    return out;
  };
  opt::ConstrainedOptions options;
  options.constraint_lower.assign(n - 1, -infinite);
  options.constraint_upper.assign(n - 1, 1.5);
  const opt::ConstrainedResult r = opt::minimize_constrained(f, pairs, std::vector<double>(n, 0.0), options);
  ASSERT_TRUE(r.optimal()) << r.solver_message;
  EXPECT_LE(r.hessian_colors, 5u);
  EXPECT_LE(r.jacobian_colors, 3u);
  EXPECT_TRUE(r.feasible(1e-7));
  EXPECT_LE(kkt_residual(f, pairs, r), 1e-5);
}

TEST(MinimizeConstrained, AConstraintOnEveryUnknownIsFactoredAtScale) {
  // min Σxᵢ² subject to Σxᵢ = n: by symmetry and the Lagrange condition 2xᵢ = −λ, x = 1 and
  // λ = −2. The constraint's row of J is dense, and so is its row of the KKT matrix, which MUMPS's
  // automatic ordering filled beyond any memory at n = 10⁵ (91 GB asked, IPOPT's restoration
  // failed); AMD, which IPOPT is asked for on such a row, sets the row aside.
  constexpr std::size_t n = 100'000;
  auto f = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    V s = 0.0;
    for (const auto& xi : x) s += xi * xi;
    return s;
  };
  auto total = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    V s = 0.0;
    for (const auto& xi : x) s += xi;
    return std::vector<V>{s - static_cast<double>(n)};
  };
  const opt::ConstrainedResult r = opt::minimize_constrained(f, total, std::vector<double>(n, 0.0));
  ASSERT_TRUE(r.optimal()) << r.solver_message;
  for (std::size_t i = 0; i < n; ++i) ASSERT_NEAR(r.x[i], 1.0, 1e-8) << i;
  ASSERT_EQ(r.multipliers.size(), 1u);
  EXPECT_NEAR(r.multipliers[0], -2.0, 1e-8);
}

TEST(MinimizeConstrained, BadInputIsRefusedWithItsName) {
  auto f = [](auto x) { return x[0] * x[0] + x[1] * x[1]; };
  const std::vector<double> x0{1, 1};
  const auto message = [&](const opt::ConstrainedOptions& options) {
    try {
      opt::minimize_constrained(f, unit_disc, x0, options);
    } catch (const tg::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({.lower = {0, 2}, .upper = {1, 1}}).find("unknown 1 has lower bound 2"),
            std::string::npos);
  EXPECT_NE(message({.lower = {0}, .upper = {1, 1}}).find("lower has 1 entries"), std::string::npos);
  EXPECT_NE(
      message({.constraint_lower = {3}, .constraint_upper = {2}}).find("constraint 0 has lower bound 3"),
      std::string::npos);
  EXPECT_NE(message({.constraint_lower = {0, 0}, .constraint_upper = {1, 1}}).find("for 1 constraint"),
            std::string::npos);
  // One constraint, in the singular.
  EXPECT_TRUE(
      message({.constraint_lower = {0, 0}, .constraint_upper = {1, 1}}).ends_with(", for 1 constraint"));
  EXPECT_TRUE(message({.lower = {0}, .upper = {1, 1}}).ends_with(", for 2 unknowns"));
  EXPECT_NE(message({.ipopt = {{"no_such_option", "1"}}}).find("no option named 'no_such_option'"),
            std::string::npos);
  EXPECT_NE(message({.ipopt = {{"max_iter", "many"}}}).find("takes an integer"), std::string::npos);
  EXPECT_NE(message({.ipopt = {{"tol", "-1"}}}).find("takes a number in its range"), std::string::npos);
  testing::internal::CaptureStdout();
  EXPECT_NE(message({.ipopt = {{"mu_strategy", "sideways"}}}).find("one of: monotone, adaptive"),
            std::string::npos);
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "");
}

// IPOPT's own options reach it (max_iter = 1 stops at once), nothing is printed unless asked,
// and an exception from f comes out of minimize_constrained whole.
TEST(MinimizeConstrained, OptionsOutputAndExceptions) {
  auto f = [](auto x) { return tg::exp(x[0]) + x[1] * x[1] - x[0] * x[1]; };
  testing::internal::CaptureStdout();
  const opt::ConstrainedResult r = opt::minimize_constrained(
      f, unit_disc, std::vector<double>{0.2, 0.1},
      {.constraint_lower = {-infinite}, .constraint_upper = {1}, .ipopt = {{"max_iter", "1"}}});
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "");
  EXPECT_EQ(r.status, opt::ConstrainedStatus::MaxIterations);
  EXPECT_EQ(r.iterations, 1);

  testing::internal::CaptureStdout();
  opt::minimize_constrained(f, unit_disc, std::vector<double>{0.2, 0.1},
                            {.constraint_lower = {-infinite}, .constraint_upper = {1}, .print_level = 5});
  EXPECT_NE(testing::internal::GetCapturedStdout().find("iter"), std::string::npos);

  auto throws = [](std::span<const tg::Var> x) -> tg::Var {
    if (x[0].value() > 0.5) throw std::runtime_error("f refuses x[0] > 0.5");
    return x[0] * x[0] - x[0];
  };
  EXPECT_THROW(opt::minimize_bounded(throws, std::vector<double>{2, 0}, {.lower = {0, 0}, .upper = {3, 3}}),
               std::runtime_error);
}

// Without second derivatives (IPOPT's limited-memory quasi-Newton) the disc problem ends at the
// same point, and no Hessian is evaluated.
TEST(MinimizeConstrained, QuasiNewtonNeedsNoHessian) {
  auto f = [](auto x) { return (x[0] - 2.0) * (x[0] - 2.0) + (x[1] - 1.0) * (x[1] - 1.0); };
  const opt::ConstrainedResult r = opt::minimize_constrained(
      f, unit_disc, std::vector<double>{0, 0},
      {.constraint_lower = {-infinite}, .constraint_upper = {1}, .exact_hessian = false});
  ASSERT_TRUE(r.optimal()) << r.solver_message;
  EXPECT_NEAR(r.x[0], 2 / std::sqrt(5.0), 1e-6);
  EXPECT_EQ(r.hessian_evaluations, 0);
}

// IPOPT asks for f alone at the trial points of its line search and for ∇f where it goes on
// from one: f is replayed without a reverse sweep there, and swept at the points IPOPT asks.
// Rosenbrock's function on the unit disc from (−1.2, 1), outside it, is a path on which the
// filter line search rejects trial points, so fewer gradients than points of f; the optimum
// (on the circle, near (0.786, 0.618)) is checked by the KKT conditions.
TEST(MinimizeConstrained, TheGradientIsSweptOnlyWhereIpoptAsksForIt) {
  auto f = [](auto x) { return 100.0 * tg::square(x[1] - x[0] * x[0]) + tg::square(1.0 - x[0]); };
  const opt::ConstrainedResult r = opt::minimize_constrained(
      f, unit_disc, std::vector<double>{-1.2, 1}, {.constraint_lower = {-infinite}, .constraint_upper = {1}});
  ASSERT_TRUE(r.optimal()) << r.solver_message;
  EXPECT_NEAR(r.constraints[0], 1, 1e-7);
  EXPECT_LE(kkt_residual(f, unit_disc, r), 1e-6);
  EXPECT_GT(r.gradient_evaluations, 0);
  EXPECT_LT(r.gradient_evaluations, r.objective_evaluations);
}

// hessian_approximation given as an IPOPT option decides, whatever exact_hessian says: with
// limited-memory no Hessian is set up (neither recorded nor colored) or evaluated; with exact
// over exact_hessian = false the exact Hessian is set up and used, and the run ends at the
// projection (2, 1)/√5 as in AQuadraticOnADiscReachesTheProjection.
TEST(MinimizeConstrained, TheHessianApproximationOptionDecidesTheHessian) {
  auto f = [](auto x) { return (x[0] - 2.0) * (x[0] - 2.0) + (x[1] - 1.0) * (x[1] - 1.0); };
  const double s5 = std::sqrt(5.0);
  const opt::ConstrainedResult quasi_newton =
      opt::minimize_constrained(f, unit_disc, std::vector<double>{0, 0},
                                {.constraint_lower = {-infinite},
                                 .constraint_upper = {1},
                                 .ipopt = {{"hessian_approximation", "limited-memory"}}});
  ASSERT_TRUE(quasi_newton.optimal()) << quasi_newton.solver_message;
  EXPECT_NEAR(quasi_newton.x[0], 2 / s5, 1e-6);
  EXPECT_EQ(quasi_newton.hessian_evaluations, 0);
  EXPECT_EQ(quasi_newton.hessian_colors, 0u);
  EXPECT_EQ(quasi_newton.hessian_nonzeros, 0u);

  const opt::ConstrainedResult exact =
      opt::minimize_constrained(f, unit_disc, std::vector<double>{0, 0},
                                {.constraint_lower = {-infinite},
                                 .constraint_upper = {1},
                                 .exact_hessian = false,
                                 .ipopt = {{"hessian_approximation", "exact"}}});
  ASSERT_TRUE(exact.optimal()) << exact.solver_message;
  EXPECT_NEAR(exact.x[0], 2 / s5, 1e-7);
  EXPECT_NEAR(exact.x[1], 1 / s5, 1e-7);
  EXPECT_GT(exact.hessian_evaluations, 0);
  // The Lagrangian's Hessian 2(1 + λ)·I: its lower triangle is the diagonal.
  EXPECT_EQ(exact.hessian_nonzeros, 2u);
}

namespace {

// The unit disc as a function of Vars only (not generic): no Dual-number form of it exists.
std::vector<tg::Var> unit_disc_on_vars(std::span<const tg::Var> x) { return {x[0] * x[0] + x[1] * x[1]}; }

}  // namespace

// A generic f with a c written on Vars only compiles (the Lagrangian then has no wide-Dual
// form: it is replayed) and reaches the projection of (2, 1) onto the unit disc, (2, 1)/√5,
// with the exact Hessian.
TEST(MinimizeConstrained, AGenericObjectiveWithAConstraintOnVarsOnly) {
  auto f = [](auto x) { return (x[0] - 2.0) * (x[0] - 2.0) + (x[1] - 1.0) * (x[1] - 1.0); };
  const opt::ConstrainedResult r =
      opt::minimize_constrained(f, unit_disc_on_vars, std::vector<double>{0, 0},
                                {.constraint_lower = {-infinite}, .constraint_upper = {1}});
  ASSERT_TRUE(r.optimal()) << r.solver_message;
  const double s5 = std::sqrt(5.0);
  EXPECT_NEAR(r.x[0], 2 / s5, 1e-7);
  EXPECT_NEAR(r.x[1], 1 / s5, 1e-7);
  EXPECT_NEAR(r.multipliers[0], s5 - 1, 1e-6);
  EXPECT_GT(r.hessian_evaluations, 0);
}

// A branch of c that flips on the way: below x = 0.1 the constraint carries a term 0·xy, which
// puts the pair (x, y) in the Lagrangian Hessian's pattern at the start; past it the term is
// gone, and the values at the new pattern are handed to IPOPT in the start's (the (x, y) entry
// 0). The constraint's value is x² + y² either way, so the run ends at the disc problem's
// projection (2, 1)/√5 with λ = √5 − 1.
TEST(MinimizeConstrained, ABranchThatFlipsOnTheWayKeepsTheStartsStructure) {
  auto f = [](auto x) { return (x[0] - 2.0) * (x[0] - 2.0) + (x[1] - 1.0) * (x[1] - 1.0); };
  auto disc_with_a_branch = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    const V r2 = x[0] * x[0] + x[1] * x[1];
    return std::vector<V>{x[0] < 0.1 ? V(r2 + 0.0 * (x[0] * x[1])) : r2};
  };
  const opt::ConstrainedResult r =
      opt::minimize_constrained(f, disc_with_a_branch, std::vector<double>{0, 0},
                                {.constraint_lower = {-infinite}, .constraint_upper = {1}});
  ASSERT_TRUE(r.optimal()) << r.solver_message;
  EXPECT_EQ(r.hessian_nonzeros, 3u);  // (x, x), (y, x), (y, y): the start's pattern
  const double s5 = std::sqrt(5.0);
  EXPECT_NEAR(r.x[0], 2 / s5, 1e-7);
  EXPECT_NEAR(r.x[1], 1 / s5, 1e-7);
  EXPECT_NEAR(r.multipliers[0], s5 - 1, 1e-6);
  EXPECT_LE(kkt_residual(f, disc_with_a_branch, r), 1e-6);
}
