/// \file
/// The pieces every chart is drawn with: an SVG document built as text, a linear or
/// logarithmic scale from data to pixels with readable ticks, axes, and colours. Plain
/// SVG 1.1 with no scripts, fonts or external references, so that any browser (and
/// rsvg-convert) shows it as is.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tapegrad::plot {

/// `text` with the characters XML reserves written as entities.
std::string xml_escape(std::string_view text);
/// A pixel coordinate, with one decimal.
std::string px(double v);
/// A number as an axis label (%.4g).
std::string label(double v);

/// Data → pixels. A log scale needs lo > 0.
class Scale {
 public:
  /// Maps [lo, hi] to [pixel_lo, pixel_hi], linearly or logarithmically. Throws tapegrad::Error for an empty
  /// or non-finite range, or a log scale with lo ≤ 0.
  Scale(double lo, double hi, double pixel_lo, double pixel_hi, bool log = false);
  /// The pixel coordinate of the value `v`.
  double operator()(double v) const;
  /// Round values ("nice" 1, 2, 5 × 10^k steps; decades on a log scale) inside [lo, hi].
  std::vector<double> ticks(int about = 6) const;
  /// The lower end of the data range.
  double lo() const { return lo_; }
  /// The upper end of the data range.
  double hi() const { return hi_; }
  /// True for a logarithmic scale.
  bool log() const { return log_; }
  /// The pixel coordinate of lo.
  double pixel_lo() const { return pixel_lo_; }
  /// The pixel coordinate of hi.
  double pixel_hi() const { return pixel_hi_; }

 private:
  double lo_, hi_, pixel_lo_, pixel_hi_;
  bool log_;
};

/// [lo, hi] widened by `margin` of its width on each side (a point range gets ±1 or
/// ±10% of its value).
std::pair<double, double> padded(double lo, double hi, double margin = 0.08);

/// The smallest and largest of the finite values added (NaN and infinities are skipped):
/// the data range a chart's axis is fitted to.
struct Extent {
  double lo = std::numeric_limits<double>::infinity();   ///< the smallest finite value added
  double hi = -std::numeric_limits<double>::infinity();  ///< the largest finite value added
  /// Widens the extent to `v` when v is finite.
  void add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  /// True until a finite value is added.
  bool empty() const { return !(lo <= hi); }
  /// padded(lo, hi, margin), or `otherwise` when empty.
  std::pair<double, double> padded_or(std::pair<double, double> otherwise, double margin = 0.08) const {
    return empty() ? otherwise : padded(lo, hi, margin);
  }
};

/// An SVG document being built: elements added in drawing order, text() the whole document.
class Svg {
 public:
  /// An empty document of width × height pixels with a title.
  Svg(double width, double height, const std::string& title);
  /// Appends an element (one line of SVG).
  Svg& add(const std::string& element) {
    body_ += "  " + element + "\n";
    return *this;
  }
  std::string text() const;  ///< the whole document

 private:
  double width_, height_;
  std::string body_;
};

/// An SVG line element from (x1, y1) to (x2, y2) with the attributes `style`.
std::string line(double x1, double y1, double x2, double y2, const std::string& style);
/// An SVG polyline through `points` with the attributes `style`.
std::string polyline(const std::vector<std::pair<double, double>>& points, const std::string& style);
/// An SVG polygon (closed, filled by `style`) through `points`.
std::string polygon(const std::vector<std::pair<double, double>>& points, const std::string& style);
/// An SVG circle element with the attributes `style`.
std::string circle(double cx, double cy, double r, const std::string& style);
/// An SVG rectangle element with the attributes `style`.
std::string rect(double x, double y, double w, double h, const std::string& style);
/// An SVG text element; `content` is escaped.
std::string text(double x, double y, const std::string& content, const std::string& attributes = "");

/// Frame, grid, ticks, tick labels and axis labels of a panel whose pixel box is the
/// scales' ranges; the title above it.
void draw_axes(Svg& svg, const Scale& x, const Scale& y, const std::string& x_label,
               const std::string& y_label, const std::string& title);

/// A colour of the perceptually even viridis map, t in [0, 1] (dark blue → yellow).
std::string map_colour(double t);
/// Colour k of a set of distinct series colours.
std::string series_colour(std::size_t k);

}  // namespace tapegrad::plot
