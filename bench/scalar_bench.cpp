// The scalar-tape benchmarks: for every problem, t_f (plain double code), t_grad
// (tapegrad: record on a cleared tape and sweep, every iteration, as a user calls it),
// t_replay (recorded once, replayed and swept every iteration),
// t_hand (a hand-written adjoint) and the peers found at configure time, all in this
// one binary. `--report=PATH` writes the table of medians and ratios (report.cpp).
#include <benchmark/benchmark.h>

#include <string>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "harness.hpp"
#include "op_counter.hpp"
#include "problem_set.hpp"
#include "report.hpp"

namespace tg = tapegrad;

namespace bench {

namespace {

template <class Problem>
std::vector<double> tapegrad_gradient(const Problem& problem, const std::vector<double>& x0) {
  tg::Tape tape;
  std::vector<tg::Var> vars(x0.begin(), x0.end());
  tg::Var f = problem(vars.data());
  return tg::gradient(f, vars);
}

template <class Problem>
double count_operations(const Problem& problem, const std::vector<double>& x0) {
  std::vector<Counted> xs(x0.begin(), x0.end());
  counted_operations = 0;
  benchmark::DoNotOptimize(problem(xs.data()).v);
  return static_cast<double>(counted_operations);
}

struct RegisterOurs {
  template <class Problem>
  void operator()(const Problem& problem) const {
    const std::string name = label(problem);
    const std::vector<double> x0 = problem.inputs();
    set_reference_gradient(name, tapegrad_gradient(problem, x0));

    register_variant(name, "f", [problem, x0](benchmark::State& state) {
      for (auto _ : state) {
        benchmark::DoNotOptimize(x0.data());
        benchmark::ClobberMemory();
        double f = problem(x0.data());
        benchmark::DoNotOptimize(f);
      }
    });

    register_variant(name, "tapegrad", [problem, x0, name](benchmark::State& state) {
      tg::Tape tape;
      std::vector<tg::Var> vars(x0.size());
      std::vector<double> g(x0.size());
      for (auto _ : state) {
        benchmark::DoNotOptimize(x0.data());
        benchmark::ClobberMemory();
        tape.clear();
        for (std::size_t i = 0; i < x0.size(); ++i) vars[i] = x0[i];
        tg::Var f = problem(vars.data());
        tg::gradient(f, std::span<const tg::Var>(vars), std::span<double>(g));
        benchmark::DoNotOptimize(g.data());
        benchmark::ClobberMemory();
      }
      if (!gradients_agree(g, reference_gradient(name)))
        state.SkipWithError("gradient differs from reference");
      state.counters["tape_bytes"] = static_cast<double>(tape.recording_bytes());
      state.counters["operations"] = count_operations(problem, x0);
    });

    // Recorded once, then replayed at the same input every iteration: what an optimizer
    // loop over a fixed objective pays per gradient. `replay_sums` is the same with
    // RecordOptions::reassociate_sums (accumulation loops replayed as sums).
    for (const bool sums : {false, true}) {
      register_variant(name, sums ? "replay_sums" : "replay",
                       [problem, x0, name, sums](benchmark::State& state) {
                         tg::RecordedFunction fn(
                             [problem](std::span<const tg::Var> x) { return tg::Var(problem(x.data())); },
                             std::span<const double>(x0), tg::RecordOptions{.reassociate_sums = sums});
                         std::vector<double> g(x0.size());
                         for (auto _ : state) {
                           benchmark::DoNotOptimize(x0.data());
                           benchmark::ClobberMemory();
                           double f = fn.gradient(std::span<const double>(x0), std::span<double>(g));
                           benchmark::DoNotOptimize(f);
                           benchmark::DoNotOptimize(g.data());
                           benchmark::ClobberMemory();
                         }
                         if (!gradients_agree(g, reference_gradient(name)))
                           state.SkipWithError("replayed gradient differs from the recorded one");
                       });
    }

    if constexpr (requires(const double* x, double* g) { problem.hand(x, g); }) {
      register_variant(name, "hand", [problem, x0, name](benchmark::State& state) {
        std::vector<double> g(x0.size());
        for (auto _ : state) {
          benchmark::DoNotOptimize(x0.data());
          benchmark::ClobberMemory();
          double f = problem.hand(x0.data(), g.data());
          benchmark::DoNotOptimize(f);
          benchmark::DoNotOptimize(g.data());
          benchmark::ClobberMemory();
        }
        if (!gradients_agree(g, reference_gradient(name)))
          state.SkipWithError("hand gradient differs from tapegrad");
      });
    }
  }
};

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  return bench::run_benchmarks(
      argc, argv,
      [] {
        bench::for_each_problem(bench::RegisterOurs{});
#ifdef TAPEGRAD_BENCH_ADOLC
        bench::register_adolc_variants();
#endif
#ifdef TAPEGRAD_BENCH_SACADO
        bench::register_sacado_variants();
#endif
      },
      bench::write_scalar_report);
}
