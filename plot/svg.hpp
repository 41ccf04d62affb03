/// \file
/// The pieces every chart is drawn with: an SVG document built as text, a linear or
/// logarithmic scale from data to pixels with readable ticks, axes, and colours. Plain
/// SVG 1.1 with no scripts, fonts or external references, so that any browser (and
/// rsvg-convert) shows it as is.
#pragma once

#include <algorithm>
#include <cmath>
#include <filesystem>
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

/// The largest width or height of a picture, in pixels.
inline constexpr double max_picture_size = 16384;

/// Throws tapegrad::Error unless `path` names an SVG file (its extension is `.svg`, in
/// any case): the charts are written as SVG text only, and SVG in a file named `.png`
/// opens nowhere as a PNG. The message says how to get one
/// (`rsvg-convert -o out.png out.svg`). Cheap: a program checks the path it is given
/// before the work whose picture it is.
void check_output_path(const std::filesystem::path& path);

/// Data → pixels. A log scale needs lo > 0.
class Scale {
 public:
  /// Maps [lo, hi] to [pixel_lo, pixel_hi], linearly or logarithmically. Throws tapegrad::Error for an empty
  /// or non-finite range, or a log scale with lo ≤ 0.
  Scale(double lo, double hi, double pixel_lo, double pixel_hi, bool log = false);
  /// The same scale with whole-number ticks only: an axis of counts (steps, iterations,
  /// epochs), where a tick at 2.5 would name a step that does not exist.
  Scale with_integer_ticks() const {
    Scale s = *this;
    s.integer_ticks_ = true;
    return s;
  }
  /// The pixel coordinate of the value `v`.
  double operator()(double v) const;
  /// Round values ("nice" 1, 2, 5 × 10^k steps; decades on a log scale) inside [lo, hi];
  /// with integer ticks a step of at least 1.
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
  /// True when the ticks are whole numbers only (with_integer_ticks()).
  bool integer_ticks() const { return integer_ticks_; }

 private:
  double lo_, hi_, pixel_lo_, pixel_hi_;
  bool log_;
  bool integer_ticks_ = false;
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
  /// An empty document of width × height pixels with a title. Throws tapegrad::Error
  /// for a size that is not finite, below 1 or above max_picture_size.
  Svg(double width, double height, const std::string& title);
  /// The page's width in pixels.
  double width() const { return width_; }
  /// The page's height in pixels.
  double height() const { return height_; }
  /// Makes the page larger (never smaller), for something placed beside what is drawn;
  /// the same limits as the constructor.
  void grow_to(double width, double height);
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
