// tapegrad solve on large systems as a user runs it: the 2-D Bratu problem written as a
// file of N² equations in a vector's entries (and once with sums and two-sided equations),
// solved by sparse LU and by Newton–Krylov, the root read back from --out and its residual
// recomputed here in double; systems in many scalar unknowns; the point file fed back to
// --from; and the input errors, with exit code 2 and the column or name.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../support/sanitizer_build.hpp"
#include "run_cli.hpp"

using namespace cli_run;

namespace {

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The Bratu problem −Δu = λ eᵘ on the unit square, u = 0 on its boundary, by the five-point
// stencil on an n×n interior grid, h = 1/(n + 1), scaled by h²:
//   4u[k] − (its grid neighbours inside) − h²λ·exp(u[k]) = 0,   k = i·n + j.
// λ = 5 is below the turning point (about 6.81), where the solution from u = 0 is unique.
struct BratuGrid {
  int n;
  // h²λ written as the file writes it (17 digits read back to the same double).
  double coefficient() const {
    const double h = 1.0 / (n + 1);
    return h * h * 5.0;
  }
  std::string coefficient_text() const {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.17g", coefficient());
    return buffer;
  }
  // One equation a line, "… = 0", the boundary neighbours left out; or, `with_sums`, the
  // same equations with a pair of neighbours as a sum over its two entries (an '=' inside
  // the side) and the source term on the right, separated by ';'.
  std::string equations(bool with_sums = false) const {
    std::string out;
    const std::string c = coefficient_text();
    const auto u = [](int k) { return "u[" + std::to_string(k) + "]"; };
    // The neighbours k − step and k + step, those inside the grid (`before`, `after`).
    const auto pair = [&](int k, int step, bool before, bool after) {
      if (with_sums && before && after)
        return " - sum(d = 0..1: u[" + std::to_string(k - step) + " + " + std::to_string(2 * step) + "*d])";
      std::string terms;
      if (before) terms += " - " + u(k - step);
      if (after) terms += " - " + u(k + step);
      return terms;
    };
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        const int k = i * n + j;
        out += "4*" + u(k) + pair(k, 1, j > 0, j + 1 < n) + pair(k, n, i > 0, i + 1 < n);
        out += with_sums ? " = " + c + "*exp(" + u(k) + "); " : " - " + c + "*exp(" + u(k) + ") = 0\n";
      }
    return out;
  }
  // max |F| at u, in double, written apart from the text above.
  double max_residual(const std::vector<double>& u) const {
    const auto at = [&](int i, int j) {
      return i < 0 || j < 0 || i >= n || j >= n ? 0.0 : u[static_cast<std::size_t>(i * n + j)];
    };
    double largest = 0;
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        const double f = 4 * at(i, j) - at(i, j - 1) - at(i, j + 1) - at(i - 1, j) - at(i + 1, j) -
                         coefficient() * std::exp(at(i, j));
        largest = std::max(largest, std::abs(f));
      }
    return largest;
  }
};

// The entries of the vector `name` (length n) in a point file of "name[i] = value" lines,
// each given exactly once.
std::vector<double> read_vector_from_point_file(const std::string& path, const std::string& name,
                                                std::size_t n) {
  std::vector<double> out(n, NAN);
  std::vector<int> seen(n, 0);
  std::istringstream in(slurp(path));
  std::string line;
  std::size_t lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    std::size_t index = 0;
    double value = NAN;
    char equals = 0;
    const std::string prefix = name + "[";
    EXPECT_EQ(line.rfind(prefix, 0), 0u) << line;
    std::istringstream entry(line.substr(prefix.size()));
    entry >> index;
    entry.ignore(1, ']');
    entry >> equals >> value;
    EXPECT_TRUE(entry && equals == '=' && index < n) << line;
    if (index < n) {
      out[index] = value;
      ++seen[index];
    }
  }
  EXPECT_EQ(lines, n);
  for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(seen[i], 1) << name << "[" << i << "]";
  return out;
}

// "@path": appended, not `"@" + path`, on which g++ 12 reports a false -Wrestrict.
std::string at_path(const std::string& path) {
  std::string argument = "@";
  argument += path;
  return argument;
}

double largest_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

using LargeSystemsCli = ScratchFolderTest;

// Both methods on the n×n Bratu grid from u = 0: each root's residual recomputed here, and
// the two roots agree. |F|₂ ≤ 10⁻¹² at each bounds their distance by ‖J⁻¹‖₂·2·10⁻¹², where
// the scaled Jacobian J = (5-point Laplacian) − h²λ·diag(eᵘ) has its smallest eigenvalue at
// least 8 sin²(πh/2) − h²λ·e^max(u) (the Laplacian's smallest, less the largest shift): about
// 1/(8.7h²), ‖J⁻¹‖ ≈ 1200 at n = 100 and 10⁴ at n = 300, with max u ≈ 0.8 read off the root.
void expect_bratu_solved_by_lu_and_by_krylov(const BratuGrid& grid, const std::string& equations_file,
                                             const std::string& lu_file, const std::string& krylov_file) {
  const std::size_t unknowns = static_cast<std::size_t>(grid.n) * static_cast<std::size_t>(grid.n);
  const std::string dim = "u=" + std::to_string(unknowns);
  const Outcome lu = tapegrad({"solve", at_path(equations_file), "--dim", dim, "--from", "u=0", "--method",
                               "newton", "--jacobian", "sparse", "--tol", "1e-12", "--out", lu_file});
  ASSERT_EQ(lu.exit_code, 0) << lu.err << lu.out;
  EXPECT_TRUE(mentions(lu.out, "(newton)\nlinear solver = sparse LU")) << lu.out;
  // A screenful, not every entry: the first ten, a summary, the last five.
  EXPECT_TRUE(mentions(lu.out, "u[9] = ")) << lu.out;
  EXPECT_FALSE(mentions(lu.out, "u[10] = ")) << lu.out;
  EXPECT_TRUE(
      mentions(lu.out, "… " + std::to_string(unknowns - 15) + " more (of " + std::to_string(unknowns)))
      << lu.out;
  EXPECT_TRUE(mentions(lu.out, "u[" + std::to_string(unknowns - 1) + "] = ")) << lu.out;
  EXPECT_TRUE(mentions(lu.err, "wrote " + lu_file + " (" + std::to_string(unknowns) + " entries)")) << lu.err;
  const std::vector<double> by_lu = read_vector_from_point_file(lu_file, "u", unknowns);
  EXPECT_LE(grid.max_residual(by_lu), 1e-12);

  const Outcome krylov =
      tapegrad({"solve", at_path(equations_file), "--dim", dim, "--from", "u=0", "--method", "newton-krylov",
                "--preconditioner", "ilu", "--tol", "1e-12", "--out", krylov_file, "--json"});
  ASSERT_EQ(krylov.exit_code, 0) << krylov.err;
  const nlohmann::json j = json_of(krylov);
  EXPECT_EQ(j["method"], "newton-krylov");
  EXPECT_EQ(j["linear_solver"], "GMRES(30)");
  EXPECT_TRUE(j["converged"].get<bool>());
  EXPECT_LE(j["residual"].get<double>(), 1e-12);
  EXPECT_GT(j["linear_iterations"].get<long>(), 0);
  // One incomplete LU for every step: it may serve 10, and with up to 1000 products a step GMRES
  // reaches its tolerance with it (tens of products) however J has moved since.
  EXPECT_LT(j["iterations"].get<long>(), 10);
  EXPECT_EQ(j["preconditioner_setups"], 1);
  EXPECT_GE(j["evaluations"].get<long>(), j["iterations"].get<long>());
  EXPECT_EQ(j["x"]["u"].size(), unknowns);
  const std::vector<double> by_krylov = read_vector_from_point_file(krylov_file, "u", unknowns);
  EXPECT_LE(grid.max_residual(by_krylov), 1e-12);
  for (std::size_t i = 0; i < unknowns; i += 997) EXPECT_EQ(j["x"]["u"][i].get<double>(), by_krylov[i]) << i;

  const double h = 1.0 / (grid.n + 1), pi = std::acos(-1.0);
  const double largest_u = *std::max_element(by_lu.begin(), by_lu.end());
  const double smallest_eigenvalue =
      8 * std::pow(std::sin(pi * h / 2), 2) - grid.coefficient() * std::exp(largest_u);
  ASSERT_GT(smallest_eigenvalue, 0);  // λ = 5 is below the turning point: J is positive definite
  // Twice the linearized bound, for J's change between the two roots (of order 10⁻⁸).
  EXPECT_LE(largest_difference(by_lu, by_krylov), 2 * 2e-12 / smallest_eigenvalue);
  // The solution is symmetric about the square's centre, and positive (−Δu = λeᵘ > 0 with
  // u = 0 on the boundary: the maximum principle).
  EXPECT_NEAR(by_lu[0], by_lu[unknowns - 1], 1e-12);
  for (std::size_t i = 0; i < unknowns; ++i) ASSERT_GT(by_lu[i], 0) << i;
}

}  // namespace

// 10⁴ equations, 3600 in the sanitizers' build (unoptimized: Eigen's incomplete LU and
// GMRES there take 50 times as long).
TEST_F(LargeSystemsCli, BratuOnA100By100Or60By60GridBySparseLuAndByNewtonKrylov) {
  const BratuGrid grid{built_under_sanitizer ? 60 : 100};
  expect_bratu_solved_by_lu_and_by_krylov(grid, file("bratu.txt", grid.equations()), path("lu.txt"),
                                          path("krylov.txt"));
}

// 90 000 equations: at full size in the release build only (the sanitizers' build runs the
// smaller grid above through the same code).
#if !defined(TAPEGRAD_TEST_UNDER_SANITIZER)
TEST_F(LargeSystemsCli, BratuOnA300By300GridBySparseLuAndByNewtonKrylov) {
  const BratuGrid grid{300};
  expect_bratu_solved_by_lu_and_by_krylov(grid, file("bratu.txt", grid.equations()), path("lu.txt"),
                                          path("krylov.txt"));
}
#endif

TEST_F(LargeSystemsCli, BratuWrittenWithSumsAndTwoSidedEquationsHasTheSameRoot) {
  // The same 30×30 grid both ways; Newton–Krylov here without a preconditioner.
  const BratuGrid grid{30};
  const Outcome plain = tapegrad({"solve", at_path(file("plain.txt", grid.equations())), "--dim", "u=900",
                                  "--from", "u=0", "--tol", "1e-12", "--out", path("plain-root.txt")});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  // Auto: sparse above optim::solve_dense_up_to (64) unknowns, and the five-point stencil's
  // pattern is far from full.
  EXPECT_TRUE(mentions(plain.out, "linear solver = sparse LU")) << plain.out;
  const Outcome sums =
      tapegrad({"solve", at_path(file("sums.txt", grid.equations(true))), "--dim", "u=900", "--from", "u=0",
                "--method", "newton-krylov", "--tol", "1e-12", "--out", path("sums-root.txt")});
  ASSERT_EQ(sums.exit_code, 0) << sums.err;
  EXPECT_TRUE(mentions(sums.out, "(newton-krylov)\nlinear solver = GMRES(30)")) << sums.out;
  EXPECT_TRUE(mentions(sums.out, "krylov iterations = ")) << sums.out;
  const std::vector<double> a = read_vector_from_point_file(path("plain-root.txt"), "u", 900);
  const std::vector<double> b = read_vector_from_point_file(path("sums-root.txt"), "u", 900);
  EXPECT_LE(grid.max_residual(a), 1e-12);
  EXPECT_LE(grid.max_residual(b), 1e-12);
  EXPECT_LE(largest_difference(a, b), 1e-8);
}

TEST_F(LargeSystemsCli, ManyScalarUnknownsAreSolvedInLinearTime) {
  // x1 = 1, x(k) + x(k−1)/2 = 1: x(k) = 2/3 + (1/3)(−1/2)^(k−1), by forward substitution.
  // 20000 scalar unknowns (a list of every name per equation would be 4·10⁸ names).
  const int n = 20000;
  std::string text = "x1 = 1\n";
  for (int k = 2; k <= n; ++k) text += "x" + std::to_string(k) + " + x" + std::to_string(k - 1) + "/2 = 1\n";
  std::string start;
  for (int k = 1; k <= n; ++k) start += "x" + std::to_string(k) + " = 0\n";
  const Outcome r = tapegrad({"solve", at_path(file("chain.txt", text)), "--from",
                              at_path(file("start.txt", start)), "--out", path("root.txt")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(slurp(path("root.txt")));
  std::string name, equals;
  double value = 0;
  int count = 0;
  // Names in sorted order (x1, x10, x100, …): each checked against its own index.
  while (in >> name >> equals >> value) {
    const int k = std::stoi(name.substr(1));
    const double expected = 2.0 / 3.0 + std::pow(-0.5, k - 1) / 3.0;
    EXPECT_NEAR(value, expected, 1e-14) << name;
    ++count;
  }
  EXPECT_EQ(count, n);
}

TEST_F(LargeSystemsCli, AVectorSystemInJsonAndItsRootFedBackToFrom) {
  // u[0] + u[1] + u[2] = 6, u[0] − u[1] = −1, u[1] − u[2] = −1: u = (1, 2, 3); the '=' in
  // the sum's range is part of the left side.
  const std::string equations = "sum(i = 0..2: u[i]) = 6; u[0] - u[1] = -1; u[1] - u[2] = -1";
  const Outcome r =
      tapegrad({"solve", equations, "--dim", "u=3", "--from", "u=0", "--json", "--out", path("u.txt")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = json_of(r);
  ASSERT_EQ(j["x"]["u"].size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(j["x"]["u"][i].get<double>(), i + 1, 1e-14);
  EXPECT_EQ(j["linear_solver"], "dense QR");  // Auto: dense for 3 unknowns
  EXPECT_EQ(j["linear_iterations"], 0);
  EXPECT_TRUE(j["converged"].get<bool>());
  // The point file gives the vector's length by its entries, without --dim; from the root
  // itself no step is needed.
  const Outcome again = tapegrad({"solve", equations, "--from", at_path(path("u.txt")), "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json_of(again)["iterations"], 0);
  EXPECT_EQ(json_of(again)["x"]["u"], j["x"]["u"]);
  // A scalar and a vector together: u[0] + u[1] = s, u[0] − u[1] = 1, s = 3 gives s = 3,
  // u = (2, 1); scalars are listed before vectors.
  const Outcome mixed =
      tapegrad({"solve", "u[0] + u[1] = s; u[0] - u[1] = 1; s = 3", "--dim", "u=2", "--from", "u=0,s=0"});
  ASSERT_EQ(mixed.exit_code, 0) << mixed.err;
  EXPECT_EQ(mixed.out.rfind("s = ", 0), 0u) << mixed.out;
  EXPECT_TRUE(mentions(mixed.out, "\nu[0] = ")) << mixed.out;
}

TEST_F(LargeSystemsCli, ANonConvergedSystemWritesItsBestPointAndExitsWith1) {
  // u[0] + u[1] = 1 and = 2 contradict; the least-squares points have u[0] + u[1] = 1.5,
  // where |F|₂ = √(0.5² + 0.5²).
  const Outcome r = tapegrad({"solve", "u[0] + u[1] = 1; u[0] + u[1] = 2", "--dim", "u=2", "--from", "u=0",
                              "--out", path("best.txt")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(mentions(r.err, "no root found")) << r.err;
  EXPECT_TRUE(mentions(r.err, "written to " + path("best.txt"))) << r.err;
  const std::vector<double> u = read_vector_from_point_file(path("best.txt"), "u", 2);
  EXPECT_NEAR(u[0] + u[1], 1.5, 1e-8);
  EXPECT_TRUE(mentions(r.out, "residual = 0.70710678")) << r.out;
}

TEST_F(LargeSystemsCli, BadEquationsAreRefusedAtTheirColumn) {
  // "x + y" ends at column 5: the relation is missing at column 6.
  expect_usage_error(tapegrad({"solve", "x + y; x - y = 1", "--from", "x=0,y=0"}),
                     "an equation needs a relation (write LHS = RHS, e.g. x^2 = 2) (column 6)");
  expect_usage_error(tapegrad({"solve", "x == 1; y = 2", "--from", "x=0,y=0"}),
                     "'==' is not a relation here");
  expect_usage_error(tapegrad({"solve", "x == 1; y = 2", "--from", "x=0,y=0"}), "(column 3)");
  expect_usage_error(tapegrad({"solve", "y = 2; x <= 1", "--from", "x=0,y=0"}),
                     "an equation takes '=', not '<=' (write LHS = RHS, e.g. x^2 = 2) (column 10)");
  expect_usage_error(tapegrad({"solve", "x = 1 = y", "--from", "x=0,y=0"}), "more than one relation");
  // In a file the line is named and the column counts in it.
  const std::string equations = file("eq.txt", "u[0] = 1\nu[1] == 2\n");
  expect_usage_error(
      tapegrad({"solve", at_path(equations), "--dim", "u=2", "--from", "u=0"}),
      "line 2: syntax error: '==' is not a relation here: write '=' for an equality (column 6)");
  expect_usage_error(tapegrad({"solve", at_path(equations), "--dim", "u=2", "--from", "u=0"}), "line 2:");
  // A syntax error inside a side, at its column in the whole text.
  expect_usage_error(tapegrad({"solve", "x = 1; y = 2 +* x", "--from", "x=0,y=0"}), "(column 15)");
}

TEST_F(LargeSystemsCli, BadUnknownsAndFlagsAreUsageErrors) {
  expect_usage_error(tapegrad({"solve", "x + y = 1; x - y = 2", "--from", "x=0,y=0,z=1"}),
                     "--from: z is not a variable");
  expect_usage_error(tapegrad({"solve", "u[0] + u[1] = 1; u[0] - u[1] = 0", "--from", "u=0"}),
                     "u is not a vector (declare it with --dim u=N");
  expect_usage_error(tapegrad({"solve", "u[0] + u[1] = 1; u[0] - u[1] = 0", "--from", "u=0"}), "(column 1)");
  expect_usage_error(tapegrad({"solve", "u[0] + u[1] = 1; u[0] - u[1] = 0", "--dim", "u=3", "--from", "u=0"}),
                     "2 equations in 3 unknowns");
  expect_usage_error(
      tapegrad({"solve", "u[0] + u[1] = 1; u[0] - u[1] = 0", "--dim", "u=2", "--from", "u=[1,2,3]"}),
      "--from: the list for u has 3 values, its dimension is 2");
  expect_usage_error(tapegrad({"solve", "u[0] + u[1] = 1; u[0] - u[1] = 0", "--dim", "u=2", "--from", "u=0",
                               "--method", "newton-raphson"}),
                     "--method: 'newton-raphson' (expected auto, newton, dogleg or newton-krylov)");
  expect_usage_error(tapegrad({"solve", "u[0] + u[1] = 1; u[0] - u[1] = 0", "--dim", "u=2", "--from", "u=0",
                               "--method", "newton-krylov", "--jacobian", "sparse"}),
                     "--method newton-krylov forms no Jacobian");
  expect_usage_error(tapegrad({"solve", "u[0] + u[1] = 1; u[0] - u[1] = 0", "--dim", "u=2", "--from", "u=0",
                               "--method", "newton", "--preconditioner", "ilu"}),
                     "--preconditioner is for --method newton-krylov");
  // Given is given, at its default value too.
  expect_usage_error(tapegrad({"solve", "u[0] + u[1] = 1; u[0] - u[1] = 0", "--dim", "u=2", "--from", "u=0",
                               "--method", "dogleg", "--krylov-restart", "30"}),
                     "--krylov-restart is for --method newton-krylov (or auto), not dogleg");
  expect_usage_error(
      tapegrad({"solve", "u[0] + u[1] = 1; u[0] - u[1] = 0", "--dim", "u=2", "--from", "u=0", "--method",
                "newton-krylov", "--preconditioner-reuse", "3"}),
      "--preconditioner-reuse is for --preconditioner ilu (there is no preconditioner to reuse)");
  expect_usage_error(
      tapegrad({"solve", "u[0] + u[1] = 1; u[0] - u[1] = 0", "--dim", "u=2", "--from", "u=0", "--method",
                "newton-krylov", "--preconditioner", "ilu", "--preconditioner-reuse", "0"}),
      "--preconditioner-reuse");
  expect_usage_error(
      tapegrad({"solve", "sum(u) = 0; u[0] = 1", "--dim", "u=5000", "--from", "u=0", "--jacobian", "dense"}),
      "2 equations in 5000 unknowns");
  expect_usage_error(
      tapegrad({"solve", "u[0] = 1; u[1] = 2", "--dim", "u=2", "--from", "u=0", "--tol", "-1"}),
      "--tol -1: must be at least 0");
}

TEST_F(LargeSystemsCli, ADenseJacobianIsRefusedForManyUnknowns) {
  // u[k] = k for 5000 entries: 25·10⁶ numbers dense, past the 4096² bound.
  std::string text;
  for (int k = 0; k < 5000; ++k) text += "u[" + std::to_string(k) + "] = " + std::to_string(k) + "\n";
  expect_usage_error(tapegrad({"solve", at_path(file("diagonal.txt", text)), "--dim", "u=5000", "--from",
                               "u=0", "--jacobian", "dense"}),
                     "--jacobian dense: 5000 unknowns; a dense Jacobian is stored for at most 4096");
  // Sparse, the same system is solved in one step.
  const Outcome sparse = tapegrad({"solve", at_path(path("diagonal.txt")), "--dim", "u=5000", "--from", "u=0",
                                   "--jacobian", "sparse", "--json"});
  ASSERT_EQ(sparse.exit_code, 0) << sparse.err;
  const nlohmann::json j = json_of(sparse);
  for (int k = 0; k < 5000; k += 499) EXPECT_NEAR(j["x"]["u"][k].get<double>(), k, 1e-10) << k;
}

// 16 s under the sanitizers, most of it writing and splitting 16 MB of text: run by the
// release build only.
#if !defined(TAPEGRAD_TEST_UNDER_SANITIZER)
TEST_F(LargeSystemsCli, TheNumberOfEquationsIsBoundedBeforeAnyIsCompiled) {
  // 4·10⁶ + 1 equations of four bytes each: refused by their count while the text is split.
  std::string text;
  text.reserve(16'000'004);
  for (int k = 0; k <= 4'000'000; ++k) text += "x=0;";
  expect_usage_error(tapegrad({"solve", at_path(file("many.txt", text)), "--from", "x=0"}),
                     "solve: more than 4000000 equations; at most that many are solved together");
}
#endif
