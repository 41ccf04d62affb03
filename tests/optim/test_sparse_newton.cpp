// Newton on sparse Hessians and least squares on sparse Jacobians, against their dense
// forms: the same iterates to rounding on small problems (Rosenbrock, a quadratic, a start
// where the Hessian is indefinite), convergence on large banded ones at the cost of the
// colors per step, how Auto chooses, and the options' state.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <span>
#include <tapegrad/tapegrad.hpp>
#include <utility>
#include <vector>

namespace tg = tapegrad;
namespace opt = tapegrad::optim;

namespace {

// Every iterate minimize() or least_squares() reports, the start first.
struct SparseNewtonIterates {
  std::vector<std::vector<double>> x;
  std::vector<double> f;
  void on_step(const opt::StepReport& r) {
    x.emplace_back(r.x.begin(), r.x.end());
    f.push_back(r.f);
  }
};

// Extended Rosenbrock (Moré, Garbow & Hillstrom, problem 21): n/2 independent pairs, a
// block-diagonal Hessian.
auto extended_rosenbrock_pairs = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  V f = 0.0;
  for (std::size_t i = 0; i + 1 < x.size(); i += 2)
    f += 100.0 * tg::square(x[i + 1] - tg::square(x[i])) + tg::square(1.0 - x[i]);
  return f;
};

// Chained Rosenbrock: neighbours coupled along the whole chain, a tridiagonal Hessian.
auto rosenbrock_chain = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  V f = 0.0;
  for (std::size_t i = 0; i + 1 < x.size(); ++i)
    f += 100.0 * tg::square(x[i + 1] - tg::square(x[i])) + tg::square(1.0 - x[i]);
  return f;
};

// Σ (xᵢ² − 1)² + 0.1 Σ xᵢxᵢ₊₁: at x = 0.1 every diagonal entry of the Hessian is
// 12·0.01 − 4 < 0, so Newton must modify it there.
auto coupled_double_wells = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  V f = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) f += tg::square(tg::square(x[i]) - 1.0);
  for (std::size_t i = 0; i + 1 < x.size(); ++i) f += 0.1 * x[i] * x[i + 1];
  return f;
};

std::vector<double> alternating_rosenbrock_start(std::size_t n) {
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = i % 2 == 0 ? -1.2 : 1.0;
  return x;
}

struct StorageRun {
  opt::MinimizeResult result;
  SparseNewtonIterates log;
  long indefinite_steps = 0;
  long products = 0;
};

template <class F>
StorageRun newton_with_storage(F f, const std::vector<double>& x0, opt::HessianStorage storage,
                               long max_steps = 200, double gradient_norm = 1e-10) {
  tg::Parameter x(Eigen::Map<const Eigen::VectorXd>(x0.data(), static_cast<Eigen::Index>(x0.size())));
  opt::Newton newton({x}, {.hessian = storage});
  StorageRun run;
  run.result = opt::minimize(f, x, newton, {.max_steps = max_steps, .gradient_norm = gradient_norm}, run.log);
  run.indefinite_steps = newton.indefinite_steps();
  run.products = newton.hessian_vector_products();
  return run;
}

// The iterates agree entry by entry to `tolerance`, relative to max(1, |entry|).
void expect_iterates_agree(const SparseNewtonIterates& a, const SparseNewtonIterates& b, double tolerance) {
  ASSERT_EQ(a.x.size(), b.x.size());
  for (std::size_t k = 0; k < a.x.size(); ++k)
    for (std::size_t i = 0; i < a.x[k].size(); ++i)
      ASSERT_NEAR(a.x[k][i], b.x[k][i], tolerance * std::max(1.0, std::abs(a.x[k][i])))
          << "iterate " << k << ", entry " << i;
}

// f never rose from one iterate to the next.
bool never_rises(const SparseNewtonIterates& log) {
  for (std::size_t k = 1; k < log.f.size(); ++k)
    if (log.f[k] > log.f[k - 1]) return false;
  return true;
}

TEST(SparseNewton, FollowsDenseNewtonOnExtendedRosenbrock) {
  for (const std::size_t n : {10u, 20u}) {
    SCOPED_TRACE(n);
    const StorageRun dense = newton_with_storage(extended_rosenbrock_pairs, alternating_rosenbrock_start(n),
                                                 opt::HessianStorage::Dense);
    const StorageRun sparse = newton_with_storage(extended_rosenbrock_pairs, alternating_rosenbrock_start(n),
                                                  opt::HessianStorage::Sparse);
    ASSERT_EQ(dense.result.reason, opt::StopReason::GradientNorm);
    ASSERT_EQ(sparse.result.reason, opt::StopReason::GradientNorm);
    expect_iterates_agree(dense.log, sparse.log, 1e-12);
    for (const double xi : sparse.result.x) EXPECT_NEAR(xi, 1.0, 1e-10);
    EXPECT_EQ(sparse.indefinite_steps, dense.indefinite_steps);
    // Dense: n products a step. Sparse: the 2×2 blocks' star coloring, 2 colors (each
    // pair's two columns differ, and no pair meets another).
    EXPECT_EQ(dense.products, dense.result.steps * static_cast<long>(n));
    EXPECT_EQ(sparse.products, sparse.result.steps * 2);
  }
}

TEST(SparseNewton, FollowsDenseNewtonOnAConvexQuadratic) {
  // ½xᵀAx − bᵀx with A tridiagonal (4 on the diagonal, −1 beside it: positive definite by
  // Gershgorin): one Newton step reaches A⁻¹b.
  constexpr std::size_t n = 30;
  auto quadratic = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    V f = 0.0;
    for (std::size_t i = 0; i < n; ++i)
      f += 2.0 * tg::square(x[i]) - (1.0 + 0.1 * static_cast<double>(i)) * x[i];
    for (std::size_t i = 0; i + 1 < n; ++i) f -= x[i] * x[i + 1];
    return f;
  };
  const std::vector<double> x0(n, 3.0);
  const StorageRun dense = newton_with_storage(quadratic, x0, opt::HessianStorage::Dense, 1, 0);
  const StorageRun sparse = newton_with_storage(quadratic, x0, opt::HessianStorage::Sparse, 1, 0);
  expect_iterates_agree(dense.log, sparse.log, 1e-12);
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(n, n);
  Eigen::VectorXd b(n);
  for (Eigen::Index i = 0; i < static_cast<Eigen::Index>(n); ++i) {
    a(i, i) = 4;
    if (i + 1 < static_cast<Eigen::Index>(n)) a(i, i + 1) = a(i + 1, i) = -1;
    b(i) = 1.0 + 0.1 * static_cast<double>(i);
  }
  const Eigen::VectorXd expected = a.llt().solve(b);
  ASSERT_EQ(sparse.result.steps, 1);
  for (std::size_t i = 0; i < n; ++i)
    EXPECT_NEAR(sparse.result.x[i], expected(static_cast<Eigen::Index>(i)), 1e-12);
}

TEST(SparseNewton, ModifiesAnIndefiniteHessianAsDenseNewtonDoes) {
  const std::vector<double> x0(12, 0.1);
  const StorageRun dense = newton_with_storage(coupled_double_wells, x0, opt::HessianStorage::Dense);
  const StorageRun sparse = newton_with_storage(coupled_double_wells, x0, opt::HessianStorage::Sparse);
  EXPECT_GT(dense.indefinite_steps, 0);
  EXPECT_EQ(sparse.indefinite_steps, dense.indefinite_steps);
  EXPECT_TRUE(never_rises(dense.log));
  EXPECT_TRUE(never_rises(sparse.log));
  expect_iterates_agree(dense.log, sparse.log, 1e-12);
  EXPECT_EQ(sparse.result.reason, opt::StopReason::GradientNorm);
}

TEST(SparseNewton, SolvesTenThousandChainedRosenbrockUnknownsAtThreeProductsAStep) {
  // x = 0.5 to the minimum at 1 (from 0 or from (−1.2, 1, …) Newton's steps carry the
  // solution along the chain about one index a step, whatever the Hessian's storage). The
  // Hessian is tridiagonal, whose star coloring needs 3 colors (a path on four vertices
  // with two colors would have two of them alternating).
  const std::size_t n = 10'000;
  const std::vector<double> x0(n, 0.5);
  const tg::SparseHessian pattern(rosenbrock_chain, x0);
  ASSERT_EQ(pattern.colors(), 3u);
  const StorageRun run = newton_with_storage(rosenbrock_chain, x0, opt::HessianStorage::Sparse, 100, 1e-8);
  EXPECT_EQ(run.result.reason, opt::StopReason::GradientNorm);
  EXPECT_LE(run.result.gradient_norm, 1e-8);
  for (const double xi : run.result.x) ASSERT_NEAR(xi, 1.0, 1e-8);
  EXPECT_EQ(run.products, run.result.steps * 3);
}

TEST(SparseNewton, AutoIsDenseForFewUnknownsOrADenseHessianAndSparseOtherwise) {
  // Few unknowns: dense, n products a step.
  const StorageRun small = newton_with_storage(extended_rosenbrock_pairs, alternating_rosenbrock_start(20),
                                               opt::HessianStorage::Auto);
  EXPECT_EQ(small.products, small.result.steps * 20);
  // Many unknowns and a block-diagonal Hessian: sparse, 2 colors a step.
  const std::size_t n = opt::newton_dense_up_to + 20;
  const StorageRun banded = newton_with_storage(extended_rosenbrock_pairs, alternating_rosenbrock_start(n),
                                                opt::HessianStorage::Auto);
  EXPECT_EQ(banded.result.reason, opt::StopReason::GradientNorm);
  EXPECT_EQ(banded.products, banded.result.steps * 2);
  // A dense Hessian ((Σx)² couples every pair): n products a step.
  auto coupled = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    V sum = 0.0, quartic = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) sum += x[i], quartic += tg::square(tg::square(x[i] - 1.0));
    return tg::square(sum) + quartic;
  };
  const StorageRun dense =
      newton_with_storage(coupled, std::vector<double>(n, 0.5), opt::HessianStorage::Auto, 3, 0);
  EXPECT_EQ(dense.products, 3 * static_cast<long>(n));
}

TEST(SparseNewton, TakesTheDenseHessianOfAFunctionThatDoesNotReplay) {
  // A tensor operation: f's recording does not replay, and minimize() makes no sparse
  // Hessian for it. Sparse says so; Auto takes the dense Hessian, n products a step.
  auto with_tensor = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    V f = tg::sum(tg::exp(tg::as_tensor(V(0.1 * x[0] * x[1]))));
    for (std::size_t i = 0; i < x.size(); ++i) f += tg::square(x[i] - 1.0);
    return f;
  };
  const std::size_t n = opt::newton_dense_up_to + 10;
  const std::vector<double> x0(n, 0.0);
  EXPECT_THROW(newton_with_storage(with_tensor, x0, opt::HessianStorage::Sparse, 3, 0), tg::Error);
  const StorageRun run = newton_with_storage(with_tensor, x0, opt::HessianStorage::Auto, 3, 0);
  EXPECT_GE(run.result.steps, 1);
  EXPECT_EQ(run.products, run.result.steps * static_cast<long>(n));
}

TEST(SparseNewton, KeepsTheStorageInItsState) {
  tg::Parameter x(Eigen::VectorXd::Zero(4));
  opt::Newton sparse({x}, {.hessian = opt::HessianStorage::Sparse});
  opt::Newton restored({x});
  ASSERT_EQ(restored.options().hessian, opt::HessianStorage::Auto);
  restored.load_state_dict(sparse.state_dict());
  EXPECT_EQ(restored.options().hessian, opt::HessianStorage::Sparse);
  opt::StateDict wrong = sparse.state_dict();
  wrong.entries["group.0.hessian"] = {7};
  EXPECT_THROW(restored.load_state_dict(wrong), tg::Error);
  EXPECT_EQ(restored.options().hessian, opt::HessianStorage::Sparse);
}

TEST(SparseNewton, RefusesSparseWithoutASparseHessian) {
  tg::Parameter x(Eigen::VectorXd::Ones(2));
  opt::Newton newton({x}, {.hessian = opt::HessianStorage::Sparse});
  opt::Curvature dense_only;
  dense_only.hessian = [] { return Eigen::MatrixXd::Identity(2, 2); };
  const opt::Closure closure = [&x] {
    x.grad() = x.value();
    return 0.5 * x.value().squaredNorm();
  };
  EXPECT_THROW(newton.step(closure, dense_only), tg::Error);
}

// Broyden's tridiagonal function (Moré, Garbow & Hillstrom, problem 30), rᵢ = (3 − 2xᵢ)xᵢ −
// xᵢ₋₁ − 2xᵢ₊₁ + 1, whose root Levenberg–Marquardt reaches from x = −1.
auto broyden_tridiagonal_residuals = [](std::span<const tg::Var> x) {
  std::vector<tg::Var> r;
  const std::size_t n = x.size();
  for (std::size_t i = 0; i < n; ++i) {
    tg::Var ri = (3.0 - 2.0 * x[i]) * x[i] + 1.0;
    if (i > 0) ri = ri - x[i - 1];
    if (i + 1 < n) ri = ri - 2.0 * x[i + 1];
    r.push_back(ri);
  }
  return r;
};

TEST(SparseLeastSquares, FollowsDenseLevenbergMarquardt) {
  // Extended Rosenbrock as residuals (Moré, Garbow & Hillstrom, problem 21): 10(x₂ₖ₊₁ − x₂ₖ²)
  // and 1 − x₂ₖ for each pair, zero at x = 1.
  auto rosenbrock_residuals = [](std::span<const tg::Var> x) {
    std::vector<tg::Var> r;
    for (std::size_t i = 0; i + 1 < x.size(); i += 2) {
      r.push_back(10.0 * (x[i + 1] - x[i] * x[i]));
      r.push_back(1.0 - x[i]);
    }
    return r;
  };
  for (const auto& [residuals, x0] : std::vector<
           std::pair<std::function<std::vector<tg::Var>(std::span<const tg::Var>)>, std::vector<double>>>{
           {rosenbrock_residuals, alternating_rosenbrock_start(6)},
           {broyden_tridiagonal_residuals, std::vector<double>(12, -1.0)}}) {
    SCOPED_TRACE(x0.size());
    SparseNewtonIterates dense_log, sparse_log;
    const opt::MinimizeResult dense =
        opt::least_squares(residuals, x0, {.jacobian = opt::JacobianStorage::Dense},
                           {.max_steps = 100, .gradient_norm = 1e-12}, dense_log);
    const opt::MinimizeResult sparse =
        opt::least_squares(residuals, x0, {.jacobian = opt::JacobianStorage::Sparse},
                           {.max_steps = 100, .gradient_norm = 1e-12}, sparse_log);
    EXPECT_EQ(dense.reason, opt::StopReason::GradientNorm);
    EXPECT_EQ(sparse.reason, dense.reason);
    EXPECT_EQ(sparse.evaluations, dense.evaluations);
    expect_iterates_agree(dense_log, sparse_log, 1e-12);
    if (x0.size() == 6) {  // Rosenbrock's residuals vanish only at x = 1
      for (const double xi : sparse.x) EXPECT_NEAR(xi, 1.0, 1e-8);
    } else {  // Broyden's at a root, where ½‖r‖² is rounding
      EXPECT_LT(sparse.f, 1e-20);
    }
  }
}

TEST(SparseLeastSquares, SolvesALargeBandedSystem) {
  const std::size_t n = 10'000;
  const opt::MinimizeResult r =
      opt::least_squares(broyden_tridiagonal_residuals, std::vector<double>(n, -1.0),
                         {.jacobian = opt::JacobianStorage::Auto}, {.max_steps = 50, .gradient_norm = 1e-10});
  EXPECT_EQ(r.reason, opt::StopReason::GradientNorm);
  // At a root every residual vanishes: ½‖r‖² is rounding.
  EXPECT_LT(r.f, 1e-20);
  EXPECT_LE(r.steps, 20);
}

}  // namespace
