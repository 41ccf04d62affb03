#include "svg.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "../autodiff/support/error.hpp"

namespace tapegrad::plot {

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {
std::string formatted(const char* pattern, double v) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, pattern, v);
  return buffer;
}
}  // namespace

std::string px(double v) { return formatted("%.1f", v); }
std::string label(double v) { return formatted("%.4g", v); }

void check_output_path(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (extension == ".svg") return;
  if (path.empty() || !path.has_filename()) throw Error("plot: the picture needs a file name ending in .svg");
  const std::filesystem::path svg_name = std::filesystem::path(path).replace_extension(".svg");
  std::string message = "plot: " + path.string() +
                        ": pictures are written as SVG only; give a file name ending in .svg, such as " +
                        svg_name.string();
  // rsvg-convert (Debian's librsvg2-bin) renders SVG to PNG by default, and to PDF and
  // PostScript when asked.
  if (extension == ".png")
    message += ", then for a PNG: rsvg-convert -o " + path.string() + " " + svg_name.string();
  else if (extension == ".pdf" || extension == ".ps" || extension == ".eps")
    message +=
        ", then: rsvg-convert -f " + extension.substr(1) + " -o " + path.string() + " " + svg_name.string();
  throw Error(message);
}

Scale::Scale(double lo, double hi, double pixel_lo, double pixel_hi, bool log)
    : lo_(lo), hi_(hi), pixel_lo_(pixel_lo), pixel_hi_(pixel_hi), log_(log) {
  if (!(std::isfinite(lo) && std::isfinite(hi) && lo < hi))
    throw Error("plot: an axis range [" + label(lo) + ", " + label(hi) + "] is empty or not finite");
  if (log && !(lo > 0)) throw Error("plot: a logarithmic axis needs positive values");
}

double Scale::operator()(double v) const {
  const double t = log_ ? (std::log10(v) - std::log10(lo_)) / (std::log10(hi_) - std::log10(lo_))
                        : (v - lo_) / (hi_ - lo_);
  return pixel_lo_ + t * (pixel_hi_ - pixel_lo_);
}

std::vector<double> Scale::ticks(int about) const {
  std::vector<double> out;
  if (log_) {
    const int first = static_cast<int>(std::ceil(std::log10(lo_) - 1e-9)),
              last = static_cast<int>(std::floor(std::log10(hi_) + 1e-9));
    const int stride = std::max(1, (last - first + 1) / std::max(about, 1));
    for (int e = first; e <= last; e += stride) out.push_back(std::pow(10.0, e));
    return out;
  }
  const double raw = (hi_ - lo_) / std::max(about, 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  // 1, 2, 5 × 10^k with k ≥ 0 are whole numbers; below 1 the step is 1.
  if (integer_ticks_) step = std::max(step, 1.0);
  // Counted, not accumulated: k·step, with the rounding that makes 0 print as "-5.6e-17" removed.
  for (double k = std::ceil(lo_ / step); k * step <= hi_ + step * 1e-9; k += 1)
    out.push_back(std::abs(k) < 0.5 ? 0.0 : k * step);
  return out;
}

std::pair<double, double> padded(double lo, double hi, double margin) {
  if (!(hi > lo)) {
    const double half = lo == 0 ? 1.0 : std::abs(lo) * 0.1;
    return {lo - half, hi + half};
  }
  const double pad = (hi - lo) * margin;
  return {lo - pad, hi + pad};
}

namespace {
void check_picture_size(double width, double height) {
  for (double v : {width, height})
    if (!(v >= 1 && v <= max_picture_size))
      throw Error("plot: a picture of " + formatted("%.6g", width) + " × " + formatted("%.6g", height) +
                  " pixels; each side must be from 1 to " + formatted("%.6g", max_picture_size));
}
}  // namespace

Svg::Svg(double width, double height, const std::string& title) : width_(width), height_(height) {
  check_picture_size(width, height);
  body_ =
      "  <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n  <title>" + xml_escape(title) + "</title>\n";
}

void Svg::grow_to(double width, double height) {
  width = std::max(width, width_);
  height = std::max(height, height_);
  check_picture_size(width, height);
  width_ = width;
  height_ = height;
}

std::string Svg::text() const {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
         px(width_) + "\" height=\"" + px(height_) + "\" viewBox=\"0 0 " + px(width_) + " " + px(height_) +
         "\" font-family=\"sans-serif\" font-size=\"12\">\n" + body_ + "</svg>\n";
}

std::string line(double x1, double y1, double x2, double y2, const std::string& style) {
  return "<line x1=\"" + px(x1) + "\" y1=\"" + px(y1) + "\" x2=\"" + px(x2) + "\" y2=\"" + px(y2) + "\" " +
         style + "/>";
}
namespace {
// "x1,y1 x2,y2 …", the points attribute of a polyline or a polygon.
std::string points_attribute(const std::vector<std::pair<double, double>>& points) {
  std::string p;
  for (const auto& [x, y] : points) p += px(x) + "," + px(y) + " ";
  if (!p.empty()) p.pop_back();
  return p;
}
}  // namespace

std::string polyline(const std::vector<std::pair<double, double>>& points, const std::string& style) {
  return "<polyline fill=\"none\" points=\"" + points_attribute(points) + "\" " + style + "/>";
}
std::string polygon(const std::vector<std::pair<double, double>>& points, const std::string& style) {
  return "<polygon points=\"" + points_attribute(points) + "\" " + style + "/>";
}
std::string circle(double cx, double cy, double r, const std::string& style) {
  return "<circle cx=\"" + px(cx) + "\" cy=\"" + px(cy) + "\" r=\"" + px(r) + "\" " + style + "/>";
}
std::string rect(double x, double y, double w, double h, const std::string& style) {
  return "<rect x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"" + px(w) + "\" height=\"" + px(h) + "\" " +
         style + "/>";
}
std::string text(double x, double y, const std::string& content, const std::string& attributes) {
  return "<text x=\"" + px(x) + "\" y=\"" + px(y) + "\"" + (attributes.empty() ? "" : " " + attributes) +
         ">" + xml_escape(content) + "</text>";
}

void draw_axes(Svg& svg, const Scale& x, const Scale& y, const std::string& x_label,
               const std::string& y_label, const std::string& title) {
  const double left = x.pixel_lo(), right = x.pixel_hi(), bottom = y.pixel_lo(), top = y.pixel_hi();
  for (double t : y.ticks()) {
    svg.add(line(left - 5, y(t), left, y(t), "stroke=\"#333\""));
    svg.add(text(left - 8, y(t) + 4, formatted("%.6g", t), "text-anchor=\"end\""));
  }
  for (double t : x.ticks()) {
    svg.add(line(x(t), bottom, x(t), bottom + 5, "stroke=\"#333\""));
    svg.add(text(x(t), bottom + 19, formatted("%.6g", t), "text-anchor=\"middle\""));
  }
  svg.add(rect(left, top, right - left, bottom - top, "fill=\"none\" stroke=\"#333\""));
  svg.add(text((left + right) / 2, bottom + 38, x_label, "text-anchor=\"middle\" font-size=\"13\""));
  const double cx = left - 52, cy = (top + bottom) / 2;
  svg.add(text(
      cx, cy, y_label,
      "text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 " + px(cx) + " " + px(cy) + ")\""));
  svg.add(text((left + right) / 2, top - 12, title, "text-anchor=\"middle\" font-size=\"15\""));
}

std::string map_colour(double t) {
  // viridis at nine stops, interpolated linearly.
  static constexpr std::array<std::array<double, 3>, 9> stops = {{{68, 1, 84},
                                                                  {71, 45, 123},
                                                                  {59, 82, 139},
                                                                  {44, 114, 142},
                                                                  {33, 145, 140},
                                                                  {39, 173, 129},
                                                                  {92, 200, 99},
                                                                  {170, 220, 50},
                                                                  {253, 231, 37}}};
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0) * (stops.size() - 1);
  const std::size_t k = std::min(static_cast<std::size_t>(t), stops.size() - 2);
  const double w = t - static_cast<double>(k);
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x",
                static_cast<int>(std::lround(stops[k][0] * (1 - w) + stops[k + 1][0] * w)),
                static_cast<int>(std::lround(stops[k][1] * (1 - w) + stops[k + 1][1] * w)),
                static_cast<int>(std::lround(stops[k][2] * (1 - w) + stops[k + 1][2] * w)));
  return buffer;
}

std::string series_colour(std::size_t k) {
  static constexpr std::array<const char*, 8> colours = {"#d62728", "#1f77b4", "#ff7f0e", "#2ca02c",
                                                         "#9467bd", "#8c564b", "#e377c2", "#17becf"};
  return colours[k % colours.size()];
}

}  // namespace tapegrad::plot
