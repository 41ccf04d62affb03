/// \file
/// A minimize() callback that keeps every iterate, for a PathChart: each run's points,
/// f and |∇f| from its start (step 0 begins a new run, so one recorder follows all the
/// starts of minimize_with_restarts), and plot_path, the chart of those runs over the
/// function they minimized.
#pragma once

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "../autodiff/scalar/tape.hpp"
#include "../autodiff/scalar/var.hpp"
#include "../optim/minimize.hpp"
#include "path_chart.hpp"

namespace tapegrad::plot {

/// A minimize() callback that records every iterate, for plot_path(): one Run per start
/// (minimize_with_restarts() passes it to each). It sees what minimize() reports, once
/// per step: for L-BFGS, whose step() runs up to max_iter iterations, give it
/// `max_iter = 1` to record every iteration (the command line does).
///
/// \snippet test_doc_examples.cpp plot_path
struct PathRecorder {
  /// The runs recorded.
  std::vector<Run> runs;

  /// Records the iterate (a new Run at step 0).
  void on_step(const optim::StepReport& r) {
    if (r.step == 0 || runs.empty()) runs.emplace_back();
    Run& run = runs.back();
    run.x.emplace_back(r.x.begin(), r.x.end());
    run.f.push_back(r.f);
    run.gradient_norm.push_back(r.gradient_norm);
  }
  /// Marks the run diverged when minimize() said so: it stopped as diverging (with the
  /// run's own StopWhen::divergence_growth), or f or x overflowed. Taken from the
  /// result's reason, not judged again from f, so that the chart says what the result
  /// says. A run that stopped at a NaN f of a finite point stepped out of f's domain and
  /// is not marked: the chart says "left f's domain" for it.
  void on_end(const optim::MinimizeResult& r) {
    if (runs.empty()) return;
    Run& run = runs.back();
    const bool left_domain =
        !run.f.empty() && std::isnan(run.f.back()) && !run.x.empty() &&
        std::all_of(run.x.back().begin(), run.x.back().end(), [](double v) { return std::isfinite(v); });
    run.diverged =
        r.reason == optim::StopReason::Diverged || (r.reason == optim::StopReason::NotFinite && !left_domain);
  }
};

/// Writes the chart of the recorded runs to `file` (SVG): f is the function minimize()
/// was given (written with Vars), evaluated on a tape of its own for the curve or the
/// contours. `names` name the coordinates (x1, x2, … when empty).
///
///   tg::plot::PathRecorder path;
///   tg::optim::minimize(rosenbrock, x, adam, stop, path);
///   tg::plot::plot_path("rosenbrock.svg", rosenbrock, path);
template <class F>
void plot_path(const std::filesystem::path& file, F&& f, const PathRecorder& path,
               std::vector<std::string> names = {}, const std::string& title = "",
               std::vector<Minimum> minima = {}) {
  if (path.runs.empty()) throw Error("plot_path: the recorder holds no run (pass it to minimize())");
  if (names.empty())
    for (std::size_t k = 0; k < path.runs.front().x.front().size(); ++k)
      names.push_back("x" + std::to_string(k + 1));
  PathChart chart;
  chart.title = title;
  chart.names = std::move(names);
  chart.runs = path.runs;
  chart.minima = std::move(minima);
  chart.f = [&f](std::span<const double> x) {
    Tape tape;
    std::vector<Var> vars(x.begin(), x.end());
    return Var(f(std::span<const Var>(vars))).value();
  };
  write_svg(file, chart);
}

}  // namespace tapegrad::plot
