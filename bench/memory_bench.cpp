// Memory against time: a long explicit time loop (the 1-D nonlinear heat equation on 100
// points) differentiated on the plain tape and through checkpointed_loop with 10, 40 and
// 200 states kept, and a loop of 200-operation regions recorded plainly and
// preaccumulated. Google Benchmark times them in one run (ratios to the plain tape) and
// reads each tape's peak bytes; `--report=PATH` writes the section. The resident memory
// of a whole process needs a process of its own per variant: `memory_bench --peak-rss
// VARIANT STEPS` runs one gradient and prints its time, peak resident memory and tape
// bytes as JSON (bench/memory_peaks.py runs them and writes their table).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "harness.hpp"
#include "report.hpp"

namespace tg = tapegrad;
using tg::Var;

namespace bench {
namespace {

// ------------------------------------------------------------------ the heat equation

constexpr std::size_t points = 100;
constexpr double diffusion_number = 0.2;  // Δt/Δx²; stable while k(u) ≤ 2.5
constexpr std::size_t timed_steps = 10000;
const std::vector<std::size_t> snapshot_counts = {10, 40, 200};

// u_t = (k(u) u_x)_x with k(u) = 1 + u², u = 0 at both ends, one explicit Euler step:
// the flux between neighbours is k at their mean times their difference.
std::vector<Var> heat_step(std::span<const Var> u, std::size_t) {
  const std::size_t n = u.size();
  std::vector<Var> next(n);
  next[0] = u[0];
  next[n - 1] = u[n - 1];
  for (std::size_t i = 1; i + 1 < n; ++i)
    next[i] = u[i] + diffusion_number * ((1.0 + tg::square(0.5 * (u[i] + u[i + 1]))) * (u[i + 1] - u[i]) -
                                         (1.0 + tg::square(0.5 * (u[i - 1] + u[i]))) * (u[i] - u[i - 1]));
  return next;
}

std::vector<double> heat_start() {
  std::vector<double> u(points);
  for (std::size_t i = 0; i < points; ++i)
    u[i] = std::sin(3.141592653589793 * static_cast<double>(i) / static_cast<double>(points - 1));
  return u;
}

struct HeatRun {
  std::vector<double> gradient;
  std::size_t tape_peak_bytes = 0;
  std::size_t evaluations = 0;
};

// ∇ of Σ u_i² at the final state with respect to the initial state. snapshots = 0: the
// plain tape records every step.
HeatRun heat_gradient(tg::Tape& tape, std::size_t steps, std::size_t snapshots) {
  HeatRun run;
  tape.clear();
  tape.reset_peak();
  const std::vector<double> start = heat_start();
  const std::vector<Var> x(start.begin(), start.end());
  std::vector<Var> u;
  if (snapshots == 0) {
    u = x;
    for (std::size_t k = 0; k < steps; ++k) u = heat_step(u, k);
    run.evaluations = steps;
  } else {
    u = tg::checkpointed_loop(steps, x,
                              [&run](std::span<const Var> state, std::size_t k) {
                                ++run.evaluations;
                                return heat_step(state, k);
                              },
                              {.snapshots = snapshots});
  }
  Var loss = 0.0;
  for (const Var& v : u) loss += tg::square(v);
  run.gradient = tg::gradient(loss, x);
  run.tape_peak_bytes = tape.peak_bytes();
  return run;
}

std::string heat_variant(std::size_t snapshots) {
  return snapshots == 0 ? "plain" : "S" + std::to_string(snapshots);
}

void register_heat() {
  const std::string label = "heat/" + std::to_string(timed_steps);
  std::vector<double> reference;
  {
    tg::Tape tape;
    reference = heat_gradient(tape, timed_steps, 0).gradient;
  }
  for (const std::size_t snapshots :
       {std::size_t{0}, snapshot_counts[0], snapshot_counts[1], snapshot_counts[2]}) {
    if (snapshots != 0) {
      tg::Tape tape;
      if (!gradients_agree(heat_gradient(tape, timed_steps, snapshots).gradient, reference, 1e-12)) {
        std::fprintf(stderr, "memory_bench: the checkpointed gradient (%zu states) is not the plain tape's\n",
                     snapshots);
        std::exit(1);
      }
    }
    register_variant(label, heat_variant(snapshots), [snapshots](benchmark::State& state) {
      tg::Tape tape;
      HeatRun run;
      for (auto _ : state) {
        run = heat_gradient(tape, timed_steps, snapshots);
        benchmark::DoNotOptimize(run.gradient.data());
      }
      state.counters["tape_peak_bytes"] = static_cast<double>(run.tape_peak_bytes);
      state.counters["step_evaluations"] = static_cast<double>(run.evaluations);
    });
  }
}

// ------------------------------------------------------------------ preaccumulation

constexpr std::size_t regions = 1000;

// About 200 operations from (s, b, c) to one number: 50 rounds of four.
Var region(std::span<const Var> v) {
  Var s = v[0];
  for (int i = 0; i < 50; ++i) s = tg::sin(s * v[1]) + 0.01 * v[2] - 0.001 * s;
  return s;
}

// A chain of regions, each reading the last one's result, and its gradient.
std::vector<double> chain_gradient(tg::Tape& tape, bool preaccumulated, std::size_t& recording_bytes) {
  tape.clear();
  const Var a = 0.3, b = 0.8, c = -0.5;
  Var s = a;
  for (std::size_t k = 0; k < regions; ++k) {
    const Var in[] = {s, b, c};
    s = preaccumulated ? tg::preaccumulate(region, std::span<const Var>(in)) : region(in);
  }
  recording_bytes = tape.recording_bytes();
  return tg::gradient(s, {a, b, c});
}

void register_preaccumulation() {
  const std::string label = "preaccumulate/" + std::to_string(regions);
  std::size_t bytes = 0;
  std::vector<double> reference;
  {
    tg::Tape tape;
    reference = chain_gradient(tape, false, bytes);
    if (!gradients_agree(chain_gradient(tape, true, bytes), reference, 1e-12)) {
      std::fprintf(stderr, "memory_bench: the preaccumulated gradient is not the plain tape's\n");
      std::exit(1);
    }
  }
  for (const bool preaccumulated : {false, true})
    register_variant(label, preaccumulated ? "preaccumulated" : "plain",
                     [preaccumulated](benchmark::State& state) {
                       tg::Tape tape;
                       std::size_t recording = 0;
                       for (auto _ : state) {
                         std::vector<double> g = chain_gradient(tape, preaccumulated, recording);
                         benchmark::DoNotOptimize(g.data());
                       }
                       state.counters["tape_bytes"] = static_cast<double>(recording);
                     });
}

void register_all() {
  register_heat();
  register_preaccumulation();
}

// ------------------------------------------------------------------ one run, one process

// `--peak-rss VARIANT STEPS`: one gradient of the heat loop; prints JSON.
int peak_rss_run(const std::string& variant, const std::string& steps_text) {
  std::size_t snapshots = 0;
  if (variant != "plain") {
    if (variant.size() < 2 || variant[0] != 'S') {
      std::fprintf(stderr, "memory_bench: VARIANT is plain or S<states>, not %s\n", variant.c_str());
      return 2;
    }
    snapshots = std::strtoul(variant.c_str() + 1, nullptr, 10);
  }
  const std::size_t steps = std::strtoul(steps_text.c_str(), nullptr, 10);
  if (steps == 0) {
    std::fprintf(stderr, "memory_bench: STEPS must be a positive number, not %s\n", steps_text.c_str());
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  tg::Tape tape;
  const HeatRun run = heat_gradient(tape, steps, snapshots);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  double norm = 0;
  for (double g : run.gradient) norm += g * g;
  std::printf(
      "{\"variant\": \"%s\", \"steps\": %zu, \"seconds\": %.6g, \"max_rss_kb\": %ld, \"tape_peak_bytes\": "
      "%zu, "
      "\"step_evaluations\": %zu, \"gradient_norm\": %.17g}\n",
      variant.c_str(), steps, seconds, usage.ru_maxrss, run.tape_peak_bytes, run.evaluations,
      std::sqrt(norm));
  return 0;
}

// ------------------------------------------------------------------ the report

// A variant's counter, 0 when the variant or the counter is missing.
double counter(const Median* m, const char* name) {
  return m != nullptr && m->counters.count(name) ? m->counters.at(name) : 0;
}

void write_report(const std::string& path, const Medians& medians, const std::string& command) {
  std::ostringstream out;
  out << "## Memory: checkpointed loops and preaccumulation\n\n" << run_description(command, medians);
  out << "- `heat`: the gradient of Σ u² after " << timed_steps
      << " explicit steps of the 1-D nonlinear heat equation u_t = ((1 + u²) u_x)_x on " << points
      << " points, with respect to the initial state: `plain` records every step on the tape; `S10`, `S40`, "
         "`S200` use `checkpointed_loop` keeping that many states (revolve's schedule). Each gradient was "
         "checked against the plain tape's (1e-12) before timing. Tape peak: `Tape::peak_bytes()` over the "
         "recording and the sweep (what a checkpoint keeps included; the scratch tapes that record one step "
         "at a time are not the caller's). Resident memory of whole processes is in the next section.\n"
         "- `preaccumulate`: a chain of "
      << regions
      << " regions of about 200 operations from 3 inputs to 1 output, recorded plainly or with "
         "`preaccumulate` (each region's 1×3 Jacobian on the tape).\n\n";
  out << "| loop (" << timed_steps
      << " steps) | time (ms) | time / plain | step evaluations | tape peak (MB) | peak / plain | target |\n"
         "|---|---:|---:|---:|---:|---:|---|\n";
  const std::string heat = "heat/" + std::to_string(timed_steps);
  const Median* plain = find(medians, heat, "plain");
  for (const std::size_t snapshots :
       {std::size_t{0}, snapshot_counts[0], snapshot_counts[1], snapshot_counts[2]}) {
    const std::string variant = heat_variant(snapshots);
    const Median* m = find(medians, heat, variant);
    if (m == nullptr) continue;
    const double peak = counter(m, "tape_peak_bytes"), plain_peak = counter(plain, "tape_peak_bytes");
    const double time_ratio = ratio_value(medians, heat, variant, "plain");
    std::string target = "–";
    if (snapshots == 40 && plain_peak > 0)
      target = (peak <= plain_peak / 5 && time_ratio >= 0 && time_ratio <= 4)
                   ? "yes (≤ 1/5 memory, ≤ 4× time)"
                   : "**no** (≤ 1/5 memory, ≤ 4× time)";
    out << "| " << variant << " | " << format("%.1f", m->ns / 1e6) << " | "
        << ratio(medians, heat, variant, "plain") << " | " << format("%.0f", counter(m, "step_evaluations"))
        << " | " << format("%.3f", peak / 1e6) << " | "
        << (plain_peak > 0 ? format("%.4f", peak / plain_peak) : "–") << " | " << target << " |\n";
  }
  const std::string chain = "preaccumulate/" + std::to_string(regions);
  out << "\n| region chain | time (ms) | time / plain | tape bytes | bytes / plain "
         "|\n|---|---:|---:|---:|---:|\n";
  const Median* plain_chain = find(medians, chain, "plain");
  for (const char* variant : {"plain", "preaccumulated"}) {
    const Median* m = find(medians, chain, variant);
    if (m == nullptr) continue;
    const double bytes = counter(m, "tape_bytes"), plain_bytes = counter(plain_chain, "tape_bytes");
    out << "| " << variant << " | " << format("%.3f", m->ns / 1e6) << " | "
        << ratio(medians, chain, variant, "plain") << " | " << format("%.0f", bytes) << " | "
        << (plain_bytes > 0 ? format("%.4f", bytes / plain_bytes) : "–") << " |\n";
  }
  write_section(path, "memory_bench", out.str());
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "--peak-rss") == 0) return bench::peak_rss_run(argv[2], argv[3]);
  return bench::run_benchmarks(argc, argv, bench::register_all, bench::write_report);
}
