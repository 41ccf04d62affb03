// solver_runs: the program a user writes against tapegrad's library to solve the problems
// of bench/solvers_vs_scipy.py, which times it as a whole process against scipy. One run
// per process, one JSON line on stdout: the seconds spent inside the solver call, its
// iterations, the gradient norm or residual it reports, and (--out FILE) the point it
// returned as raw little-endian doubles, which the script checks in numpy.
//
//   solver_runs rosenbrock N newton|trust-ncg     chained Rosenbrock from x = 1.2
//   solver_runs broyden N newton|trust-ncg        Σ Fᵢ² of the Broyden tridiagonal system from x = −1
//   solver_runs bratu N sparse-lu|newton-krylov|newton-krylov-laplacian
//                                                 the Bratu problem on the N×N interior grid from u = 0
//   solver_runs constrained disc|box|eq-lsq       by IPOPT, problems with optima known by hand
//   solver_runs constrained sum-equals-n N        min Σxᵢ² subject to Σxᵢ = N from x = 0 (optimum xᵢ = 1)
//
// Options: --out FILE (the point), --tol X (the gradient norm to stop at, 1e-8; the
// residual ‖F‖₂ for bratu, 1e-10), --max-steps K (100000), --start X (rosenbrock and
// broyden: every xᵢ = X, or `alternating` for (−1.2, 1, −1.2, 1, …)).
//
// Everything here is what docs/solvers.md shows a user: minimize() with Newton (its
// Hessian sparse) or TrustNewtonCg, solve() with a sparse Jacobian (UMFPACK) or
// Newton–Krylov preconditioned by an incomplete LU of the sparse Jacobian, kept for up to 10
// steps (what `tapegrad solve --preconditioner ilu` does), minimize_constrained() and
// minimize_bounded(). newton-krylov-laplacian preconditions instead by the five-point
// Laplacian (J at λ = 0) factored once by SparseCholesky, as tests/optim/test_large_systems.cpp
// does (scipy's tutorial for this problem preconditions with an incomplete LU of that matrix).
#include <Eigen/SparseCore>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <tapegrad/optim/linear/sparse_cholesky.hpp>
#include <tapegrad/optim/solve/incomplete_lu.hpp>
#include <tapegrad/tapegrad.hpp>
#include <type_traits>
#include <vector>

#if TAPEGRAD_BENCH_IPOPT
#include <tapegrad/optim/constrained/minimize_constrained.hpp>
#endif

namespace tg = tapegrad;
namespace opt = tapegrad::optim;

namespace {

// f = Σ_{i<n−1} 100(x_{i+1} − x_i²)² + (1 − x_i)²: a tridiagonal Hessian, 3 colors at any n.
auto rosenbrock_chain = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  V f = 0.0;
  for (std::size_t i = 0; i + 1 < x.size(); ++i)
    f += 100.0 * tg::square(x[i + 1] - tg::square(x[i])) + tg::square(1.0 - x[i]);
  return f;
};

// f = Σ Fᵢ², Fᵢ = (3 − 2xᵢ)xᵢ − x_{i−1} − 2x_{i+1} + 1 with x_{−1} = x_n = 0 (Moré, Garbow &
// Hillstrom's problem 30 as a sum of squares): a pentadiagonal Hessian.
auto broyden_tridiagonal = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  V f = 0.0;
  const std::size_t n = x.size();
  for (std::size_t i = 0; i < n; ++i) {
    V r = (3.0 - 2.0 * x[i]) * x[i] + 1.0;
    if (i > 0) r -= x[i - 1];
    if (i + 1 < n) r -= 2.0 * x[i + 1];
    f += tg::square(r);
  }
  return f;
};

// The Bratu problem −Δu − λeᵘ = 0 on the unit square, u = 0 on its boundary, by the
// five-point stencil on an N×N interior grid (h = 1/(N + 1)), each equation multiplied by h²:
//   Fₖ = 4uₖ − (its neighbours inside the grid) − h²λ·exp(uₖ),   k = i·N + j.
struct Bratu {
  int n;
  double lambda = 5;
  std::vector<tg::Var> operator()(std::span<const tg::Var> u) const {
    const double h = 1.0 / (n + 1);
    const double c = h * h * lambda;
    const auto un = static_cast<std::size_t>(n);
    std::vector<tg::Var> f;
    f.reserve(u.size());
    for (std::size_t i = 0; i < un; ++i)
      for (std::size_t j = 0; j < un; ++j) {
        const std::size_t k = i * un + j;
        tg::Var r = 4.0 * u[k] - c * tg::exp(u[k]);
        if (j > 0) r -= u[k - 1];
        if (j + 1 < un) r -= u[k + 1];
        if (i > 0) r -= u[k - un];
        if (i + 1 < un) r -= u[k + un];
        f.push_back(r);
      }
    return f;
  }
};

// z = L⁻¹r for the five-point Laplacian L of Bratu's equations (4 on the diagonal, −1 for each
// neighbour inside the grid), factored once: GMRES is left only the compact part h²λ·diag(eᵘ).
opt::KrylovPreconditioner laplacian_preconditioner(int n) {
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
  Eigen::SparseMatrix<double> l(n * n, n * n);
  l.setFromTriplets(t.begin(), t.end());
  auto factor = std::make_shared<opt::SparseCholesky>();
  if (!factor->factor(l)) throw tg::Error("the Laplacian of the ", n, "×", n, " grid did not factor");
  return [factor](const Eigen::VectorXd& r, Eigen::VectorXd& z) { z = factor->solve(r); };
}

struct Arguments {
  std::string problem, variant, method, out, start;
  long n = 0;
  double tolerance = std::numeric_limits<double>::quiet_NaN();
  long max_steps = 100000;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(
      stderr,
      "solver_runs: %s\nusage: solver_runs rosenbrock|broyden N newton|trust-ncg [--out FILE] "
      "[--tol X] [--start X|alternating]\n"
      "       solver_runs bratu N sparse-lu|newton-krylov|newton-krylov-laplacian [--out FILE] [--tol X]\n"
      "       solver_runs constrained disc|box|eq-lsq|sum-equals-n [N] [--out FILE]\n",
      why.c_str());
  std::exit(2);
}

long positive_count(const std::string& text, const char* what) {
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 1)
    usage(std::string(what) + " '" + text + "' is not a positive count");
  return value;
}

Arguments parse(int argc, char** argv) {
  std::vector<std::string> words;
  Arguments a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--out" || arg == "--tol" || arg == "--max-steps" || arg == "--start") {
      if (i + 1 >= argc) usage(arg + " needs a value");
      const std::string value = argv[++i];
      if (arg == "--out")
        a.out = value;
      else if (arg == "--tol")
        a.tolerance = std::strtod(value.c_str(), nullptr);
      else if (arg == "--start")
        a.start = value;
      else
        a.max_steps = positive_count(value, "--max-steps");
    } else {
      words.push_back(arg);
    }
  }
  if (words.empty()) usage("no problem named");
  a.problem = words[0];
  if (a.problem == "constrained") {
    if (words.size() < 2) usage("constrained needs a problem: disc, box, eq-lsq or sum-equals-n");
    a.variant = words[1];
    if (a.variant == "sum-equals-n") {
      if (words.size() != 3) usage("constrained sum-equals-n needs N");
      a.n = positive_count(words[2], "N");
    } else if (words.size() != 2) {
      usage("constrained " + a.variant + " takes no size");
    }
    return a;
  }
  if (words.size() != 3) usage("expected a problem, a size and a method");
  a.n = positive_count(words[1], "N");
  a.method = words[2];
  return a;
}

void write_point(const std::string& path, const std::vector<double>& x) {
  if (path.empty()) return;
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(x.data()), static_cast<std::streamsize>(x.size() * sizeof(double)));
  if (!out) {
    std::fprintf(stderr, "solver_runs: could not write %s\n", path.c_str());
    std::exit(1);
  }
}

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// minimize() with `optimizer` on the problem a.problem names, printing the result's line.
template <class Optimizer>
int minimize_and_report(const Arguments& a, tg::Parameter& x, Optimizer& optimizer, Clock::time_point start) {
  const opt::StopWhen stop{.max_steps = a.max_steps,
                           .gradient_norm = std::isnan(a.tolerance) ? 1e-8 : a.tolerance};
  const opt::MinimizeResult r = a.problem == "rosenbrock"
                                    ? opt::minimize(rosenbrock_chain, x, optimizer, stop)
                                    : opt::minimize(broyden_tridiagonal, x, optimizer, stop);
  const double seconds = seconds_since(start);
  write_point(a.out, r.x);
  const bool converged = r.reason == opt::StopReason::GradientNorm;
  std::printf(
      "{\"problem\":\"%s\",\"n\":%ld,\"method\":\"%s\",\"seconds\":%.6f,\"iterations\":%ld,\"evaluations\":%"
      "ld,"
      "\"hessian_vector_products\":%ld,\"f\":%.17g,\"gradient_norm\":%.17g,\"reason\":\"%s\",\"converged\":%"
      "s}\n",
      a.problem.c_str(), a.n, a.method.c_str(), seconds, r.steps, r.evaluations,
      optimizer.hessian_vector_products(), r.f, r.gradient_norm, opt::to_string(r.reason),
      converged ? "true" : "false");
  return converged ? 0 : 1;
}

int run_minimize(const Arguments& a) {
  const auto n = static_cast<std::size_t>(a.n);
  std::vector<double> x0(n, a.problem == "rosenbrock" ? 1.2 : -1.0);
  if (a.start == "alternating") {
    for (std::size_t i = 0; i < n; ++i) x0[i] = i % 2 == 0 ? -1.2 : 1.0;
  } else if (!a.start.empty()) {
    char* end = nullptr;
    const double value = std::strtod(a.start.c_str(), &end);
    if (*end != '\0' || !std::isfinite(value)) usage("--start '" + a.start + "' (a number, or alternating)");
    x0.assign(n, value);
  }
  const Clock::time_point start = Clock::now();
  tg::Parameter x(Eigen::Map<const Eigen::VectorXd>(x0.data(), static_cast<Eigen::Index>(n)));
  if (a.method == "newton") {
    opt::Newton newton({x}, {.hessian = opt::HessianStorage::Sparse});
    return minimize_and_report(a, x, newton, start);
  }
  if (a.method == "trust-ncg") {
    opt::TrustNewtonCg trust({x});
    return minimize_and_report(a, x, trust, start);
  }
  usage("method '" + a.method + "' (expected newton or trust-ncg)");
}

int run_bratu(const Arguments& a) {
  if (a.n > 4000) usage("bratu N = " + std::to_string(a.n) + ": at most 4000");
  const Bratu bratu{static_cast<int>(a.n)};
  const std::vector<double> u0(static_cast<std::size_t>(a.n * a.n), 0.0);
  opt::SolveOptions options;
  options.tolerance = std::isnan(a.tolerance) ? 1e-10 : a.tolerance;
  options.max_iterations = a.max_steps;
  const Clock::time_point start = Clock::now();
  if (a.method == "sparse-lu") {
    options.method = opt::SolveMethod::Newton;
    options.jacobian = opt::JacobianStorage::Sparse;
  } else if (a.method == "newton-krylov") {
    options.method = opt::SolveMethod::NewtonKrylov;
    options.preconditioner = opt::incomplete_lu_preconditioner(bratu);
  } else if (a.method == "newton-krylov-laplacian") {
    options.method = opt::SolveMethod::NewtonKrylov;
    const opt::KrylovPreconditioner laplacian = laplacian_preconditioner(bratu.n);
    options.preconditioner = [laplacian](std::span<const double>) { return laplacian; };
  } else {
    usage("method '" + a.method + "' (expected sparse-lu, newton-krylov or newton-krylov-laplacian)");
  }
  const opt::SolveResult r = opt::solve(bratu, u0, options);
  const double seconds = seconds_since(start);
  write_point(a.out, r.x);
  std::printf(
      "{\"problem\":\"bratu\",\"n\":%ld,\"method\":\"%s\",\"seconds\":%.6f,\"iterations\":%ld,"
      "\"evaluations\":%ld,"
      "\"linear_iterations\":%ld,\"linear_solver\":\"%s\",\"residual\":%.17g,\"reason\":\"%s\",\"converged\":"
      "%s}\n",
      a.n, a.method.c_str(), seconds, r.iterations, r.evaluations, r.linear_iterations,
      r.linear_solver.c_str(), r.residual_norm, opt::to_string(r.reason), r.converged() ? "true" : "false");
  return r.converged() ? 0 : 1;
}

#if TAPEGRAD_BENCH_IPOPT

constexpr double inf = std::numeric_limits<double>::infinity();

// min ‖Ax − b‖² subject to Cx = d: the data of bench/solvers_vs_scipy.py's eq_lsq_data(), whose
// optimum the script solves from the KKT system [2AᵀA Cᵀ; C 0][x; λ] = [2Aᵀb; d].
constexpr double lsq_a[6][4] = {{1, 2, 0, 1}, {0, 1, 3, 0}, {2, 0, 1, 1},
                                {1, 1, 1, 1}, {0, 3, 0, 2}, {4, 0, 1, 0}};
constexpr double lsq_b[6] = {1, -2, 3, 0.5, 2, -1};
constexpr double lsq_c[2][4] = {{1, 1, 1, 1}, {1, -1, 2, 0}};
constexpr double lsq_d[2] = {2, 0.5};

int run_constrained(const Arguments& a) {
  const Clock::time_point start = Clock::now();
  opt::ConstrainedResult r;
  if (a.variant == "disc") {  // min (x−2)² + (y−1)² on x² + y² ≤ 1: (2, 1)/√5
    auto f = [](auto x) { return tg::square(x[0] - 2.0) + tg::square(x[1] - 1.0); };
    auto c = [](auto x) {
      using V = std::remove_cvref_t<decltype(x[0])>;
      return std::vector<V>{x[0] * x[0] + x[1] * x[1]};
    };
    r = opt::minimize_constrained(f, c, std::vector<double>{0, 0},
                                  {.constraint_lower = {-inf}, .constraint_upper = {1}});
  } else if (a.variant == "box") {  // min (x−3)² + (y−½)² + (z+2)² on [0, 1]³: (1, ½, 0)
    auto f = [](auto x) { return tg::square(x[0] - 3.0) + tg::square(x[1] - 0.5) + tg::square(x[2] + 2.0); };
    r = opt::minimize_bounded(f, std::vector<double>{0.5, 0.5, 0.5},
                              {.lower = {0, 0, 0}, .upper = {1, 1, 1}});
  } else if (a.variant == "eq-lsq") {
    auto f = [](auto x) {
      using V = std::remove_cvref_t<decltype(x[0])>;
      V s = 0.0;
      for (int i = 0; i < 6; ++i) {
        V residual = -lsq_b[i];
        for (std::size_t j = 0; j < 4; ++j) residual += lsq_a[i][j] * x[j];
        s += residual * residual;
      }
      return s;
    };
    auto c = [](auto x) {
      using V = std::remove_cvref_t<decltype(x[0])>;
      std::vector<V> out;
      for (int i = 0; i < 2; ++i) {
        V residual = -lsq_d[i];
        for (std::size_t j = 0; j < 4; ++j) residual += lsq_c[i][j] * x[j];
        out.push_back(residual);
      }
      return out;
    };
    r = opt::minimize_constrained(f, c, std::vector<double>(4, 0.0));
  } else if (a.variant == "sum-equals-n") {  // min Σxᵢ² subject to Σxᵢ = n: xᵢ = 1
    auto f = [](auto x) {
      using V = std::remove_cvref_t<decltype(x[0])>;
      V s = 0.0;
      for (const auto& xi : x) s += xi * xi;
      return s;
    };
    const double n = static_cast<double>(a.n);
    auto c = [n](auto x) {
      using V = std::remove_cvref_t<decltype(x[0])>;
      V s = -n;
      for (const auto& xi : x) s += xi;
      return std::vector<V>{s};
    };
    r = opt::minimize_constrained(f, c, std::vector<double>(static_cast<std::size_t>(a.n), 0.0));
  } else {
    usage("constrained problem '" + a.variant + "' (expected disc, box, eq-lsq or sum-equals-n)");
  }
  const double seconds = seconds_since(start);
  write_point(a.out, r.x);
  std::printf(
      "{\"problem\":\"constrained\",\"variant\":\"%s\",\"n\":%zu,\"seconds\":%.6f,\"iterations\":%ld,\"f\":%."
      "17g,"
      "\"constraint_violation\":%.17g,\"status\":\"%s\",\"converged\":%s}\n",
      a.variant.c_str(), r.x.size(), seconds, r.iterations, r.f, r.constraint_violation,
      opt::to_string(r.status), r.optimal() ? "true" : "false");
  return r.optimal() ? 0 : 1;
}

#else

int run_constrained(const Arguments&) {
  std::fprintf(stderr,
               "solver_runs: built without IPOPT (sudo apt-get install coinor-libipopt-dev pkg-config)\n");
  return 2;
}

#endif

}  // namespace

int main(int argc, char** argv) {
  const Arguments a = parse(argc, argv);
  try {
    if (a.problem == "rosenbrock" || a.problem == "broyden") return run_minimize(a);
    if (a.problem == "bratu") return run_bratu(a);
    if (a.problem == "constrained") return run_constrained(a);
  } catch (const tg::Error& e) {
    std::fprintf(stderr, "solver_runs: %s\n", e.what());
    return 1;
  }
  usage("problem '" + a.problem + "' (expected rosenbrock, broyden, bratu or constrained)");
}
