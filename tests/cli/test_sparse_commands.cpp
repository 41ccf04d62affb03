// The sparse derivatives as a user runs them: hessian --sparse and jacobian, their JSON,
// and the Matrix Market files they write, read back here by a small reader of the format
// (https://math.nist.gov/MatrixMarket/formats.html). Expected values are derived by hand
// in the comments.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "run_cli.hpp"

using namespace cli_run;

namespace {

// A coordinate Matrix Market file: its header words, its size and its entries by
// (row, column), 1-based; a symmetric file's upper entries filled from the lower.
struct MatrixMarket {
  std::string object, format, field, symmetry;
  long rows = 0, columns = 0, entries = 0;
  std::map<std::pair<long, long>, double> values;
};

MatrixMarket read_matrix_market(const fs::path& path) {
  std::istringstream in(slurp(path));
  MatrixMarket m;
  std::string banner;
  in >> banner >> m.object >> m.format >> m.field >> m.symmetry;
  EXPECT_EQ(banner, "%%MatrixMarket");
  std::string line;
  std::getline(in, line);
  while (in.peek() == '%') std::getline(in, line);
  in >> m.rows >> m.columns >> m.entries;
  for (long k = 0; k < m.entries; ++k) {
    long i = 0, j = 0;
    double v = 0;
    in >> i >> j >> v;
    EXPECT_TRUE(in) << "entry " << k << " of " << path;
    EXPECT_TRUE(i >= 1 && i <= m.rows && j >= 1 && j <= m.columns);
    if (m.symmetry == "symmetric") {
      EXPECT_GE(i, j) << "a symmetric file holds the lower triangle";
    }
    m.values[{i, j}] = v;
    if (m.symmetry == "symmetric") m.values[{j, i}] = v;
  }
  std::string rest;
  in >> rest;
  EXPECT_TRUE(rest.empty()) << "after the entries: " << rest;
  return m;
}

using SparseCommand = ScratchFolderTest;

}  // namespace

TEST_F(SparseCommand, HessianOfTheChainedRosenbrockFunctionIsWrittenAsMatrixMarket) {
  // f = Σᵢ 100(x[i+1] − x[i]²)² + (1 − x[i])² over i = 0 … n−2. Its Hessian at x = 0.5:
  // ∂²/∂x[i]² = 1200x[i]² − 400x[i+1] + 2 (+200 for i > 0 from the term before), so
  // 102 at i = 0, 302 inside, 200 at the last; ∂²/∂x[i]∂x[i+1] = −400x[i] = −200.
  const std::string h = path("H.mtx");
  const Outcome r = tapegrad({"hessian", "sum(i = 0..len(x)-2: 100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)", "--dim",
                              "x=1000", "--at", "x=0.5", "--sparse", "--out", h});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("nonzeros = 2998 (both triangles)\ncolors = 3\n"), std::string::npos) << r.out;
  const MatrixMarket m = read_matrix_market(h);
  EXPECT_EQ(m.object, "matrix");
  EXPECT_EQ(m.format, "coordinate");
  EXPECT_EQ(m.field, "real");
  EXPECT_EQ(m.symmetry, "symmetric");
  EXPECT_EQ(m.rows, 1000);
  EXPECT_EQ(m.columns, 1000);
  EXPECT_EQ(m.entries, 1999);  // the diagonal and the subdiagonal
  for (long i = 1; i <= 1000; ++i) {
    const double diagonal = i == 1 ? 102 : (i == 1000 ? 200 : 302);
    EXPECT_DOUBLE_EQ(m.values.at({i, i}), diagonal) << i;
    if (i < 1000) {
      EXPECT_DOUBLE_EQ(m.values.at({i + 1, i}), -200) << i;
    }
  }
  EXPECT_EQ(m.values.size(), 2998u);
}

TEST_F(SparseCommand, SparseAndDenseHessiansAgreeAndTheJsonHasTheCompressedForm) {
  // f = x*y + z^3 + sin(x*z): H = [[−z² sin(xz), 1, cos(xz) − xz sin(xz)], [1, 0, 0],
  // [·, 0, 6z − x² sin(xz)]] at (1, 2, 0.5).
  const std::string f = "x*y + z^3 + sin(x*z)";
  const Outcome sparse = tapegrad({"hessian", f, "--at", "x=1,y=2,z=0.5", "--sparse", "--json"});
  const Outcome dense = tapegrad({"hessian", f, "--at", "x=1,y=2,z=0.5", "--json"});
  ASSERT_EQ(sparse.exit_code, 0) << sparse.err;
  ASSERT_EQ(dense.exit_code, 0) << dense.err;
  const nlohmann::json s = json_of(sparse), d = json_of(dense);
  EXPECT_EQ(s["value"], d["value"]);
  EXPECT_EQ(s["gradient"], d["gradient"]);
  const nlohmann::json& h = s["hessian"];
  EXPECT_EQ(h["rows"], 3);
  EXPECT_EQ(h["columns"], 3);
  EXPECT_EQ(h["nonzeros"], 6);  // (x,x) (x,y) (x,z) (y,x) (z,x) (z,z): y,y and y,z are no interaction
  const std::vector<std::string> names{"x", "y", "z"};
  for (std::size_t k = 0; k < 6; ++k) {
    const std::string i = names[h["row"][k].get<std::size_t>()], j = names[h["column"][k].get<std::size_t>()];
    EXPECT_NEAR(h["values"][k].get<double>(), d["hessian"][i][j].get<double>(), 1e-12) << i << j;
  }
  const double xz = 0.5;
  EXPECT_NEAR(d["hessian"]["x"]["z"].get<double>(), std::cos(xz) - xz * std::sin(xz), 1e-15);
  EXPECT_GE(h["colors"].get<int>(), 2);
}

TEST_F(SparseCommand, JacobianDenseSparseAndMatrixMarket) {
  // F1 = x*y − 1, F2 = x + sin(y), F3 = z² at (1, 2, 3):
  // J = [[y, x, 0], [1, cos(y), 0], [0, 0, 2z]] = [[2, 1, 0], [1, cos 2, 0], [0, 0, 6]].
  const std::string list = "x*y - 1; x + sin(y); z^2";
  const Outcome dense = tapegrad({"jacobian", list, "--at", "x=1,y=2,z=3", "--json"});
  ASSERT_EQ(dense.exit_code, 0) << dense.err;
  const nlohmann::json d = json_of(dense);
  EXPECT_EQ(d["coordinates"], nlohmann::json({"x", "y", "z"}));
  EXPECT_NEAR(d["values"][1].get<double>(), 1 + std::sin(2.0), 1e-15);
  const double expected[3][3] = {{2, 1, 0}, {1, std::cos(2.0), 0}, {0, 0, 6}};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(d["jacobian"][i][j].get<double>(), expected[i][j], 1e-15);

  const std::string out = path("J.mtx");
  const Outcome sparse = tapegrad({"jacobian", list, "--at", "x=1,y=2,z=3", "--sparse", "--out", out});
  ASSERT_EQ(sparse.exit_code, 0) << sparse.err;
  EXPECT_NE(sparse.out.find("nonzeros = 5\ncolors = 2\n"), std::string::npos) << sparse.out;
  EXPECT_NE(sparse.out.find("dF3/dz = 6\n"), std::string::npos) << sparse.out;
  const MatrixMarket m = read_matrix_market(out);
  EXPECT_EQ(m.symmetry, "general");
  EXPECT_EQ(m.entries, 5);
  EXPECT_DOUBLE_EQ(m.values.at({2, 2}), std::cos(2.0));
  EXPECT_DOUBLE_EQ(m.values.at({3, 3}), 6);
  EXPECT_FALSE(m.values.contains({1, 3}));
}

TEST_F(SparseCommand, ABandedSystemFromAFileHasItsKnownColors) {
  // Broyden's tridiagonal residuals F_i = (3 − 2x_i)x_i − x_{i−1} − 2x_{i+1} + 1, one per
  // line of a file: 3 colors whatever n, and ∂F_i/∂x_i = 3 − 4x_i = 1 at x = 0.5.
  const std::size_t n = 400;
  std::string text;
  for (std::size_t i = 0; i < n; ++i) {
    text += "(3 - 2*x[" + std::to_string(i) + "])*x[" + std::to_string(i) + "] + 1";
    if (i > 0) text += " - x[" + std::to_string(i - 1) + "]";
    if (i + 1 < n) text += " - 2*x[" + std::to_string(i + 1) + "]";
    text += ";\n";
  }
  const std::string broyden = file("broyden.txt", text);
  const Outcome r = tapegrad(
      {"jacobian", "@" + broyden, "--dim", "x=" + std::to_string(n), "--at", "x=0.5", "--sparse", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = json_of(r)["jacobian"];
  EXPECT_EQ(j["colors"], 3);
  EXPECT_EQ(j["nonzeros"], 3 * n - 2);
  for (std::size_t k = 0; k < j["row"].size(); ++k) {
    const auto i = j["row"][k].get<long>(), c = j["column"][k].get<long>();
    const double v = j["values"][k].get<double>();
    EXPECT_DOUBLE_EQ(v, c == i ? 1.0 : (c == i - 1 ? -1.0 : -2.0)) << i << "," << c;
  }
}

TEST_F(SparseCommand, BadInputIsRefusedClearly) {
  // A derivative that is not finite names the entry; a dense Jacobian too large is refused
  // before it is made; an empty list; an --out folder that does not exist.
  expect_usage_error(tapegrad({"hessian", "x^2*y + sqrt(y)", "--at", "x=1,y=0", "--sparse"}),
                     "df/dy is infinite");
  std::string seventeen_rows = "x[0]";
  for (int i = 1; i < 17; ++i) seventeen_rows += "; x[" + std::to_string(i) + "]";
  expect_usage_error(tapegrad({"jacobian", seventeen_rows, "--dim", "x=1000000", "--at", "x=1"}),
                     "--sparse prints only its nonzeros");
  expect_usage_error(tapegrad({"jacobian", " ; ", "--at", "x=1"}), "no expressions");
  expect_usage_error(tapegrad({"jacobian", "x", "--at", "x=1", "--out", path("missing/J.mtx")}), "--out");
  expect_usage_error(tapegrad({"jacobian", "x*y; log(x)", "--at", "x=-1,y=2"}), "log");
}
