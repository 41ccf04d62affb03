// Large systems of equations: GMRES alone (a nonsymmetric system to its tolerance, the
// restart length, a preconditioner, singular systems and b = 0), the Bratu problem on a grid
// by sparse LU and by Newton–Krylov, dense and sparse Newton step for step, what Auto
// chooses, and the errors of a misuse.
#include <gtest/gtest.h>

#include <Eigen/SparseCore>
#include <cmath>
#include <memory>
#include <tapegrad/optim/linear/sparse_cholesky.hpp>
#include <tapegrad/optim/solve/incomplete_lu.hpp>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "../support/sanitizer_build.hpp"

namespace tg = tapegrad;
namespace opt = tapegrad::optim;
using tg::Var;

namespace {

// ---- GMRES ----

Eigen::SparseMatrix<double> gmres_test_matrix(int n, const std::vector<Eigen::Triplet<double>>& entries) {
  Eigen::SparseMatrix<double> a(n, n);
  a.setFromTriplets(entries.begin(), entries.end());
  return a;
}

auto gmres_operator(const Eigen::SparseMatrix<double>& a) {
  return [&a](const Eigen::VectorXd& v, Eigen::VectorXd& out) { out = a * v; };
}

TEST(Gmres, SolvesANonsymmetricSparseSystemToItsTolerance) {
  // Convection–diffusion in 1-D, upwinded: tridiag(−1.5, 2, −0.5), n = 200 (nonsymmetric).
  const int n = 200;
  std::vector<Eigen::Triplet<double>> t;
  for (int i = 0; i < n; ++i) {
    t.emplace_back(i, i, 2.0);
    if (i > 0) t.emplace_back(i, i - 1, -1.5);
    if (i + 1 < n) t.emplace_back(i, i + 1, -0.5);
  }
  const Eigen::SparseMatrix<double> a = gmres_test_matrix(n, t);
  Eigen::VectorXd b(n);
  for (int i = 0; i < n; ++i) b(i) = std::sin(0.1 * i) + 1;
  const opt::GmresResult r = opt::gmres(gmres_operator(a), b, {.tolerance = 1e-10, .restart = 30});
  ASSERT_TRUE(r.converged) << r.relative_residual;
  const double recomputed = (b - a * r.x).norm() / b.norm();
  EXPECT_LE(recomputed, 1e-10);
  EXPECT_NEAR(r.relative_residual, recomputed, 1e-13);
  EXPECT_EQ(r.cycles, (r.iterations + 29) / 30);
}

// The cyclic shift: A e_i = e_(i+1 mod n). From b = e_0 the Krylov space after k < n
// products is span(e_0 … e_(k−1)), whose image span(e_1 … e_k) is orthogonal to b: no
// residual below ‖b‖ until k = n, where A⁻¹b = e_(n−1) is reached exactly.
TEST(Gmres, TheRestartLengthIsRespected) {
  const int n = 8;
  std::vector<Eigen::Triplet<double>> t;
  for (int i = 0; i < n; ++i) t.emplace_back((i + 1) % n, i, 1.0);
  const Eigen::SparseMatrix<double> a = gmres_test_matrix(n, t);
  const Eigen::VectorXd b = Eigen::VectorXd::Unit(n, 0);

  const opt::GmresResult full = opt::gmres(gmres_operator(a), b, {.tolerance = 1e-12, .restart = n});
  EXPECT_TRUE(full.converged);
  EXPECT_EQ(full.iterations, n);
  EXPECT_NEAR((full.x - Eigen::VectorXd::Unit(n, n - 1)).norm(), 0.0, 1e-14);

  // One vector short of n: every cycle ends where it began.
  const opt::GmresResult restarted =
      opt::gmres(gmres_operator(a), b, {.tolerance = 1e-12, .restart = n - 1, .max_iterations = 70});
  EXPECT_FALSE(restarted.converged);
  EXPECT_EQ(restarted.iterations, 70);
  EXPECT_EQ(restarted.cycles, 10);
  EXPECT_NEAR(restarted.relative_residual, 1.0, 1e-14);
}

TEST(Gmres, AJacobiPreconditionerTakesOutABadScaling) {
  // A = D(I + N): D = diag(10^(6i/(n−1))) from 1 to 10⁶, N with 0.3 above and −0.2 below
  // the diagonal. Right preconditioned by D (Jacobi: z = r ./ diag A), A D⁻¹ = D(I + N)D⁻¹ is
  // similar to I + N, whose eigenvalues lie within 0.5 of 1; A's own spread over 10⁶.
  const int n = 100;
  std::vector<Eigen::Triplet<double>> t;
  Eigen::VectorXd d(n);
  for (int i = 0; i < n; ++i) d(i) = std::pow(10.0, 6.0 * i / (n - 1));
  for (int i = 0; i < n; ++i) {
    t.emplace_back(i, i, d(i));
    if (i + 1 < n) t.emplace_back(i, i + 1, 0.3 * d(i));
    if (i > 0) t.emplace_back(i, i - 1, -0.2 * d(i));
  }
  const Eigen::SparseMatrix<double> a = gmres_test_matrix(n, t);
  const Eigen::VectorXd b = Eigen::VectorXd::Ones(n);
  const opt::GmresOptions options{.tolerance = 1e-10, .restart = 30, .max_iterations = 2000};
  const opt::GmresResult plain = opt::gmres(gmres_operator(a), b, options);
  const opt::GmresResult jacobi =
      opt::gmres(gmres_operator(a), b, options,
                 [&](const Eigen::VectorXd& r, Eigen::VectorXd& z) { z = r.cwiseQuotient(d); });
  ASSERT_TRUE(jacobi.converged) << jacobi.relative_residual;
  EXPECT_LE((b - a * jacobi.x).norm() / b.norm(), 1e-10);
  EXPECT_LT(3 * jacobi.iterations, plain.iterations);
}

TEST(Gmres, AZeroRightHandSideIsSolvedByZero) {
  const Eigen::SparseMatrix<double> a = gmres_test_matrix(3, {{0, 0, 1.0}, {1, 1, 2.0}, {2, 2, 3.0}});
  const opt::GmresResult r = opt::gmres(gmres_operator(a), Eigen::VectorXd::Zero(3));
  EXPECT_TRUE(r.converged);
  EXPECT_EQ(r.iterations, 0);
  EXPECT_EQ(r.relative_residual, 0.0);
  EXPECT_EQ(r.x, Eigen::VectorXd::Zero(3));
}

TEST(Gmres, ASingularSystemEndsAtItsLeastSquaresResidual) {
  // A = diag(1, 2, …, 9, 0), b = ones(10): the last equation 0 = 1 cannot hold, and the
  // other nine can (A's eigenvalues 0 … 9 are distinct, so the Krylov space reaches all of
  // ℝ¹⁰): the smallest residual is e_9, relative 1/√10.
  const int n = 10;
  std::vector<Eigen::Triplet<double>> t;
  for (int i = 0; i + 1 < n; ++i) t.emplace_back(i, i, i + 1.0);
  const Eigen::SparseMatrix<double> a = gmres_test_matrix(n, t);
  const Eigen::VectorXd b = Eigen::VectorXd::Ones(n);
  const opt::GmresResult r = opt::gmres(gmres_operator(a), b, {.tolerance = 1e-10, .restart = 20});
  EXPECT_FALSE(r.converged);
  EXPECT_TRUE(r.x.allFinite());
  EXPECT_NEAR(r.relative_residual, 1 / std::sqrt(10.0), 1e-10);
  for (int i = 0; i + 1 < n; ++i) EXPECT_NEAR(r.x(i), 1.0 / (i + 1), 1e-10) << i;
  // A consistent right-hand side (nothing in the last row) is solved.
  Eigen::VectorXd consistent = b;
  consistent(n - 1) = 0;
  const opt::GmresResult c = opt::gmres(gmres_operator(a), consistent, {.tolerance = 1e-10, .restart = 20});
  EXPECT_TRUE(c.converged) << c.relative_residual;
}

TEST(Gmres, RejectsOptionsOutOfRangeAndANonFiniteRightHandSide) {
  const Eigen::SparseMatrix<double> a = gmres_test_matrix(2, {{0, 0, 1.0}, {1, 1, 1.0}});
  EXPECT_THROW(opt::gmres(gmres_operator(a), Eigen::VectorXd::Ones(2), {.restart = 0}), tg::Error);
  EXPECT_THROW(opt::gmres(gmres_operator(a), Eigen::VectorXd::Ones(2), {.tolerance = -1}), tg::Error);
  EXPECT_THROW(opt::gmres(gmres_operator(a), Eigen::Vector2d(1, NAN)), tg::Error);
}

// ---- The Bratu problem ----

// Δu + λeᵘ = 0 on the unit square, u = 0 on its boundary, by the five-point stencil on an
// N×N interior grid (h = 1/(N + 1)), each equation multiplied by −h²:
//   4u_ij − u_(i−1)j − u_(i+1)j − u_i(j−1) − u_i(j+1) − h²λ exp(u_ij) = 0.
struct Bratu {
  int n;
  double lambda = 5;
  double h2() const { return 1.0 / ((n + 1.0) * (n + 1.0)); }

  std::vector<Var> operator()(std::span<const Var> u) const {
    const Var zero;  // the boundary: a constant on no tape
    const double c = h2() * lambda;
    std::vector<Var> f;
    f.reserve(u.size());
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        const auto k = static_cast<std::size_t>(i * n + j);
        const auto un = static_cast<std::size_t>(n);
        const Var& west = j > 0 ? u[k - 1] : zero;
        const Var& east = j + 1 < n ? u[k + 1] : zero;
        const Var& south = i > 0 ? u[k - un] : zero;
        const Var& north = i + 1 < n ? u[k + un] : zero;
        f.emplace_back(4.0 * u[k] - west - east - south - north - c * tg::exp(u[k]));
      }
    return f;
  }
  // ‖F(u)‖₂ in plain double, written apart from the Var version above.
  double residual_norm(const std::vector<double>& u) const {
    double sum = 0;
    const auto at = [&](int i, int j) {
      return i < 0 || j < 0 || i >= n || j >= n ? 0.0 : u[static_cast<std::size_t>(i * n + j)];
    };
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        const double f = 4 * at(i, j) - at(i - 1, j) - at(i + 1, j) - at(i, j - 1) - at(i, j + 1) -
                         h2() * lambda * std::exp(at(i, j));
        sum += f * f;
      }
    return std::sqrt(sum);
  }
  // The five-point Laplacian of the equations (J at λ = 0), factored once: z = L⁻¹r is the
  // preconditioner that leaves GMRES only the compact part h²λ·diag(eᵘ) to resolve.
  opt::KrylovPreconditioner laplacian_preconditioner() const {
    const int size = n * n;
    std::vector<Eigen::Triplet<double>> t;
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        const int k = i * n + j;
        t.emplace_back(k, k, 4.0);
        if (j > 0) t.emplace_back(k, k - 1, -1.0);
        if (j + 1 < n) t.emplace_back(k, k + 1, -1.0);
        if (i > 0) t.emplace_back(k, k - n, -1.0);
        if (i + 1 < n) t.emplace_back(k, k + n, -1.0);
      }
    Eigen::SparseMatrix<double> l(size, size);
    l.setFromTriplets(t.begin(), t.end());
    auto factor = std::make_shared<opt::SparseCholesky>();
    EXPECT_TRUE(factor->factor(l));
    return [factor](const Eigen::VectorXd& r, Eigen::VectorXd& z) { z = factor->solve(r); };
  }
};

double bratu_max_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

void expect_bratu_solved_both_ways(int n) {
  const Bratu bratu{n};
  const std::vector<double> u0(static_cast<std::size_t>(n * n), 0.0);
  const double tolerance = 1e-10;

  opt::SolveOptions by_lu;
  by_lu.tolerance = tolerance;
  by_lu.method = opt::SolveMethod::Newton;
  by_lu.jacobian = opt::JacobianStorage::Sparse;
  const opt::SolveResult lu = opt::solve(bratu, u0, by_lu);
  ASSERT_TRUE(lu.converged()) << opt::to_string(lu.reason) << " |F| = " << lu.residual_norm;
  EXPECT_EQ(lu.method, "newton");
  EXPECT_EQ(lu.linear_solver.rfind("sparse LU", 0), 0u) << lu.linear_solver;
  EXPECT_LE(bratu.residual_norm(lu.x), tolerance);

  opt::SolveOptions by_krylov;
  by_krylov.tolerance = tolerance;
  by_krylov.method = opt::SolveMethod::NewtonKrylov;
  const opt::KrylovPreconditioner laplacian = bratu.laplacian_preconditioner();
  long preconditioners = 0;
  by_krylov.preconditioner = [&](std::span<const double> x) {
    EXPECT_EQ(x.size(), u0.size());
    ++preconditioners;
    return laplacian;
  };
  const opt::SolveResult krylov = opt::solve(bratu, u0, by_krylov);
  ASSERT_TRUE(krylov.converged()) << opt::to_string(krylov.reason) << " |F| = " << krylov.residual_norm;
  EXPECT_EQ(krylov.method, "newton-krylov");
  EXPECT_LE(bratu.residual_norm(krylov.x), tolerance);
  EXPECT_GT(krylov.linear_iterations, 0);
  // The Laplacian leaves GMRES nothing to miss, so the one built at the start serves every step
  // (at most krylov_preconditioner_reuse = 10; Bratu at λ = 5 takes 4).
  EXPECT_LT(krylov.iterations, by_krylov.krylov_preconditioner_reuse);
  EXPECT_EQ(preconditioners, 1);
  EXPECT_EQ(krylov.preconditioner_setups, preconditioners);
  // J's recordings, counted apart: the start and the point each step reached.
  EXPECT_EQ(krylov.jacobian_evaluations, krylov.iterations + 1);

  EXPECT_LE(bratu_max_difference(lu.x, krylov.x), 1e-8);
}

TEST(LargeSystems, BratuOnA100By100GridBySparseLuAndByNewtonKrylov) { expect_bratu_solved_both_ways(100); }

#if !defined(TAPEGRAD_TEST_UNDER_SANITIZER)
TEST(LargeSystems, BratuOnA300By300GridBySparseLuAndByNewtonKrylov) { expect_bratu_solved_both_ways(300); }
#endif

TEST(LargeSystems, APreconditionerServesAtMostTheStepsItMayBeReused) {
  // Newton–Krylov's iterates are the start and the point each step reached; a preconditioner is
  // built at iterate k when k is a multiple of the reuse count, the Laplacian never leaving
  // GMRES short of its tolerance.
  const Bratu bratu{30};
  const opt::KrylovPreconditioner laplacian = bratu.laplacian_preconditioner();
  for (const long reuse : {1L, 2L, 3L}) {
    opt::SolveOptions options;
    options.tolerance = 1e-10;
    options.method = opt::SolveMethod::NewtonKrylov;
    options.krylov_preconditioner_reuse = reuse;
    long calls = 0;
    options.preconditioner = [&](std::span<const double>) {
      ++calls;
      return laplacian;
    };
    const opt::SolveResult r = opt::solve(bratu, std::vector<double>(900, 0.0), options);
    ASSERT_TRUE(r.converged()) << opt::to_string(r.reason);
    EXPECT_GE(r.iterations, 3);
    EXPECT_EQ(r.preconditioner_setups, calls);
    EXPECT_EQ(r.preconditioner_setups, (r.iterations + 1 + reuse - 1) / reuse) << "reuse " << reuse;
  }
}

TEST(LargeSystems, APreconditionerFromAnEarlierIterateThatFailsGmresIsBuiltAnew) {
  // F_i = x_i³ + x_i − c_i: J = diag(3x_i² + 1), and M = J at the point it is given, exact
  // there. GMRES may make one product a step: with M built at the iterate, J M⁻¹ = I and one
  // product solves the step exactly; with an M from an earlier iterate, J M⁻¹ is the diagonal of
  // J's ratios between the two points, which one product solves only as far as they are
  // alike. An old M that falls short costs one product and a new M, so k steps (k + 1
  // iterates, each solved once) with S preconditioners make k + 1 + (S − 1) products. The
  // first step (x from 1 to about 8 where c = 30, to 0.6 where c = 0.5) leaves ratios from 0.5
  // to 48: at the second iterate the first M must fall short, so S ≥ 2.
  const std::vector<double> c = {0.5, 2.0, 10.0, 30.0};
  auto cubic = [&c](std::span<const Var> x) {
    std::vector<Var> f;
    for (std::size_t i = 0; i < x.size(); ++i) f.push_back(x[i] * x[i] * x[i] + x[i] - c[i]);
    return f;
  };
  opt::SolveOptions options;
  options.method = opt::SolveMethod::NewtonKrylov;
  options.krylov_max_iterations = 1;
  options.krylov_preconditioner_reuse = 100;  // more than the steps: every new M is a rescue
  std::vector<std::vector<double>> built_at;
  options.preconditioner = [&](std::span<const double> x) -> opt::KrylovPreconditioner {
    built_at.emplace_back(x.begin(), x.end());
    Eigen::VectorXd diagonal(static_cast<Eigen::Index>(x.size()));
    for (std::size_t i = 0; i < x.size(); ++i) diagonal(static_cast<Eigen::Index>(i)) = 3 * x[i] * x[i] + 1;
    return [diagonal](const Eigen::VectorXd& r, Eigen::VectorXd& z) { z = r.cwiseQuotient(diagonal); };
  };
  const std::vector<double> x0 = {1.0, 1.0, 1.0, 1.0};
  const opt::SolveResult r = opt::solve(cubic, x0, options);
  ASSERT_TRUE(r.converged()) << opt::to_string(r.reason);
  for (std::size_t i = 0; i < c.size(); ++i) EXPECT_NEAR(r.x[i] * r.x[i] * r.x[i] + r.x[i], c[i], 1e-12);
  ASSERT_LT(r.iterations, options.krylov_preconditioner_reuse);
  EXPECT_GE(r.preconditioner_setups, 2);
  EXPECT_EQ(r.linear_iterations, r.iterations + 1 + (r.preconditioner_setups - 1));
  ASSERT_EQ(built_at.size(), static_cast<std::size_t>(r.preconditioner_setups));
  EXPECT_EQ(built_at.front(), x0);
  // Each built at a new iterate, never twice at one.
  for (std::size_t k = 1; k < built_at.size(); ++k) EXPECT_NE(built_at[k], built_at[k - 1]) << k;

  // Reused for one step at most: a new M at every iterate, one product each.
  options.krylov_preconditioner_reuse = 1;
  built_at.clear();
  const opt::SolveResult fresh = opt::solve(cubic, x0, options);
  ASSERT_TRUE(fresh.converged()) << opt::to_string(fresh.reason);
  EXPECT_EQ(fresh.preconditioner_setups, fresh.iterations + 1);
  EXPECT_EQ(fresh.linear_iterations, fresh.iterations + 1);
}

TEST(LargeSystems, AnIncompleteLuOfJPreconditionsNewtonKrylov) {
  // incomplete_lu_preconditioner: J from F's pattern and coloring, then ILUT. The same root as
  // unpreconditioned Newton–Krylov, in fewer GMRES products (the Laplacian's condition number,
  // about 400 at N = 30, is what GMRES alone contends with), from one factorization.
  const Bratu bratu{30};
  const std::vector<double> u0(900, 0.0);
  opt::SolveOptions options;
  options.tolerance = 1e-10;
  options.method = opt::SolveMethod::NewtonKrylov;
  const opt::SolveResult alone = opt::solve(bratu, u0, options);
  options.preconditioner = opt::incomplete_lu_preconditioner(bratu);
  const opt::SolveResult with_ilu = opt::solve(bratu, u0, options);
  ASSERT_TRUE(alone.converged()) << opt::to_string(alone.reason);
  ASSERT_TRUE(with_ilu.converged()) << opt::to_string(with_ilu.reason);
  EXPECT_LE(bratu.residual_norm(with_ilu.x), 1e-10);
  EXPECT_LE(bratu_max_difference(alone.x, with_ilu.x), 1e-8);
  EXPECT_EQ(with_ilu.preconditioner_setups, 1);
  EXPECT_EQ(alone.preconditioner_setups, 0);
  EXPECT_LT(2 * with_ilu.linear_iterations, alone.linear_iterations)
      << with_ilu.linear_iterations << " with, " << alone.linear_iterations << " without";
}

TEST(LargeSystems, NewtonKrylovWithoutAPreconditioner) {
  // GMRES alone on the Laplacian's condition number (about 100 at N = 15).
  const Bratu bratu{15};
  opt::SolveOptions options;
  options.tolerance = 1e-10;
  options.method = opt::SolveMethod::NewtonKrylov;
  const opt::SolveResult r = opt::solve(bratu, std::vector<double>(225, 0.0), options);
  ASSERT_TRUE(r.converged()) << opt::to_string(r.reason);
  EXPECT_LE(bratu.residual_norm(r.x), 1e-10);
  EXPECT_EQ(r.linear_solver, "GMRES(30)");
}

TEST(LargeSystems, DoglegOnASparseJacobian) {
  const Bratu bratu{20};
  opt::SolveOptions options;
  options.tolerance = 1e-10;
  options.method = opt::SolveMethod::Dogleg;
  options.jacobian = opt::JacobianStorage::Sparse;
  const opt::SolveResult r = opt::solve(bratu, std::vector<double>(400, 0.0), options);
  ASSERT_TRUE(r.converged()) << opt::to_string(r.reason);
  EXPECT_EQ(r.method, "dogleg");
  EXPECT_LE(bratu.residual_norm(r.x), 1e-10);
}

// MGH problem 30, the Broyden tridiagonal system: (3 − 2xᵢ)xᵢ − xᵢ₋₁ − 2xᵢ₊₁ + 1 = 0, x₀ = x_(n+1) = 0.
std::vector<Var> broyden_tridiagonal_system(std::span<const Var> x) {
  const Var zero;
  std::vector<Var> f;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const Var& before = i > 0 ? x[i - 1] : zero;
    const Var& after = i + 1 < x.size() ? x[i + 1] : zero;
    f.emplace_back((3.0 - 2.0 * x[i]) * x[i] - before - 2.0 * after + 1.0);
  }
  return f;
}

TEST(LargeSystems, DenseAndSparseNewtonTakeTheSameSteps) {
  const std::vector<double> x0(10, -1.0);
  for (long k = 1; k <= 6; ++k) {
    opt::SolveOptions dense, sparse;
    dense.method = sparse.method = opt::SolveMethod::Newton;
    dense.max_iterations = sparse.max_iterations = k;
    dense.jacobian = opt::JacobianStorage::Dense;
    sparse.jacobian = opt::JacobianStorage::Sparse;
    const opt::SolveResult a = opt::solve(broyden_tridiagonal_system, x0, dense);
    const opt::SolveResult b = opt::solve(broyden_tridiagonal_system, x0, sparse);
    EXPECT_EQ(a.iterations, b.iterations) << "after " << k;
    EXPECT_EQ(a.reason, b.reason) << "after " << k;
    EXPECT_EQ(a.linear_solver, "dense QR");
    EXPECT_EQ(b.linear_solver.rfind("sparse LU", 0), 0u) << b.linear_solver;
    for (std::size_t i = 0; i < x0.size(); ++i)
      EXPECT_NEAR(a.x[i], b.x[i], 1e-12) << "x" << i << " after " << k;
  }
}

TEST(LargeSystems, AutoStoresJDenseForFewUnknownsAndSparseForMany) {
  const opt::SolveResult small = opt::solve(broyden_tridiagonal_system, std::vector<double>(10, -1.0));
  ASSERT_TRUE(small.converged());
  EXPECT_EQ(small.method, "newton");
  EXPECT_EQ(small.linear_solver, "dense QR");
  const std::size_t many = opt::solve_dense_up_to + 1;
  const opt::SolveResult large = opt::solve(broyden_tridiagonal_system, std::vector<double>(many, -1.0));
  ASSERT_TRUE(large.converged());
  EXPECT_EQ(large.method, "newton");
  EXPECT_EQ(large.linear_solver.rfind("sparse LU", 0), 0u) << large.linear_solver;
}

TEST(LargeSystems, AutoStoresAFullJacobianDenseAboveSolveDenseUpTo) {
  // xᵢ + 0.01·Σⱼ xⱼ = 1: J = I + 0.01·11ᵀ has every entry nonzero, so above solve_dense_up_to
  // unknowns the pattern, found, sends it back to dense storage. The root is xᵢ = 1/(1 + 0.01n).
  const std::size_t n = opt::solve_dense_up_to + 1;
  auto coupled = [](std::span<const Var> x) {
    Var sum = 0.0;
    for (const Var& xi : x) sum = sum + xi;
    std::vector<Var> f;
    for (const Var& xi : x) f.emplace_back(xi + 0.01 * sum - 1.0);
    return f;
  };
  const opt::SolveResult r = opt::solve(coupled, std::vector<double>(n, 0.0));
  ASSERT_TRUE(r.converged()) << opt::to_string(r.reason);
  EXPECT_EQ(r.linear_solver, "dense QR");
  for (std::size_t i = 0; i < n; ++i)
    EXPECT_NEAR(r.x[i], 1 / (1 + 0.01 * static_cast<double>(n)), 1e-14) << i;
}

TEST(LargeSystems, AutoChoosesNewtonKrylovOnlyWhenNeitherMethodNorStorageIsAskedFor) {
  // A dense or sparse J asked for is a matrix to factor, whatever the size; so is a method
  // named; and F with a tensor operation has no forward sweep.
  opt::SolveOptions options;
  EXPECT_TRUE(opt::detail::krylov_possible(options, true));
  EXPECT_FALSE(opt::detail::krylov_possible(options, false));
  for (const opt::JacobianStorage storage : {opt::JacobianStorage::Dense, opt::JacobianStorage::Sparse}) {
    options.jacobian = storage;
    EXPECT_FALSE(opt::detail::krylov_possible(options, true))
        << tg::name_of(storage, opt::enum_names(storage));
  }
  options.jacobian = opt::JacobianStorage::Auto;
  for (const opt::SolveMethod method : {opt::SolveMethod::Newton, opt::SolveMethod::Dogleg}) {
    options.method = method;
    EXPECT_FALSE(opt::detail::krylov_possible(options, true)) << opt::to_string(method);
  }
}

TEST(LargeSystems, AutoStoresJDenseByDensityOnlyUpToSolveDenseAtMost) {
  const std::size_t most = opt::solve_dense_at_most;
  EXPECT_TRUE(opt::detail::dense_by_density(100, 100 * 100));  // full
  EXPECT_FALSE(opt::detail::dense_by_density(100, 3 * 100));   // tridiagonal
  EXPECT_TRUE(opt::detail::dense_by_density(most, most * most));
  // One more unknown: full, and still sparse (n² doubles past the bound).
  EXPECT_FALSE(opt::detail::dense_by_density(most + 1, (most + 1) * (most + 1)));
}

// A linear system is solved by one Newton step: F recorded at the start and at the root, and
// J swept from each of those recordings, none made twice. Sparse, SparseJacobian records F
// once more for its pattern and replays it at both points for J.
TEST(LargeSystems, EachPointIsRecordedOnce) {
  auto linear = [](std::span<const Var> v) {
    return std::vector<Var>{2.0 * v[0] + v[1] - 3.0, v[0] - v[1] + 1.0};  // root (2/3, 5/3)
  };
  for (const opt::SolveMethod method : {opt::SolveMethod::Newton, opt::SolveMethod::Dogleg}) {
    opt::SolveOptions dense;
    dense.method = method;
    dense.jacobian = opt::JacobianStorage::Dense;
    const opt::SolveResult d = opt::solve(linear, std::vector<double>{0.0, 0.0}, dense);
    ASSERT_TRUE(d.converged()) << opt::to_string(d.reason);
    EXPECT_EQ(d.iterations, 1) << opt::to_string(method);
    EXPECT_EQ(d.evaluations, 2) << opt::to_string(method);
    EXPECT_EQ(d.jacobian_evaluations, 2) << opt::to_string(method);
    opt::SolveOptions sparse = dense;
    sparse.jacobian = opt::JacobianStorage::Sparse;
    const opt::SolveResult s = opt::solve(linear, std::vector<double>{0.0, 0.0}, sparse);
    ASSERT_TRUE(s.converged()) << opt::to_string(s.reason);
    EXPECT_EQ(s.iterations, 1) << opt::to_string(method);
    EXPECT_EQ(s.evaluations, 2 + 1 + 2) << opt::to_string(method);
    EXPECT_EQ(s.jacobian_evaluations, 2) << opt::to_string(method);
    EXPECT_NEAR(s.x[0], 2.0 / 3, 1e-15);
    EXPECT_NEAR(s.x[1], 5.0 / 3, 1e-15);
  }
  opt::SolveOptions krylov;
  krylov.method = opt::SolveMethod::NewtonKrylov;
  const opt::SolveResult k = opt::solve(linear, std::vector<double>{0.0, 0.0}, krylov);
  ASSERT_TRUE(k.converged()) << opt::to_string(k.reason);
  EXPECT_EQ(k.iterations, 1);
  EXPECT_EQ(k.evaluations, 2);
  EXPECT_EQ(k.jacobian_evaluations, 2);
}

// ---- Misuse ----

TEST(LargeSystems, EveryMethodRejectsTheWrongNumberOfEquations) {
  auto three_for_two = [](std::span<const Var> v) { return std::vector<Var>{v[0], v[1], v[0] * v[1]}; };
  for (const opt::SolveMethod method :
       {opt::SolveMethod::Newton, opt::SolveMethod::Dogleg, opt::SolveMethod::NewtonKrylov}) {
    opt::SolveOptions options;
    options.method = method;
    try {
      opt::solve(three_for_two, std::vector<double>{1, 2}, options);
      ADD_FAILURE() << opt::to_string(method) << " did not throw";
    } catch (const tg::Error& e) {
      EXPECT_NE(std::string(e.what()).find("3 equations in 2 unknowns"), std::string::npos) << e.what();
    }
  }
  opt::SolveOptions sparse;
  sparse.jacobian = opt::JacobianStorage::Sparse;
  EXPECT_THROW(opt::solve(three_for_two, std::vector<double>{1, 2}, sparse), tg::Error);
}

TEST(LargeSystems, ANotFiniteStartIsReportedByEveryMethod) {
  auto log_of = [](std::span<const Var> v) { return std::vector<Var>{tg::log(v[0]), v[1] - 1.0}; };
  for (const opt::SolveMethod method :
       {opt::SolveMethod::Newton, opt::SolveMethod::Dogleg, opt::SolveMethod::NewtonKrylov}) {
    opt::SolveOptions options;
    options.method = method;
    const opt::SolveResult r = opt::solve(log_of, std::vector<double>{-1.0, 0.0}, options);
    EXPECT_EQ(r.reason, opt::SolveStop::NotFinite) << opt::to_string(method);
    EXPECT_EQ(r.iterations, 0);
    EXPECT_EQ(r.x, (std::vector<double>{-1.0, 0.0}));
  }
}

TEST(LargeSystems, RejectsNoUnknownsAndOptionsThatContradictEachOther) {
  auto f = [](std::span<const Var> v) { return std::vector<Var>(v.begin(), v.end()); };
  EXPECT_THROW(opt::solve(f, std::vector<double>{}), tg::Error);
  opt::SolveOptions dense_krylov;
  dense_krylov.method = opt::SolveMethod::NewtonKrylov;
  dense_krylov.jacobian = opt::JacobianStorage::Dense;
  EXPECT_THROW(opt::solve(f, std::vector<double>{1.0}, dense_krylov), tg::Error);
  opt::SolveOptions no_restart;
  no_restart.method = opt::SolveMethod::NewtonKrylov;
  no_restart.krylov_restart = 0;
  EXPECT_THROW(opt::solve(f, std::vector<double>{1.0}, no_restart), tg::Error);
  opt::SolveOptions no_reuse;
  no_reuse.method = opt::SolveMethod::NewtonKrylov;
  no_reuse.krylov_preconditioner_reuse = 0;
  EXPECT_THROW(opt::solve(f, std::vector<double>{1.0}, no_reuse), tg::Error);
  opt::SolveOptions no_radius;
  no_radius.trust_radius_factor = 0;
  EXPECT_THROW(opt::solve(f, std::vector<double>{1.0}, no_radius), tg::Error);
}

TEST(LargeSystems, NewtonKrylovAtAnExactRootJudgesJByAProbe) {
  // F = (x − 1, y − 2) at its root: F = 0 exactly, J = I regular: located at once. And
  // (exp(x), y − 1) at x = −800, where exp underflows to 0 with its derivative: F = 0 but J
  // singular, so no root (as Newton says, tests/optim/test_run_outcomes.cpp).
  opt::SolveOptions options;
  options.method = opt::SolveMethod::NewtonKrylov;
  auto linear = [](std::span<const Var> v) { return std::vector<Var>{v[0] - 1.0, v[1] - 2.0}; };
  const opt::SolveResult at_root = opt::solve(linear, std::vector<double>{1.0, 2.0}, options);
  EXPECT_TRUE(at_root.converged()) << opt::to_string(at_root.reason);
  EXPECT_EQ(at_root.iterations, 0);
  auto underflow = [](std::span<const Var> v) { return std::vector<Var>{tg::exp(v[0]), v[1] - 1.0}; };
  const opt::SolveResult asymptote = opt::solve(underflow, std::vector<double>{-800.0, 1.0}, options);
  EXPECT_EQ(asymptote.reason, opt::SolveStop::Asymptote);
}

TEST(LargeSystems, AZeroOfFWhereAPartialIsInfiniteIsAnAsymptoteByEveryMethod) {
  // sqrt(x) = 0 at x = 0 exactly, where d√x/dx = ∞: J is no matrix there. Dense Newton's J is
  // not finite, and Newton–Krylov's probe J·w is not either; neither locates a root.
  auto root_of = [](std::span<const Var> v) { return std::vector<Var>{tg::sqrt(v[0]), v[1] - 1.0}; };
  for (const opt::SolveMethod method :
       {opt::SolveMethod::Newton, opt::SolveMethod::Dogleg, opt::SolveMethod::NewtonKrylov}) {
    opt::SolveOptions options;
    options.method = method;
    const opt::SolveResult r = opt::solve(root_of, std::vector<double>{0.0, 1.0}, options);
    EXPECT_EQ(r.reason, opt::SolveStop::Asymptote) << opt::to_string(method);
    EXPECT_EQ(r.iterations, 0) << opt::to_string(method);
    EXPECT_EQ(r.residual_norm, 0.0) << opt::to_string(method);
  }
}

TEST(LargeSystems, AnEquationOnAnotherTapeIsRefusedByEveryMethod) {
  // The second equation is a Var recorded on the test's tape, not on the one solve() records
  // F on: its index means nothing there.
  tg::Tape other;
  const Var a = 2.0;
  const Var foreign = a * 3.0;
  auto f = [&](std::span<const Var> v) { return std::vector<Var>{v[0] - 1.0, foreign}; };
  for (const opt::SolveMethod method :
       {opt::SolveMethod::Newton, opt::SolveMethod::Dogleg, opt::SolveMethod::NewtonKrylov}) {
    opt::SolveOptions options;
    options.method = method;
    try {
      opt::solve(f, std::vector<double>{0.0, 0.0}, options);
      ADD_FAILURE() << opt::to_string(method) << " did not throw";
    } catch (const tg::Error& e) {
      EXPECT_NE(std::string(e.what()).find("equation 1 is not on the tape"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
