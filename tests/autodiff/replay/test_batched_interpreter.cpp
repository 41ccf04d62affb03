// The interpreter run across a run of statements of one program (replay/detail/batched_interpreter.hpp):
// a loaded recording (no compiled kernels) replays long batched_loops bit for bit as the recording
// made in this process (compiled kernels); Hessian-vector products (Dual values, always
// interpreted) equal tg::hvp bit for bit; and a kink that changes in the middle of a run is
// reported as a replay one statement at a time reports it: the first in recording order.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <tapegrad/autodiff/autodiff.hpp>
#include <vector>

namespace {

namespace tg = tapegrad;
namespace fs = std::filesystem;

struct BatchedScratchFile {
  fs::path path = fs::temp_directory_path() /
                  ("tapegrad-batched-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                   "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".tgrf");
  ~BatchedScratchFile() { fs::remove(path); }
};

// Runs of one program far longer than a batch (32 statements): a chain (each term reads the
// total before it: the dependent part), terms that read nothing of their run (independent),
// a term with a kink at 0.5 (abs), a ternary rule, constants per statement, and a run cut in
// two by a comparison.
auto batched_loops = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  const std::size_t n = x.size();
  V s = 0.0;
  for (std::size_t i = 0; i + 1 < n; ++i) s += x[i] * tg::exp(0.1 * x[i + 1]) - tg::abs(x[i] - 0.5);
  std::vector<V> t(n);
  for (std::size_t i = 0; i < n; ++i) t[i] = tg::sin(x[i]) * (1.0 + 0.01 * static_cast<double>(i));
  V u = 1.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (i == n / 2 && x[0] > -10.0) u = u * 1.0;  // a comparison inside the run
    u = u * 0.999 + tg::clamp(t[i], -0.4, 0.6) * t[n - 1 - i];
  }
  return s + u;
};

std::vector<double> batched_point(std::size_t n, double phase) {
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = 0.55 + 0.4 * std::sin(phase + 0.7 * static_cast<double>(i));
  return x;
}

constexpr std::size_t batched_n = 150;

TEST(BatchedInterpreter, ALoadedRecordingReplaysLongRunsAsTheCompiledKernelsDo) {
  BatchedScratchFile file;
  const std::vector<double> x0 = batched_point(batched_n, 0.0);
  tg::RecordedFunction fn(batched_loops, std::span<const double>(x0));
  tg::save_recorded_function(fn, file.path);
  tg::RecordedFunction loaded = tg::load_recorded_function(file.path, batched_loops);
  for (const double phase : {0.0, 0.05, 1.3}) {
    const std::vector<double> x = batched_point(batched_n, phase);
    EXPECT_EQ(loaded.gradient(x), fn.gradient(x)) << phase;
    EXPECT_EQ(loaded.value(x), fn.value(x)) << phase;
    EXPECT_EQ(loaded.gradient(x), tg::record_function(batched_loops, x).gradient(x)) << phase;
  }
}

TEST(BatchedInterpreter, HessianVectorProductsOnLongRunsEqualTgHvp) {
  const std::vector<double> x0 = batched_point(batched_n, 0.0);
  tg::RecordedFunction fn(batched_loops, std::span<const double>(x0));
  std::vector<double> v(batched_n);
  for (std::size_t i = 0; i < batched_n; ++i) v[i] = std::cos(1.7 * static_cast<double>(i));
  for (const double phase : {0.0, 0.4}) {
    const std::vector<double> x = batched_point(batched_n, phase);
    EXPECT_EQ(fn.hvp(x, v), tg::hvp(batched_loops, x, v)) << phase;
  }
}

TEST(BatchedInterpreter, AKinkChangedInsideARunIsReportedFirstInRecordingOrder) {
  BatchedScratchFile file;
  const std::vector<double> x0 = batched_point(batched_n, 0.0);
  tg::RecordedFunction fn(batched_loops, std::span<const double>(x0),
                          {.on_branch_change = tg::OnBranchChange::Throw});
  tg::save_recorded_function(fn, file.path);
  tg::RecordedFunction loaded = tg::load_recorded_function(file.path);
  // x[40] and x[100] cross 0.5, the kink of abs(x[i] - 0.5), and nothing else moves.
  std::vector<double> x = x0;
  x[40] = x0[40] > 0.5 ? 0.4 : 0.6;
  x[100] = x0[100] > 0.5 ? 0.4 : 0.6;
  std::string compiled, interpreted;
  try {
    fn.gradient(x);
  } catch (const tg::BranchChanged& e) {
    compiled = e.what();
  }
  try {
    loaded.gradient(x);
  } catch (const tg::BranchChanged& e) {
    interpreted = e.what();
  }
  EXPECT_NE(compiled.find("abs"), std::string::npos) << compiled;
  EXPECT_EQ(interpreted, compiled);
}

}  // namespace
