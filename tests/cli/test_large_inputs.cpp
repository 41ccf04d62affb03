// Problems with many unknowns through the `tapegrad` program: a 10^5-term indexed sum
// and the same terms written out in a 4.7 MB file give one value and gradient; a point
// file gives the vectors' lengths; a file over 256 MiB is refused by its size, and the
// command-line argument keeps its 100 000-character bound.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../support/sanitizer_build.hpp"
#include "run_cli.hpp"

namespace fs = std::filesystem;
using namespace cli_run;

namespace {

class LargeInputs : public ScratchFolderTest {};

// "@path". Appended, not `"@" + path`, on which g++ 12 reports a false -Wrestrict.
std::string at_file(const std::string& path) {
  std::string argument = "@";
  argument += path;
  return argument;
}

// "x=[v0,v1,…]" with every value written to round-trip exactly.
std::string list_of(const std::string& name, const std::vector<double>& x) {
  std::string text = name + "=[";
  char buffer[32];
  for (std::size_t k = 0; k < x.size(); ++k) {
    std::snprintf(buffer, sizeof buffer, "%.17g", x[k]);
    if (k > 0) text += ',';
    text += buffer;
  }
  return text + "]\n";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_F(LargeInputs, AHundredThousandTermSumEqualsItsTermsWrittenOutInAFile) {
  // A tenth of that under the sanitizers (17 s there at full size), whose build runs this
  // file too; the release build runs it at full size.
  constexpr std::size_t n = built_under_sanitizer ? 10000 : 100000;
  std::vector<double> x(n);
  for (std::size_t k = 0; k < n; ++k) x[k] = 0.5 + 0.3 * static_cast<double>((7 * k) % 11) / 11;
  const std::string point = file("point.txt", list_of("x", x));
  // The terms written out, each in parentheses: added in the order the sum adds them.
  std::string written;
  written.reserve(48 * n);
  for (std::size_t i = 0; i + 1 < n; ++i) {
    const std::string a = std::to_string(i), b = std::to_string(i + 1);
    written += (i > 0 ? " + (100*(x[" : "(100*(x[") + b + "]-x[" + a + "]^2)^2 + (1-x[" + a + "])^2)";
  }
  const std::string expression = file("rosenbrock.txt", written);
  ASSERT_GT(fs::file_size(expression), 40 * n);

  auto start = std::chrono::steady_clock::now();
  const Outcome indexed = tapegrad(
      {"grad", "sum(i = 0..len(x)-2: 100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)", "--at", at_file(point), "--json"});
  RecordProperty("indexed_sum_seconds", std::to_string(seconds_since(start)));
  start = std::chrono::steady_clock::now();
  const Outcome file_form = tapegrad({"grad", at_file(expression), "--at", at_file(point), "--json"});
  RecordProperty("written_out_seconds", std::to_string(seconds_since(start)));
  ASSERT_EQ(indexed.exit_code, 0) << indexed.err;
  ASSERT_EQ(file_form.exit_code, 0) << file_form.err;
  const nlohmann::json a = json_of(indexed), b = json_of(file_form);
  EXPECT_EQ(a["value"], b["value"]);
  EXPECT_EQ(a["gradient"], b["gradient"]);

  // And both against the gradient's formula: ∂f/∂x_k = −400·x_k(x_{k+1} − x_k²) − 2(1 − x_k)
  // for k < n−1, plus 200(x_k − x_{k−1}²) for k > 0.
  const std::vector<double> gradient = a["gradient"]["x"].get<std::vector<double>>();
  ASSERT_EQ(gradient.size(), n);
  double f = 0;
  for (std::size_t k = 0; k < n; ++k) {
    double g = 0;
    if (k + 1 < n) {
      g += -400 * x[k] * (x[k + 1] - x[k] * x[k]) - 2 * (1 - x[k]);
      f += 100 * std::pow(x[k + 1] - x[k] * x[k], 2) + std::pow(1 - x[k], 2);
    }
    if (k > 0) g += 200 * (x[k] - x[k - 1] * x[k - 1]);
    ASSERT_NEAR(gradient[k], g, 1e-12 * (1 + std::abs(g))) << k;
  }
  EXPECT_NEAR(a["value"].get<double>(), f, 1e-12 * f);
}

TEST_F(LargeInputs, APointFileGivesTheVectorsLengths) {
  // f = Σ (i + 1)·x_i: 1 + 4 + 9 at (1, 2, 3), gradient (1, 2, 3); no --dim.
  const std::string f = "sum(i = 0..len(x)-1: (i+1)*x[i])";
  const auto gradient = [&](const std::string& content) {
    const Outcome r = tapegrad({"grad", f, "--at", at_file(file("point.txt", content)), "--json"});
    EXPECT_EQ(r.exit_code, 0) << content << ": " << r.err;
    return r.exit_code == 0 ? json_of(r) : nlohmann::json();
  };
  const nlohmann::json expected = {{"value", 14}, {"gradient", {{"x", {1, 2, 3}}}}};
  EXPECT_EQ(gradient("x = [1, 2, 3]\n"), expected);
  EXPECT_EQ(gradient("x = [1,\n2,\n3]\n"), expected);    // one entry a line
  EXPECT_EQ(gradient("x = [\n1\n2\n3\n]\n"), expected);  // without commas
  EXPECT_EQ(gradient("x[0] = 1\nx[1] = 2\nx[2] = 3\n"), expected);
  EXPECT_EQ(gradient("x[2] = 3\nx[0] = 1\nx[1] = 2\n"), expected);
  // Entries alone leave none out; --dim still rules where it is given.
  expect_usage_error(tapegrad({"grad", f, "--at", at_file(file("gap.txt", "x[0]=1\nx[2]=3\n"))}),
                     "no value for x[1]");
  expect_usage_error(
      tapegrad({"grad", f, "--dim", "x=4", "--at", at_file(file("short.txt", "x[0]=1\nx[1]=2\nx[2]=3\n"))}),
      "no value for x[3]");
  expect_usage_error(tapegrad({"grad", f, "--at", at_file(file("empty.txt", "x = [1,,2]\n"))}),
                     "an empty entry in the list for x");
  // minimize takes its start the same way: Σ (x_i − i)² from a file of 5 entries.
  const Outcome m =
      tapegrad({"minimize", "sum(i = 0..len(x)-1: (x[i] - i)^2)", "--from",
                at_file(file("start.txt", "x[0]=1\nx[1]=1\nx[2]=1\nx[3]=1\nx[4]=1\n")), "--json"});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  const std::vector<double> minimum = json_of(m)["x"]["x"].get<std::vector<double>>();
  ASSERT_EQ(minimum.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_NEAR(minimum[i], static_cast<double>(i), 1e-6);
}

TEST_F(LargeInputs, AFileOverTheLimitIsRefusedByItsSize) {
  // Sparse: its size is set, not written.
  const std::string big = file("big.txt", "x");
  fs::resize_file(big, (std::uintmax_t{256} << 20) + 1);
  const std::string size = "has 268435457 bytes, more than the 256 MiB (268435456 bytes)";
  const Outcome expression = tapegrad({"grad", at_file(big), "--at", "x=1"});
  expect_usage_error(expression, "the expression file '" + big + "' " + size);
  expect_usage_error(tapegrad({"grad", "x^2", "--at", at_file(big)}),
                     "--at: the point file '" + big + "' " + size);
  expect_usage_error(tapegrad({"solve", at_file(big), "--from", "x=1"}), size);
  expect_usage_error(tapegrad({"minimize", "--residuals", at_file(big), "--from", "x=1"}), size);
  expect_usage_error(tapegrad({"minimize", "x^2", "--from", at_file(big)}), size);
}

TEST_F(LargeInputs, TheCommandLineArgumentKeepsItsLimit) {
  // x + x + … + x: 50 001 terms in 100 001 characters.
  std::string sum = "x";
  for (int k = 0; k < 50000; ++k) sum += "+x";
  ASSERT_EQ(sum.size(), 100001u);
  expect_usage_error(tapegrad({"grad", sum, "--at", "x=1"}), "longer than 100000 characters");
  // From a file or standard input it is read: f = 50001·x.
  const std::string path = file("sum.txt", sum);
  for (const Outcome& r : {tapegrad({"grad", at_file(path), "--at", "x=1", "--json"}),
                           tapegrad({"grad", "-", "--at", "x=1", "--json"}, path)}) {
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json_of(r), (nlohmann::json{{"value", 50001}, {"gradient", {{"x", 50001}}}}));
  }
  // At 100 000 characters it is an argument still.
  sum.erase(0, 2);
  sum += ' ';
  ASSERT_EQ(sum.size(), 100000u);
  const Outcome shorter = tapegrad({"grad", sum, "--at", "x=1", "--json"});
  ASSERT_EQ(shorter.exit_code, 0) << shorter.err;
  EXPECT_EQ(json_of(shorter)["value"], 50000);
}
