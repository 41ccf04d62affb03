#include "path_chart.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

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

// A rectangle in pixels, x0 < x1 and y0 < y1.
struct Box {
  double x0, y0, x1, y1;
};

bool overlap(const Box& a, const Box& b) { return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1; }

// Whether the segment from (ax, ay) to (bx, by) passes through the box (Liang–Barsky:
// the segment's parameter range inside each pair of edges, intersected).
bool crosses(const Box& box, double ax, double ay, double bx, double by) {
  double t0 = 0, t1 = 1;
  const double dx = bx - ax, dy = by - ay;
  for (const auto& [p, q] : {std::pair{-dx, ax - box.x0}, std::pair{dx, box.x1 - ax},
                             std::pair{-dy, ay - box.y0}, std::pair{dy, box.y1 - ay}}) {
    if (p == 0) {
      if (q < 0) return false;  // parallel to this edge and outside it
      continue;
    }
    const double t = q / p;
    if (p < 0)
      t0 = std::max(t0, t);
    else
      t1 = std::min(t1, t);
    if (t0 > t1) return false;
  }
  return true;
}

// What a panel shows that a legend must not cover: the paths' lines as pixel segments,
// and the boxes of markers and labels.
struct Obstacles {
  std::vector<std::array<double, 4>> segments;
  std::vector<Box> boxes;
  void add_line(const Points& points) {
    for (std::size_t i = 0; i + 1 < points.size(); ++i)
      segments.push_back({points[i].first, points[i].second, points[i + 1].first, points[i + 1].second});
  }
  void add_marker(double x, double y, double r) { boxes.push_back({x - r, y - r, x + r, y + r}); }
  // How much of it the box covers: the segments through it and the boxes it overlaps.
  std::size_t covered_by(const Box& box) const {
    std::size_t n = 0;
    for (const auto& s : segments) n += crosses(box, s[0], s[1], s[2], s[3]) ? 1 : 0;
    for (const Box& b : boxes) n += overlap(box, b) ? 1 : 0;
    return n;
  }
};

// The width of a line of text in sans-serif at `size` pixels, generously estimated
// (0.62 em per character, counted in code points): the SVG is written without measuring
// fonts, so a box meant to hold the text errs on the large side.
double text_width(const std::string& text, double size = 12) {
  const auto characters = std::count_if(
      text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
  return static_cast<double>(characters) * size * 0.62;
}
// The box of a text element drawn at baseline (x, y), anchored at its start.
Box text_box(double x, double y, const std::string& text, double size = 12) {
  return {x, y - size, x + text_width(text, size), y + size * 0.3};
}

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

// A line of tens of thousands of points is no clearer than of a thousand, and makes a
// file a browser is slow to draw: the first 300 points (where the path moves most), then
// every k-th, and the last.
Points thinned(const Points& visible) {
  Points line_points;
  const std::size_t line_stride = visible.size() > 1000 ? visible.size() / 700 + 1 : 1;
  for (std::size_t i = 0; i < visible.size(); i += i < 300 ? 1 : line_stride)
    line_points.push_back(visible[i]);
  if (!visible.empty() && line_points.back() != visible.back()) line_points.push_back(visible.back());
  return line_points;
}

// How a run ended badly, in the words by its cross, or nullptr when it did not: a run
// that diverged by minimize()'s rule (Run::diverged) "diverged"; one whose f ended NaN at
// a finite point "left f's domain" (a step to sqrt of a negative number is no divergence,
// and minimize's text calls it a step out of f's domain).
const char* failure_word(const Run& run) {
  if (run.diverged) return "diverged";
  if (!run.f.empty() && std::isnan(run.f.back()) && !run.x.empty() &&
      std::all_of(run.x.back().begin(), run.x.back().end(), [](double v) { return std::isfinite(v); }))
    return "left f's domain";
  return nullptr;
}

// The red cross where a path leaves the chart, and `word` beside it: failure_word(), or
// "left the chart" for a run that only went past the window.
void draw_diverged(Svg& svg, Obstacles& seen, double ex, double ey, double left, double right, double top,
                   double bottom, const std::string& word) {
  svg.add(line(ex - 6, ey - 6, ex + 6, ey + 6, "stroke=\"#d00\" stroke-width=\"3\" class=\"diverged\""));
  svg.add(line(ex - 6, ey + 6, ex + 6, ey - 6, "stroke=\"#d00\" stroke-width=\"3\""));
  seen.add_marker(ex, ey, 7);
  const Box box = text_box(0, 0, word);
  const double width = box.x1 - box.x0;
  const double tx = std::clamp(ex + 8, left + 4, std::max(left + 4, right - width - 4)),
               ty = std::clamp(ey - 8, top + 12, bottom - 4);
  svg.add(text(tx, ty, word, "fill=\"#d00\" font-weight=\"bold\" class=\"diverged-label\""));
  seen.boxes.push_back(text_box(tx, ty, word));
}

// A path: its line, a dot per iterate, a square at the start, a ring at the end (or a
// cross where it left the chart or failed, `failure` the words for that), each element
// tagged with the run's index; what it covers goes into `seen`.
void draw_path(Svg& svg, Obstacles& seen, const Points& points, std::size_t k, double left, double right,
               double top, double bottom, const char* failure) {
  const auto [visible, left_chart] = clipped(points, left, right, top, bottom);
  const std::string colour = series_colour(k), run = "data-run=\"" + std::to_string(k) + "\"";
  if (visible.empty()) {
    const std::string note = "run " + std::to_string(k + 1) + " starts outside the chart";
    const double ty = top + 16 + 14.0 * static_cast<double>(k);
    svg.add(text(left + 8, ty, note, "fill=\"" + colour + "\" class=\"diverged\""));
    seen.boxes.push_back(text_box(left + 8, ty, note));
    return;
  }
  svg.add("<g class=\"path\" " + run + ">");
  const Points line_points = thinned(visible);
  svg.add(polyline(line_points, run_style(k) + " class=\"path-line\""));
  seen.add_line(line_points);
  const std::size_t stride = visible.size() > 150 ? visible.size() / 150 + 1 : 1;
  for (std::size_t i = 0; i < visible.size(); i += stride) {
    svg.add(circle(visible[i].first, visible[i].second, 2.2, "fill=\"" + colour + "\" class=\"iterate\""));
    seen.add_marker(visible[i].first, visible[i].second, 2.2);
  }
  svg.add(rect(visible.front().first - 5, visible.front().second - 5, 10, 10,
               "fill=\"white\" stroke=\"" + colour + "\" stroke-width=\"2\" class=\"start\""));
  seen.add_marker(visible.front().first, visible.front().second, 6);
  const auto [ex, ey] = visible.back();
  if (left_chart || failure != nullptr) {
    draw_diverged(svg, seen, ex, ey, left, right, top, bottom,
                  failure != nullptr ? failure : "left the chart");
  } else {
    svg.add(circle(ex, ey, 6, "fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"2.5\" class=\"end\""));
    seen.add_marker(ex, ey, 7.5);
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

void draw_minima(Svg& svg, Obstacles& seen, const PathChart& chart, const Scale& x, const Scale& y,
                 bool one_variable) {
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
      seen.add_marker(cx, cy, 11);
      seen.boxes.push_back(text_box(cx + 13, cy - 8, "best: " + what));
    } else {
      svg.add(circle(cx, cy, 6, "fill=\"white\" stroke=\"#000\" stroke-width=\"1.5\" class=\"minimum\""));
      svg.add(text(cx + 9, cy - 6, what, "class=\"minimum-label\" " + halo));
      seen.add_marker(cx, cy, 7);
      seen.boxes.push_back(text_box(cx + 9, cy - 6, what));
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

// One row of a legend: the name, and the stroke attributes of its sample line.
struct LegendEntry {
  std::string name, style;
};

// The legend of a panel (the pixel box `panel`) where it covers nothing in `seen`: the
// first of the corners, the middles of the edges and the centre that is free, else the
// place covering least, unless something is covered at all or the legend does not fit:
// then outside its own panel, so that it is read with the curves it names: to the right
// of the panel when the panel is the rightmost (the picture widened for it), else below
// the panel's axis title (the picture made taller), since the gap to the next panel is
// narrower than a legend.
void draw_legend(Svg& svg, const std::vector<LegendEntry>& entries, const Box& panel, const Obstacles& seen) {
  if (entries.empty()) return;
  constexpr double row_height = 16, pad = 8, sample = 22, inset = 8;
  double widest = 0;
  for (const LegendEntry& e : entries) widest = std::max(widest, text_width(e.name));
  const double w = pad + sample + 6 + widest + pad,
               h = pad + row_height * static_cast<double>(entries.size());
  const double xs[3] = {panel.x0 + inset, panel.x1 - inset - w, (panel.x0 + panel.x1 - w) / 2},
               ys[3] = {panel.y0 + inset, panel.y1 - inset - h, (panel.y0 + panel.y1 - h) / 2};
  // Corners first (they hide least of a picture), then the middles of the edges, then the centre.
  static constexpr std::array<std::array<int, 2>, 9> order = {
      {{0, 0}, {1, 0}, {0, 1}, {1, 1}, {2, 0}, {2, 1}, {0, 2}, {1, 2}, {2, 2}}};
  std::optional<Box> best;
  std::size_t best_cover = 0;
  if (w + 2 * inset <= panel.x1 - panel.x0 && h + 2 * inset <= panel.y1 - panel.y0)
    for (const auto& [i, j] : order) {
      const Box box{xs[i], ys[j], xs[i] + w, ys[j] + h};
      const std::size_t cover = seen.covered_by(box);
      if (!best || cover < best_cover) {
        best = box;
        best_cover = cover;
      }
      if (cover == 0) break;
    }
  if (!best || best_cover > 0) {
    // Less room to the right than half a side panel: nothing else is drawn there.
    const bool rightmost = svg.width() - panel.x1 < side_panel_width / 2;
    if (rightmost) {
      const double x0 = svg.width() + inset;
      best = Box{x0, panel.y0, x0 + w, panel.y0 + h};
    } else {
      const double y0 = panel.y1 + margin_bottom;
      best = Box{panel.x0, y0, panel.x0 + w, y0 + h};
    }
    svg.grow_to(std::max(svg.width(), best->x1 + 2 * inset), std::max(svg.height(), best->y1 + inset));
  }
  svg.add("<g class=\"legend\">");
  svg.add(rect(best->x0, best->y0, w, h,
               "fill=\"white\" fill-opacity=\"0.85\" stroke=\"#999\" rx=\"3\" class=\"legend-box\""));
  for (std::size_t k = 0; k < entries.size(); ++k) {
    const double row = best->y0 + pad / 2 + row_height * (static_cast<double>(k) + 0.5);
    svg.add(line(best->x0 + pad, row, best->x0 + pad + sample, row, entries[k].style));
    svg.add(text(best->x0 + pad + sample + 6, row + 4, entries[k].name, "class=\"legend-entry\""));
  }
  svg.add("</g>");
}

// A legend row per labelled run.
std::vector<LegendEntry> run_legend(const PathChart& chart) {
  std::vector<LegendEntry> entries;
  for (std::size_t k = 0; k < chart.runs.size(); ++k)
    if (!chart.runs[k].label.empty()) entries.push_back({chart.runs[k].label, run_style(k)});
  return entries;
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
  const Scale x = Scale(0, steps, left, right).with_integer_ticks(), y(y_lo, y_hi, bottom, margin_top, log);
  draw_axes(svg, x, y, "step", gradient ? "|∇f|" : "f", title);
  Obstacles seen;
  for (std::size_t k = 0; k < chart.runs.size(); ++k) {
    const std::vector<double>& v = gradient ? chart.runs[k].gradient_norm : chart.runs[k].f;
    Points p;
    for (std::size_t s = 0; s < v.size(); ++s)
      p.emplace_back(x(static_cast<double>(s)), log && v[s] <= 0 ? NAN : y(v[s]));
    draw_path(svg, seen, p, k, left, right, margin_top, bottom, failure_word(chart.runs[k]));
  }
  draw_legend(svg, run_legend(chart), {left, margin_top, right, bottom}, seen);
}

// Each coordinate against the step (the first max_coordinate_curves of them), of the
// only run or of the run that ended lowest, in a panel at `left`, with a legend naming
// the coordinates. A diverging run counts for the range while its f falls.
void draw_coordinates(Svg& svg, const PathChart& chart, double left) {
  std::size_t shown_run = 0;
  for (std::size_t k = 1; k < chart.runs.size(); ++k)
    if (chart.runs[k].f.back() < chart.runs[shown_run].f.back() ||
        !std::isfinite(chart.runs[shown_run].f.back()))
      shown_run = k;
  const Run& run = chart.runs[shown_run];
  const std::size_t n = chart.names.size(), shown = std::min(n, max_coordinate_curves);
  Extent extent;
  const bool rising = diverging(run);
  for (std::size_t s = 0; s < run.x.size(); ++s) {
    if (rising && s > 0 && !(run.f[s] <= run.f[s - 1])) break;
    for (std::size_t i = 0; i < shown; ++i) extent.add(run.x[s][i]);
  }
  const auto [y_lo, y_hi] = extent.padded_or({-1, 1});
  const double right = left + side_panel_width - 30, bottom = margin_top + panel_height;
  const Scale x = Scale(0, std::max(1.0, static_cast<double>(run.x.size()) - 1), left, right)
                      .with_integer_ticks(),
              y(y_lo, y_hi, bottom, margin_top);
  std::string title = "coordinates";
  if (shown < n) title += " (the first " + std::to_string(shown) + " of " + std::to_string(n) + ")";
  if (chart.runs.size() > 1)
    title += ", " + (run.label.empty() ? "run " + std::to_string(shown_run + 1) : run.label) + " (lowest f)";
  draw_axes(svg, x, y, "step", "coordinate", title);
  Obstacles seen;
  std::vector<LegendEntry> legend;
  for (std::size_t i = 0; i < shown; ++i) {
    Points p;
    for (std::size_t s = 0; s < run.x.size(); ++s) p.emplace_back(x(static_cast<double>(s)), y(run.x[s][i]));
    const auto [visible, left_chart] = clipped(p, left, right, margin_top, bottom);
    if (visible.empty()) continue;
    const std::string style = "stroke=\"" + series_colour(i) + "\" stroke-width=\"2\"";
    const Points line_points = thinned(visible);
    svg.add(polyline(line_points,
                     style + " class=\"coordinate-line\" data-coordinate=\"" + std::to_string(i) + "\""));
    seen.add_line(line_points);
    if (left_chart)
      draw_diverged(svg, seen, visible.back().first, visible.back().second, left, right, margin_top, bottom,
                    failure_word(run) != nullptr ? failure_word(run) : "left the chart");
    legend.push_back({chart.names[i], style});
  }
  draw_legend(svg, legend, {left, margin_top, right, bottom}, seen);
}

void check(const PathChart& chart) {
  if (chart.runs.empty()) throw Error("plot: a path chart needs at least one run");
  if (chart.runs.size() > max_runs)
    throw Error("plot: a chart of " + std::to_string(chart.runs.size()) + " runs; it draws at most " +
                std::to_string(max_runs) + " (give fewer starts or rates)");
  if (chart.minima.size() > max_runs)
    throw Error("plot: a chart of " + std::to_string(chart.minima.size()) + " minima; it marks at most " +
                std::to_string(max_runs));
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
  const double width = margin_left + 3 * side_panel_width + 2 * 40,
               height = margin_top + panel_height + margin_bottom;
  Svg svg(width, height, chart.title);
  draw_series(svg, chart, margin_left, false, chart.title + ": f");
  draw_series(svg, chart, margin_left + side_panel_width + 40, true, "|∇f|");
  draw_coordinates(svg, chart, margin_left + 2 * (side_panel_width + 40));
  return svg.text();
}

// The curve of f over the window, broken where f is undefined; whether it is somewhere.
bool draw_curve(Svg& svg, Obstacles& seen, const std::vector<double>& curve, const Scale& x, const Scale& y) {
  bool undefined = false;
  Points piece;
  const auto flush = [&] {
    if (!piece.empty()) svg.add(polyline(piece, "stroke=\"#555\" stroke-width=\"1.5\" class=\"curve\""));
    seen.add_line(piece);
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
  Obstacles seen;
  bool undefined = false;
  if (one)
    undefined = draw_curve(svg, seen, curve, x, y);
  else if (chart.f)
    undefined = draw_contours(svg, chart.f, x, y);
  draw_axes(svg, x, y, chart.names[0], one ? "f" : chart.names[1], chart.title);
  if (undefined) {
    const std::string note = one ? "f is undefined where the curve breaks" : "grey: f is undefined (NaN)";
    svg.add(text(left + 6, bottom - 8, note, "fill=\"#333\" class=\"undefined-note\""));
    seen.boxes.push_back(text_box(left + 6, bottom - 8, note));
  }

  for (std::size_t k = 0; k < chart.runs.size(); ++k) {
    const Run& run = chart.runs[k];
    Points p;
    for (std::size_t s = 0; s < run.x.size(); ++s)
      p.emplace_back(x(run.x[s][0]), one ? (std::isfinite(run.f[s]) ? y(run.f[s]) : NAN) : y(run.x[s][1]));
    draw_path(svg, seen, p, k, left, right, top, bottom, failure_word(run));
  }
  draw_minima(svg, seen, chart, x, y, one);
  if (chart.f_panel)
    draw_series(svg, chart, main_width + 40, false, "f against the step");
  else
    draw_legend(svg, run_legend(chart), {left, top, right, bottom}, seen);
  return svg.text();
}

void write_svg(const std::filesystem::path& path, const PathChart& chart) {
  check_output_path(path);
  write_file_atomically(path, to_svg(chart));
}

}  // namespace tapegrad::plot
