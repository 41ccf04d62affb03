/// \file
/// Your own function's gradient cost as Google Benchmark benchmarks, in your benchmark
/// binary beside the rest (link benchmark::benchmark; <tapegrad/tapegrad.hpp> does not
/// include this header):
///
///   tg::register_cost_benchmarks("my_f", f, x, {.plain = f});
///   // my_f/value      f on doubles (with .plain)
///   // my_f/gradient   recorded afresh and swept, counters tape_nodes and tape_bytes
///   // my_f/replay     recorded once (RecordedFunction), replayed and swept
///
/// The columns are measure_cost's (measure_cost.hpp): gradient / value and replay / value
/// are the ratios of these benchmarks' times in one run. A benchmark that cannot run
/// (f(x) not finite, f not replayable, f independent of x) reports why as its error.
#pragma once

#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "measure_cost.hpp"

namespace tapegrad {

/// Registers name/value (with options.plain), name/gradient and name/replay (unless
/// options.replay is false) and returns them, for setting MinTime and the like.
/// options.samples and batch_seconds are not used: Google Benchmark decides how long.
/// Throws Error if x is empty.
template <class F>
std::vector<benchmark::internal::Benchmark*> register_cost_benchmarks(const std::string& name, F f,
                                                                      std::vector<double> x,
                                                                      const CostOptions& options = {}) {
  if (x.empty()) throw Error("register_cost_benchmarks: x is empty; f needs at least one input");
  struct Setup {
    F f;
    std::vector<double> x;
    CostOptions options;
  };
  auto setup = std::make_shared<const Setup>(Setup{std::move(f), std::move(x), options});
  std::vector<benchmark::internal::Benchmark*> registered;
  if (setup->options.plain)
    registered.push_back(
        benchmark::RegisterBenchmark((name + "/value").c_str(), [setup](benchmark::State& state) {
          for (auto _ : state) benchmark::DoNotOptimize(setup->options.plain(setup->x));
        }));
  registered.push_back(
      benchmark::RegisterBenchmark((name + "/gradient").c_str(), [setup](benchmark::State& state) {
        F function = setup->f;
        detail::FreshGradient<F> record_and_sweep(function, setup->x);
        if (!std::isfinite(record_and_sweep().value())) {
          state.SkipWithError("f(x) is not finite");
          return;
        }
        state.counters["tape_nodes"] = static_cast<double>(record_and_sweep.tape().num_nodes());
        state.counters["tape_bytes"] = static_cast<double>(record_and_sweep.tape().bytes_in_use());
        for (auto _ : state) benchmark::DoNotOptimize(record_and_sweep().value());
      }));
  if (setup->options.replay)
    registered.push_back(
        benchmark::RegisterBenchmark((name + "/replay").c_str(), [setup](benchmark::State& state) {
          std::unique_ptr<RecordedFunction> replayed;
          try {
            replayed = std::make_unique<RecordedFunction>(setup->f, std::span<const double>(setup->x));
          } catch (const Error& e) {  // not replayable, or f's value does not depend on x
            state.SkipWithError(e.what());
            return;
          }
          std::vector<double> g(setup->x.size());
          for (auto _ : state)
            benchmark::DoNotOptimize(
                replayed->gradient(std::span<const double>(setup->x), std::span<double>(g)));
        }));
  return registered;
}

}  // namespace tapegrad
