#include "path_chart.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "../autodiff/support/atomic_file.hpp"
#include "../autodiff/support/error.hpp"
#include "contour.hpp"
#include "svg.hpp"

namespace tapegrad::plot {
namespace {

constexpr double panel_width = 560, panel_height = 440, margin_left = 80, margin_top = 50, margin_bottom = 60;
constexpr double colour_bar_width = 110, side_panel_width = 480;
constexpr int contour_count = 14, grid_points = 121, curve_points = 400;

using Points = std::vector<std::pair<double, double>>;

bool finite(std::span<const double> v) {
  return std::all_of(v.begin(), v.end(), [](double e) { return std::isfinite(e); });
}

// The points of a path inside [left, right] × [top, bottom] (pixels), up to where it
// first leaves (or stops being finite), and whether it left: then the last point is
// where it crossed the border.
std::pair<Points, bool> clipped(const Points& path, double left, double right, double top, double bottom) {
  Points out;
  const auto inside = [&](const std::pair<double, double>& p) {
    return std::isfinite(p.first) && std::isfinite(p.second) && p.first >= left - 0.5 &&
           p.first <= right + 0.5 && p.second >= top - 0.5 && p.second <= bottom + 0.5;
  };
  for (const auto& p : path) {
    if (inside(p)) {
      out.push_back(p);
      continue;
    }
    if (!out.empty() && std::isfinite(p.first) && std::isfinite(p.second)) {
      // Walk from the last inside point towards p and stop at the border.
      const auto [x0, y0] = out.back();
      double t = 1;
      if (p.first < left) t = std::min(t, (left - x0) / (p.first - x0));
      if (p.first > right) t = std::min(t, (right - x0) / (p.first - x0));
      if (p.second < top) t = std::min(t, (top - y0) / (p.second - y0));
      if (p.second > bottom) t = std::min(t, (bottom - y0) / (p.second - y0));
      out.emplace_back(x0 + t * (p.first - x0), y0 + t * (p.second - y0));
    }
    return {out, true};
  }
  return {out, false};
}

// A run that is not converging: it ended not finite, or with f above its start. Its
// points after the start do not set a chart's range (they would shrink the others to
// nothing); it is drawn until it leaves the chart.
bool diverging(const Run& run) {
  return run.diverged || !finite(run.f) || (run.f.size() > 1 && run.f.back() > run.f.front());
}

// Text that stays readable on the dark and the light bands of a contour plot.
const std::string halo = "stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\"";

std::string run_style(std::size_t k) { return "stroke=\"" + series_colour(k) + "\" stroke-width=\"2\""; }

// A path: its line, a dot per iterate, a square at the start, a ring at the end (or a
// cross where it left the chart), each element tagged with the run's index.
void draw_path(Svg& svg, const Points& points, std::size_t k, double left, double right, double top,
               double bottom, bool diverged) {
  const auto [visible, left_chart] = clipped(points, left, right, top, bottom);
  const std::string colour = series_colour(k), run = "data-run=\"" + std::to_string(k) + "\"";
  if (visible.empty()) {
    svg.add(text(left + 8, top + 16 + 14.0 * static_cast<double>(k),
                 "run " + std::to_string(k + 1) + " starts outside the chart",
                 "fill=\"" + colour + "\" class=\"diverged\""));
    return;
  }
  svg.add("<g class=\"path\" " + run + ">");
  // A line of tens of thousands of points is no clearer than of a thousand, and makes a
  // file a browser is slow to draw: the first 300 points (where the path moves most),
  // then every k-th, and the last.
  Points line_points;
  const std::size_t line_stride = visible.size() > 1000 ? visible.size() / 700 + 1 : 1;
  for (std::size_t i = 0; i < visible.size(); i += i < 300 ? 1 : line_stride)
    line_points.push_back(visible[i]);
  if (line_points.back() != visible.back()) line_points.push_back(visible.back());
  svg.add(polyline(line_points, run_style(k) + " class=\"path-line\""));
  const std::size_t stride = visible.size() > 150 ? visible.size() / 150 + 1 : 1;
  for (std::size_t i = 0; i < visible.size(); i += stride)
    svg.add(circle(visible[i].first, visible[i].second, 2.2, "fill=\"" + colour + "\" class=\"iterate\""));
  svg.add(rect(visible.front().first - 5, visible.front().second - 5, 10, 10,
               "fill=\"white\" stroke=\"" + colour + "\" stroke-width=\"2\" class=\"start\""));
  const auto [ex, ey] = visible.back();
  if (left_chart || diverged) {
    svg.add(line(ex - 6, ey - 6, ex + 6, ey + 6, "stroke=\"#d00\" stroke-width=\"3\" class=\"diverged\""));
    svg.add(line(ex - 6, ey + 6, ex + 6, ey - 6, "stroke=\"#d00\" stroke-width=\"3\""));
    svg.add(text(std::clamp(ex + 8, left + 4, right - 70), std::clamp(ey - 8, top + 12, bottom - 4),
                 "diverged", "fill=\"#d00\" font-weight=\"bold\""));
  } else {
    svg.add(circle(ex, ey, 6, "fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"2.5\" class=\"end\""));
  }
  svg.add("</g>");
}

// A five-pointed star (the best minimum).
std::string star(double cx, double cy, double r) {
  Points p;
  for (int k = 0; k < 10; ++k) {
    const double angle = -M_PI / 2 + k * M_PI / 5, radius = k % 2 == 0 ? r : r * 0.45;
    p.emplace_back(cx + radius * std::cos(angle), cy + radius * std::sin(angle));
  }
  return polygon(p, "fill=\"#ffd700\" stroke=\"#000\" class=\"best\"");
}

void draw_minima(Svg& svg, const PathChart& chart, const Scale& x, const Scale& y, bool one_variable) {
  if (chart.minima.empty()) return;
  std::size_t best = 0;
  for (std::size_t k = 1; k < chart.minima.size(); ++k)
    if (chart.minima[k].f < chart.minima[best].f) best = k;
  for (std::size_t k = 0; k < chart.minima.size(); ++k) {
    const Minimum& m = chart.minima[k];
    const double vx = m.x[0], vy = one_variable ? m.f : m.x[1];
    if (!(vx >= x.lo() && vx <= x.hi() && vy >= y.lo() && vy <= y.hi())) continue;
    const double cx = x(vx), cy = y(vy);
    const std::string what =
        "f = " + label(m.f) + (m.found > 1 ? " (" + std::to_string(m.found) + " starts)" : "");
    if (k == best) {
      svg.add(star(cx, cy, 11));
      svg.add(text(cx + 13, cy - 8, "best: " + what, "font-weight=\"bold\" class=\"minimum-label\" " + halo));
    } else {
      svg.add(circle(cx, cy, 6, "fill=\"white\" stroke=\"#000\" stroke-width=\"1.5\" class=\"minimum\""));
      svg.add(text(cx + 9, cy - 6, what, "class=\"minimum-label\" " + halo));
    }
  }
}

// The range of the paths' coordinate `c` (and of the minima), for a chart with no window.
std::pair<double, double> path_range(const PathChart& chart, std::size_t c) {
  Extent extent;
  for (const Run& run : chart.runs) {
    // A diverging run would stretch the chart until the others are invisible: its
    // start counts, and its points while f still falls.
    const bool rising = diverging(run);
    for (std::size_t k = 0; k < run.x.size(); ++k) {
      if (rising && k > 0 && !(run.f[k] <= run.f[k - 1])) break;
      extent.add(run.x[k][c]);
    }
  }
  for (const Minimum& m : chart.minima) extent.add(m.x[c]);
  return extent.padded_or({-1, 1});
}

void draw_legend(Svg& svg, const PathChart& chart, double x, double y) {
  for (std::size_t k = 0; k < chart.runs.size(); ++k) {
    if (chart.runs[k].label.empty()) continue;
    const double row = y + 16.0 * static_cast<double>(k);
    svg.add(line(x, row, x + 22, row, run_style(k)));
    svg.add(text(x + 28, row + 4, chart.runs[k].label, "class=\"legend\" " + halo));
  }
}

// f (or |∇f|) against the step, every run, in a panel at `left`.
void draw_series(Svg& svg, const PathChart& chart, double left, bool gradient, const std::string& title) {
  Extent extent;
  double steps = 1;
  for (const Run& run : chart.runs) {
    const std::vector<double>& v = gradient ? run.gradient_norm : run.f;
    steps = std::max(steps, static_cast<double>(v.size()) - 1);
    // A diverging run's growth would flatten every other curve: its start only.
    for (std::size_t k = 0; k < v.size() && (k == 0 || !diverging(run)); ++k) extent.add(v[k]);
  }
  const double lo = extent.empty() ? 0 : extent.lo, hi = extent.empty() ? 1 : extent.hi;
  const bool log = lo > 0 && hi / lo > 100;
  const auto [y_lo, y_hi] = log ? std::pair{lo / 2, hi * 2} : padded(lo, hi);
  const double right = left + side_panel_width - 30, bottom = margin_top + panel_height;
  const Scale x(0, steps, left, right), y(y_lo, y_hi, bottom, margin_top, log);
  draw_axes(svg, x, y, "step", gradient ? "|∇f|" : "f", title);
  for (std::size_t k = 0; k < chart.runs.size(); ++k) {
    const std::vector<double>& v = gradient ? chart.runs[k].gradient_norm : chart.runs[k].f;
    Points p;
    for (std::size_t s = 0; s < v.size(); ++s)
      p.emplace_back(x(static_cast<double>(s)), log && v[s] <= 0 ? NAN : y(v[s]));
    draw_path(svg, p, k, left, right, margin_top, bottom, chart.runs[k].diverged);
  }
  draw_legend(svg, chart, left + 12, margin_top + 16);
}

void check(const PathChart& chart) {
  if (chart.runs.empty()) throw Error("plot: a path chart needs at least one run");
  const std::size_t n = chart.names.size();
  if (n == 0) throw Error("plot: a path chart needs the names of its coordinates");
  for (std::size_t r = 0; r < chart.runs.size(); ++r) {
    const Run& run = chart.runs[r];
    if (run.x.empty() || run.x.size() != run.f.size())
      throw Error("plot: run " + std::to_string(r) + " has " + std::to_string(run.x.size()) + " points and " +
                  std::to_string(run.f.size()) + " values of f");
    for (const std::vector<double>& x : run.x)
      if (x.size() != n)
        throw Error("plot: run " + std::to_string(r) + " has a point of " + std::to_string(x.size()) +
                    " coordinates; the chart has " + std::to_string(n));
  }
  for (const Minimum& m : chart.minima)
    if (m.x.size() != n) throw Error("plot: a minimum has " + std::to_string(m.x.size()) + " coordinates");
  if (chart.window) {
    const auto& w = *chart.window;
    if (!(w[0] < w[1]) || (n > 1 && !(w[2] < w[3])))
      throw Error("plot: the window " + label(w[0]) + "," + label(w[1]) + "," + label(w[2]) + "," +
                  label(w[3]) + " is empty (give x0 < x1 and y0 < y1)");
  }
}

std::string many_variables(const PathChart& chart) {
  const double width = margin_left + 2 * side_panel_width + 40,
               height = margin_top + panel_height + margin_bottom;
  Svg svg(width, height, chart.title);
  draw_series(svg, chart, margin_left, false, chart.title + ": f");
  draw_series(svg, chart, margin_left + side_panel_width + 40, true, "|∇f|");
  return svg.text();
}

// The curve of f over the window, broken where f is undefined; whether it is somewhere.
bool draw_curve(Svg& svg, const std::vector<double>& curve, const Scale& x, const Scale& y) {
  bool undefined = false;
  Points piece;
  const auto flush = [&] {
    if (!piece.empty()) svg.add(polyline(piece, "stroke=\"#555\" stroke-width=\"1.5\" class=\"curve\""));
    piece.clear();
  };
  for (std::size_t k = 0; k < curve.size(); ++k) {
    const double at =
        x.lo() + (x.hi() - x.lo()) * static_cast<double>(k) / static_cast<double>(curve.size() - 1);
    if (std::isfinite(curve[k])) {
      piece.emplace_back(x(at), y(std::clamp(curve[k], y.lo(), y.hi())));
    } else {
      undefined = true;
      flush();
    }
  }
  flush();
  return undefined;
}

// Filled contours of f over the panel: each grid cell coloured by the band of its mean,
// runs of equal cells in a row merged into one rectangle, grey where f is undefined;
// white iso-lines; the colour scale beside. Whether f is undefined somewhere.
bool draw_contours(Svg& svg, const std::function<double(std::span<const double>)>& f, const Scale& x,
                   const Scale& y) {
  const Grid grid = sample(
      [&](double a, double b) {
        const double point[2] = {a, b};
        return f(std::span<const double>(point, 2));
      },
      x.lo(), x.hi(), y.lo(), y.hi(), grid_points, grid_points);
  const Levels levels = contour_levels(grid, contour_count);
  const int bands = static_cast<int>(levels.values.size()) + 1;
  const auto band_colour = [&](int band) { return map_colour(bands > 1 ? double(band) / (bands - 1) : 0.0); };
  const double left = x.pixel_lo(), right = x.pixel_hi(), bottom = y.pixel_lo(), top = y.pixel_hi();
  const double cell_w = (right - left) / (grid.nx - 1), cell_h = (bottom - top) / (grid.ny - 1);
  bool undefined = false;
  svg.add("<g class=\"filled-contours\" shape-rendering=\"crispEdges\">");
  for (int j = 0; j + 1 < grid.ny; ++j) {
    int run_start = 0, run_band = -2;  // −1: undefined, −2: none yet
    const auto flush = [&](int end) {
      if (run_band == -2) return;
      const std::string fill = run_band == -1 ? "#bbbbbb" : band_colour(run_band);
      svg.add(rect(left + run_start * cell_w, bottom - (j + 1) * cell_h, (end - run_start) * cell_w + 0.4,
                   cell_h + 0.4, "fill=\"" + fill + "\"" + (run_band == -1 ? " class=\"undefined\"" : "")));
    };
    for (int i = 0; i + 1 < grid.nx; ++i) {
      const double mean = (grid.at(i, j) + grid.at(i + 1, j) + grid.at(i, j + 1) + grid.at(i + 1, j + 1)) / 4;
      const int band = std::isnan(mean) ? -1 : (levels.empty() ? 0 : levels.band(mean));
      undefined = undefined || band == -1;
      if (band != run_band) {
        flush(i);
        run_start = i;
        run_band = band;
      }
    }
    flush(grid.nx - 1);
  }
  svg.add("</g>");
  for (double level : levels.values) {
    std::string d;
    for (const auto& s : iso_segments(grid, level))
      for (const std::string& part : {std::string("M"), px(x(s[0])), std::string(" "), px(y(s[1])),
                                      std::string("L"), px(x(s[2])), std::string(" "), px(y(s[3]))})
        d += part;
    if (!d.empty())
      svg.add("<path d=\"" + d +
              "\" fill=\"none\" stroke=\"#ffffff\" stroke-opacity=\"0.55\" stroke-width=\"0.8\" "
              "class=\"contour\"/>");
  }
  const double bar_left = right + 18, bar_width = 16, band_height = (bottom - top) / bands;
  svg.add("<g class=\"colour-scale\">");
  for (int b = 0; b < bands; ++b)
    svg.add(rect(bar_left, bottom - (b + 1) * band_height, bar_width, band_height + 0.3,
                 "fill=\"" + band_colour(b) + "\""));
  for (std::size_t k = 0; k < levels.values.size(); ++k)
    if (levels.values.size() <= 8 || k % 2 == 1)
      svg.add(text(bar_left + bar_width + 4, bottom - (static_cast<double>(k) + 1) * band_height + 4,
                   label(levels.values[k]), "font-size=\"10\""));
  svg.add(text(bar_left, top - 6, levels.log_spaced ? "f (log-spaced)" : "f", "font-size=\"11\""));
  svg.add("</g>");
  return undefined;
}

// One variable: f sampled over the window (the vertical range: the curve and the
// iterates' f, the diverging runs' start only), unless the window gives it.
std::pair<double, double> curve_range(const PathChart& chart, double x_lo, double x_hi,
                                      std::vector<double>& curve) {
  Extent extent;
  for (int k = 0; k < curve_points; ++k) {
    const double x = x_lo + (x_hi - x_lo) * k / (curve_points - 1);
    const double v = chart.f ? chart.f(std::span<const double>(&x, 1)) : NAN;
    curve.push_back(v);
    extent.add(v);
  }
  for (const Run& run : chart.runs)
    for (std::size_t k = 0; k < run.f.size() && (k == 0 || !diverging(run)); ++k) extent.add(run.f[k]);
  if (chart.window && (*chart.window)[2] < (*chart.window)[3])
    return {(*chart.window)[2], (*chart.window)[3]};
  return extent.padded_or({-1.0, 1.0});
}

}  // namespace

std::string to_svg(const PathChart& chart) {
  check(chart);
  const std::size_t n = chart.names.size();
  if (n > 2) return many_variables(chart);
  const bool one = n == 1;
  const double main_width = margin_left + panel_width + (one ? 30 : colour_bar_width);
  const double width = main_width + (chart.f_panel ? side_panel_width + 40 : 0);
  Svg svg(width, margin_top + panel_height + margin_bottom, chart.title);
  const double left = margin_left, right = margin_left + panel_width, top = margin_top,
               bottom = top + panel_height;

  const auto [x_lo, x_hi] =
      chart.window ? std::pair{(*chart.window)[0], (*chart.window)[1]} : path_range(chart, 0);
  std::vector<double> curve;
  const auto [y_lo, y_hi] = one            ? curve_range(chart, x_lo, x_hi, curve)
                            : chart.window ? std::pair{(*chart.window)[2], (*chart.window)[3]}
                                           : path_range(chart, 1);
  const Scale x(x_lo, x_hi, left, right), y(y_lo, y_hi, bottom, top);
  bool undefined = false;
  if (one)
    undefined = draw_curve(svg, curve, x, y);
  else if (chart.f)
    undefined = draw_contours(svg, chart.f, x, y);
  draw_axes(svg, x, y, chart.names[0], one ? "f" : chart.names[1], chart.title);
  if (undefined)
    svg.add(text(left + 6, bottom - 8,
                 one ? "f is undefined where the curve breaks" : "grey: f is undefined (NaN)",
                 "fill=\"#333\" class=\"undefined-note\""));

  for (std::size_t k = 0; k < chart.runs.size(); ++k) {
    const Run& run = chart.runs[k];
    Points p;
    for (std::size_t s = 0; s < run.x.size(); ++s)
      p.emplace_back(x(run.x[s][0]), one ? (std::isfinite(run.f[s]) ? y(run.f[s]) : NAN) : y(run.x[s][1]));
    draw_path(svg, p, k, left, right, top, bottom, run.diverged);
  }
  draw_minima(svg, chart, x, y, one);
  if (chart.f_panel)
    draw_series(svg, chart, main_width + 40, false, "f against the step");
  else
    draw_legend(svg, chart, left + 12, top + 16);
  return svg.text();
}

void write_svg(const std::filesystem::path& path, const PathChart& chart) {
  write_file_atomically(path, to_svg(chart));
}

}  // namespace tapegrad::plot
