// ADOL-C measured on the same problems: `adolc_record` traces the function and computes
// the gradient every iteration (what tapegrad's t_grad does); `adolc_replay` traces
// once and only re-evaluates the tape, which is ADOL-C's best case.
#include <adolc/adolc.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "harness.hpp"
#include "problem_set.hpp"

namespace bench {

namespace {

// ADOL-C reads its buffer sizes from ./.adolcrc and spills tapes larger than them to
// files in the working directory. Work in a scratch directory with buffers large
// enough for the biggest problem, so the tapes stay in memory and no file lands in the
// source tree.
void prepare_adolc_directory() {
  const auto dir = std::filesystem::temp_directory_path() / ("tapegrad-adolc-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream rc(dir / ".adolcrc");
  for (const char* buffer : {"OBUFSIZE", "LBUFSIZE", "VBUFSIZE", "TBUFSIZE"})
    rc << '"' << buffer << "\" = \"8388608\"\n";
  rc.close();
  std::filesystem::current_path(dir);
}

// Two tags for all problems: ADOL-C keeps buffers per tag and allows only a few. Every
// benchmark run records its own tape before it is timed, so sharing is safe.
constexpr short record_tag = 1;
constexpr short replay_tag = 2;

template <class Problem>
std::vector<double> record(const Problem& problem, const std::vector<double>& x0, short tag,
                           std::vector<adouble>& ax) {
  trace_on(tag);
  for (std::size_t i = 0; i < x0.size(); ++i) ax[i] <<= x0[i];
  adouble f = problem(ax.data());
  double value;
  f >>= value;
  trace_off();
  std::vector<double> g(x0.size());
  gradient(tag, static_cast<int>(x0.size()), x0.data(), g.data());
  return g;
}

struct RegisterAdolc {
  template <class Problem>
  void operator()(const Problem& problem) const {
    const std::string name = label(problem);
    const std::vector<double> x0 = problem.inputs();

    register_variant(name, "adolc_record", [problem, x0, name](benchmark::State& state) {
      std::vector<adouble> ax(x0.size());
      std::vector<double> g;
      for (auto _ : state) {
        benchmark::DoNotOptimize(x0.data());
        g = record(problem, x0, record_tag, ax);
        benchmark::DoNotOptimize(g.data());
      }
      if (!gradients_agree(g, reference_gradient(name)))
        state.SkipWithError("ADOL-C gradient differs from tapegrad");
    });

    register_variant(name, "adolc_replay", [problem, x0, name](benchmark::State& state) {
      std::vector<adouble> ax(x0.size());
      std::vector<double> g = record(problem, x0, replay_tag, ax);
      for (auto _ : state) {
        benchmark::DoNotOptimize(x0.data());
        gradient(replay_tag, static_cast<int>(x0.size()), x0.data(), g.data());
        benchmark::DoNotOptimize(g.data());
      }
      if (!gradients_agree(g, reference_gradient(name)))
        state.SkipWithError("ADOL-C gradient differs from tapegrad");
    });
  }
};

}  // namespace

void register_adolc_variants() {
  prepare_adolc_directory();
  for_each_problem(RegisterAdolc{});
}

}  // namespace bench
