// The optimizer step on 10⁶ float parameters: each optimizer's step() against a memcpy
// that touches as many bytes (parameters, gradient and state, each read or written
// counted once), in the same run. `--report=PATH` writes the optimizer section of PATH.
#include <benchmark/benchmark.h>

#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "harness.hpp"
#include "report.hpp"

namespace tg = tapegrad;
namespace opt = tapegrad::optim;

namespace bench {
namespace {

constexpr Eigen::Index parameter_count = 1'000'000;

struct Case {
  std::string name;
  std::function<std::unique_ptr<opt::Optimizer>(tg::FloatParameter&)> make;
};

template <class Optimizer, class Options>
Case make_case(std::string name, Options options) {
  return {std::move(name), [options](tg::FloatParameter& x) {
            return std::make_unique<Optimizer>(std::vector<opt::ParameterRef>{x}, options);
          }};
}

std::vector<Case> cases() {
  return {
      make_case<opt::Sgd>("sgd", opt::SgdOptions{.lr = 1e-3}),
      make_case<opt::Sgd>("sgd_momentum", opt::SgdOptions{.lr = 1e-3, .momentum = 0.9}),
      make_case<opt::Sgd>("sgd_nesterov", opt::SgdOptions{.lr = 1e-3, .momentum = 0.9, .nesterov = true}),
      make_case<opt::Adam>("adam", opt::AdamOptions{}),
      make_case<opt::Adam>("adam_amsgrad", opt::AdamOptions{.amsgrad = true}),
      make_case<opt::AdamW>("adamw", opt::AdamWOptions{}),
      make_case<opt::RmsProp>("rmsprop", opt::RmsPropOptions{}),
      make_case<opt::RmsProp>("rmsprop_centered_momentum",
                              opt::RmsPropOptions{.momentum = 0.9, .centered = true}),
      make_case<opt::Adagrad>("adagrad", opt::AdagradOptions{}),
  };
}

// Bytes one step touches: the parameter read and written, the gradient read, and every
// state buffer the optimizer holds (counted from its state) read and written.
double bytes_per_step(const opt::Optimizer& optimizer) {
  long buffers = 0;
  for (const auto& [key, values] : optimizer.state_dict().entries)
    if (static_cast<Eigen::Index>(values.size()) == parameter_count) ++buffers;
  return 4.0 * static_cast<double>(parameter_count) * static_cast<double>(3 + 2 * buffers);
}

tg::FloatParameter random_parameter() {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> unit(-1, 1);
  tg::FloatParameter x(Eigen::VectorXf::NullaryExpr(parameter_count, [&] { return unit(rng); }));
  x.grad() = Eigen::VectorXf::NullaryExpr(parameter_count, [&] { return 1e-3f * unit(rng); });
  return x;
}

void register_cases() {
  for (const Case& c : cases()) {
    double bytes;
    {
      tg::FloatParameter x = random_parameter();
      std::unique_ptr<opt::Optimizer> optimizer = c.make(x);
      optimizer->step();  // creates the state buffers
      bytes = bytes_per_step(*optimizer);
    }
    register_variant("optim/" + c.name, "step", [c, bytes](benchmark::State& state) {
      tg::FloatParameter x = random_parameter();
      std::unique_ptr<opt::Optimizer> optimizer = c.make(x);
      optimizer->step();  // creates the state buffers
      for (auto _ : state) {
        optimizer->step();
        benchmark::DoNotOptimize(x.value().data());
        benchmark::ClobberMemory();
      }
      state.counters["bytes"] = bytes;
    });
    register_variant("optim/" + c.name, "memcpy", [bytes](benchmark::State& state) {
      // Half the bytes read, half written: the same traffic as the step.
      const auto half = static_cast<std::size_t>(bytes / 2);
      std::vector<char> from(half, 1), to(half);
      for (auto _ : state) {
        std::memcpy(to.data(), from.data(), half);
        benchmark::DoNotOptimize(to.data());
        benchmark::ClobberMemory();
      }
    });
  }
}

void write_optim_report(const std::string& path, const Medians& medians, const std::string& command) {
  std::ostringstream out;
  out << "## Optimizer step\n\n" << run_description(command, medians);
  out << "- 10⁶ float parameters, one thread. Bytes per step count the parameter (read and\n"
         "  written), the gradient (read) and each state buffer (read and written). `memcpy`\n"
         "  copies half that many bytes, so it moves the same traffic; the share is the\n"
         "  step's GB/s over memcpy's in this run (target: at least 0.5).\n\n";
  out << "| optimizer | MB touched | step (µs) | GB/s | memcpy GB/s | share | met |\n"
         "|---|---:|---:|---:|---:|---:|---|\n";
  for (const Case& c : cases()) {
    const std::string key = "optim/" + c.name;
    const Median* step = find(medians, key, "step");
    const Median* copy = find(medians, key, "memcpy");
    const double bytes = step ? step->counters.at("bytes") : -1;
    const double gbs = step ? bytes / step->ns : -1, copy_gbs = step && copy ? bytes / copy->ns : -1;
    const double share = gbs > 0 && copy_gbs > 0 ? gbs / copy_gbs : -1;
    out << "| " << c.name << " | " << (step ? format("%.0f", bytes / 1e6) : "–") << " | "
        << (step ? format("%.0f", step->ns / 1e3) : "–") << " | " << (gbs > 0 ? format("%.1f", gbs) : "–")
        << " | " << (copy_gbs > 0 ? format("%.1f", copy_gbs) : "–") << " | "
        << (share > 0 ? format("%.2f", share) : "–") << " | "
        << (share < 0 ? "–" : (share >= 0.5 ? "yes" : "**no**")) << " |\n";
  }
  write_section(path, "optim_bench", out.str());
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  return bench::run_benchmarks(argc, argv, bench::register_cases, bench::write_optim_report);
}
