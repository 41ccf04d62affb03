/// \file
/// Pictures of gradient descent: where the iterates of one or several runs go on the
/// surface of f. One variable: the curve of f with the iterates on it. Two: filled
/// contours of f (log-spaced levels when f spans decades) with each path drawn over them,
/// start and end marked, every minimum found labelled with its f and the best one
/// highlighted, and a colour scale. More: f, |∇f| and each coordinate against the step
/// (a legend names the coordinates). With f_panel, f against the step beside the paths
/// (runs at several learning rates). A run that leaves the chart is drawn to where it
/// left and marked there: "diverged" when minimize()'s rule says so (Run::diverged),
/// "left f's domain" when f became NaN at a finite point, "left the chart" otherwise. A
/// legend goes where it covers no path and no label; when every place inside its panel
/// is taken, to the right of the rightmost panel or below its own. Steps are ticked in
/// whole numbers.
///
///   tg::plot::PathRecorder path;
///   tg::optim::minimize(f, x, optimizer, stop, path);     // records every iterate
///   tg::plot::write_svg("path.svg", tg::plot::chart_of(path, f2, {"x", "y"}));
#pragma once

#include <array>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tapegrad::plot {

/// The most runs (and minima) one chart draws: each is a path of up to about a
/// thousand points, and eight colours already repeat long before.
inline constexpr std::size_t max_runs = 100;
/// The most coordinates drawn against the step in a chart of more than two variables
/// (the number of distinct series colours); the panel says when there are more.
inline constexpr std::size_t max_coordinate_curves = 8;

/// One optimizer run on a chart: its iterates and f at each.
struct Run {
  std::string label;                   ///< in the legend ("lr 0.1"); may be empty
  std::vector<std::vector<double>> x;  ///< x[k]: the point after k steps; x[0] is the start
  std::vector<double> f;               ///< f(x[k])
  std::vector<double> gradient_norm;   ///< |∇f(x[k])| (charts of more than two variables)
  bool diverged = false;               ///< diverged by minimize()'s rule (PathRecorder sets it)
};

/// A local minimum marked on a chart.
struct Minimum {
  /// Where it is.
  std::vector<double> x;
  /// f there.
  double f = 0;
  long found = 1;  ///< how many starts reached it
};

/// What a path chart shows: f as filled contours (two variables) or a curve (one), one or more runs' iterates
/// on it, and the minima found. to_svg() draws it; write_svg() writes it.
struct PathChart {
  /// The chart's title.
  std::string title;
  std::vector<std::string> names;                    ///< one per coordinate
  std::function<double(std::span<const double>)> f;  ///< drawn for one or two coordinates
  /// The runs, each drawn as a path.
  std::vector<Run> runs;
  std::vector<Minimum> minima;                  ///< the lowest is highlighted
  std::optional<std::array<double, 4>> window;  ///< x0, x1, y0, y1 (else from the paths)
  bool f_panel = false;                         ///< f against the step beside the paths
};

/// The chart as an SVG document. Throws tapegrad::Error for a chart with no runs or more
/// than max_runs runs or minima, runs of other dimensions than the names, or an empty
/// window.
std::string to_svg(const PathChart& chart);
/// Written atomically (autodiff/support/atomic_file.hpp). Throws tapegrad::Error, before
/// drawing anything, for a file name not ending in .svg (check_output_path()).
void write_svg(const std::filesystem::path& path, const PathChart& chart);

}  // namespace tapegrad::plot
