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
  int state_buffers;  // read and written every step
  std::function<std::unique_ptr<opt::Optimizer>(tg::FloatParameter&)> make;
  // Bytes one step touches: the parameter read and written, the gradient read, and
  // every state buffer read and written.
  double bytes() const { return 4.0 * parameter_count * (3 + 2 * state_buffers); }
};

std::vector<Case> cases() {
  using P = tg::FloatParameter;
  return {
      {"sgd", 0,
       [](P& x) {
         return std::make_unique<opt::Sgd>(std::vector<opt::ParameterRef>{x}, opt::SgdOptions{.lr = 1e-3});
       }},
      {"sgd_momentum", 1,
       [](P& x) {
         return std::make_unique<opt::Sgd>(std::vector<opt::ParameterRef>{x},
                                           opt::SgdOptions{.lr = 1e-3, .momentum = 0.9});
       }},
      {"sgd_nesterov", 1,
       [](P& x) {
         return std::make_unique<opt::Sgd>(std::vector<opt::ParameterRef>{x},
                                           opt::SgdOptions{.lr = 1e-3, .momentum = 0.9, .nesterov = true});
       }},
      {"adam", 2,
       [](P& x) {
         return std::make_unique<opt::Adam>(std::vector<opt::ParameterRef>{x}, opt::AdamOptions{});
       }},
      {"adam_amsgrad", 3,
       [](P& x) {
         return std::make_unique<opt::Adam>(std::vector<opt::ParameterRef>{x},
                                            opt::AdamOptions{.amsgrad = true});
       }},
      {"adamw", 2,
       [](P& x) {
         return std::make_unique<opt::AdamW>(std::vector<opt::ParameterRef>{x}, opt::AdamWOptions{});
       }},
      {"rmsprop", 1,
       [](P& x) {
         return std::make_unique<opt::RmsProp>(std::vector<opt::ParameterRef>{x}, opt::RmsPropOptions{});
       }},
      {"rmsprop_centered_momentum", 3,
       [](P& x) {
         return std::make_unique<opt::RmsProp>(std::vector<opt::ParameterRef>{x},
                                               opt::RmsPropOptions{.momentum = 0.9, .centered = true});
       }},
      {"adagrad", 1,
       [](P& x) {
         return std::make_unique<opt::Adagrad>(std::vector<opt::ParameterRef>{x}, opt::AdagradOptions{});
       }},
  };
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
    register_variant("optim/" + c.name, "step", [c](benchmark::State& state) {
      tg::FloatParameter x = random_parameter();
      std::unique_ptr<opt::Optimizer> optimizer = c.make(x);
      optimizer->step();  // creates the state buffers
      for (auto _ : state) {
        optimizer->step();
        benchmark::DoNotOptimize(x.value().data());
        benchmark::ClobberMemory();
      }
      state.counters["bytes"] = c.bytes();
    });
    register_variant("optim/" + c.name, "memcpy", [c](benchmark::State& state) {
      // Half the bytes read, half written: the same traffic as the step.
      const auto half = static_cast<std::size_t>(c.bytes() / 2);
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
  out << "## Optimizer step\n\n" << machine_description(command);
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
    const double gbs = step ? c.bytes() / step->cpu_ns : -1, copy_gbs = copy ? c.bytes() / copy->cpu_ns : -1;
    const double share = gbs > 0 && copy_gbs > 0 ? gbs / copy_gbs : -1;
    out << "| " << c.name << " | " << format("%.0f", c.bytes() / 1e6) << " | "
        << (step ? format("%.0f", step->cpu_ns / 1e3) : "–") << " | " << (gbs > 0 ? format("%.1f", gbs) : "–")
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
