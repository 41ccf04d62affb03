#include "history.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "../autodiff/support/atomic_file.hpp"
#include "../autodiff/support/enum_names.hpp"
#include "../plot/svg.hpp"

namespace tapegrad::models {

inline constexpr EnumNames<StopReason, 4> stop_reason_names = {
    {{StopReason::EpochsDone, "all epochs done"},
     {StopReason::EarlyStopping, "early stopping"},
     {StopReason::Callback, "stopped by a callback"},
     {StopReason::Diverged, "diverged: the loss exploded or is not finite"}}};
const char* stop_reason_name(StopReason reason) { return name_of(reason, stop_reason_names); }

bool History::has_validation() const {
  return std::any_of(epochs.begin(), epochs.end(),
                     [](const EpochRecord& r) { return !std::isnan(r.validation_loss); });
}
bool History::is_classification() const {
  return std::any_of(epochs.begin(), epochs.end(), [](const EpochRecord& r) {
    return !std::isnan(r.train_accuracy) || !std::isnan(r.validation_accuracy);
  });
}

namespace {

// %.17g keeps every double exact; a missing figure is an empty field.
std::string number(double v, const char* format = "%.17g") {
  if (std::isnan(v)) return "";
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, format, v);
  return buffer;
}

using plot::xml_escape;

// Tick values covering [low, high]: about `count` steps of 1, 2 or 5 × 10^k.
std::vector<double> nice_ticks(double low, double high, int count) {
  if (!(high > low)) high = low + 1;
  const double raw = (high - low) / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  std::vector<double> ticks;
  const long first = std::lround(std::floor(low / step)), last = std::lround(std::ceil(high / step));
  for (long k = first; k <= last; ++k) ticks.push_back(static_cast<double>(k) * step);
  return ticks;
}

struct Series {
  std::string name;
  std::string style;  // stroke attributes
  std::function<double(const EpochRecord&)> value;
};

class Panel {
 public:
  static constexpr double width = 460, height = 330;
  static constexpr double left = 64, right = 16, top = 56, bottom = 52;

  Panel(double x0, std::string title, std::string y_label, double y_scale)
      : x0_(x0), title_(std::move(title)), y_label_(std::move(y_label)), y_scale_(y_scale) {}

  std::string draw(const std::vector<EpochRecord>& epochs, const std::vector<Series>& series,
                   bool y_from_zero) {
    double lo = INFINITY, hi = -INFINITY;
    for (const Series& s : series)
      for (const EpochRecord& r : epochs)
        if (const double v = s.value(r) * y_scale_; std::isfinite(v)) {
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
    if (!std::isfinite(lo)) lo = 0, hi = 1;
    if (y_from_zero) lo = std::min(lo, 0.0);
    y_ticks_ = nice_ticks(lo, hi, 5);
    x_ticks_ = nice_ticks(1, std::max<double>(2, static_cast<double>(epochs.size())), 6);
    x_ticks_.erase(std::remove_if(x_ticks_.begin(), x_ticks_.end(), [](double t) { return t < 1; }),
                   x_ticks_.end());
    if (x_ticks_.empty() || x_ticks_.front() > 1) x_ticks_.insert(x_ticks_.begin(), 1);
    x_lo_ = 1;
    x_hi_ = std::max(x_ticks_.back(), static_cast<double>(epochs.size()));
    if (x_hi_ <= x_lo_) x_hi_ = x_lo_ + 1;
    y_lo_ = y_ticks_.front();
    y_hi_ = y_ticks_.back();

    std::string svg = axes();
    // The legend sits in the margin above the plot, so it never hides a curve.
    double legend_x = x0_ + left;
    const double legend_y = top - 14;
    for (const Series& s : series) {
      std::string points;
      for (const EpochRecord& r : epochs) {
        const double v = s.value(r) * y_scale_;
        if (!std::isfinite(v)) continue;
        points += number(x(r.epoch), "%.2f") + "," + number(y(v), "%.2f") + " ";
      }
      if (points.empty()) continue;
      svg += "  <polyline fill=\"none\" " + s.style + " points=\"" + points + "\"/>\n";
      svg += "  <line x1=\"" + number(legend_x, "%.1f") + "\" y1=\"" + number(legend_y, "%.1f") + "\" x2=\"" +
             number(legend_x + 24, "%.1f") + "\" y2=\"" + number(legend_y, "%.1f") + "\" " + s.style + "/>\n";
      svg += "  <text x=\"" + number(legend_x + 30, "%.1f") + "\" y=\"" + number(legend_y + 4, "%.1f") +
             "\">" + xml_escape(s.name) + "</text>\n";
      legend_x += 110;
    }
    return svg;
  }

 private:
  double x(double epoch) const {
    return x0_ + left + (epoch - x_lo_) / (x_hi_ - x_lo_) * (width - left - right);
  }
  double y(double v) const { return top + (y_hi_ - v) / (y_hi_ - y_lo_) * (height - top - bottom); }

  std::string axes() const {
    std::string svg;
    const double plot_left = x0_ + left, plot_right = x0_ + width - right, plot_bottom = height - bottom;
    svg += "  <text x=\"" + number(x0_ + width / 2, "%.1f") +
           "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" + xml_escape(title_) + "</text>\n";
    for (double t : y_ticks_) {
      const std::string yy = number(y(t), "%.2f");
      svg += "  <line x1=\"" + number(plot_left, "%.1f") + "\" y1=\"" + yy + "\" x2=\"" +
             number(plot_right, "%.1f") + "\" y2=\"" + yy + "\" stroke=\"#e4e4e4\"/>\n";
      svg += "  <text x=\"" + number(plot_left - 6, "%.1f") + "\" y=\"" + number(y(t) + 4, "%.2f") +
             "\" text-anchor=\"end\">" + number(t, "%.4g") + "</text>\n";
    }
    for (double t : x_ticks_) {
      const std::string xx = number(x(t), "%.2f");
      svg += "  <line x1=\"" + xx + "\" y1=\"" + number(plot_bottom, "%.1f") + "\" x2=\"" + xx + "\" y2=\"" +
             number(plot_bottom + 5, "%.1f") + "\" stroke=\"#333\"/>\n";
      svg += "  <text x=\"" + xx + "\" y=\"" + number(plot_bottom + 19, "%.1f") +
             "\" text-anchor=\"middle\">" + number(t, "%.6g") + "</text>\n";
    }
    svg += "  <polyline fill=\"none\" stroke=\"#333\" points=\"" + number(plot_left, "%.1f") + "," +
           number(top, "%.1f") + " " + number(plot_left, "%.1f") + "," + number(plot_bottom, "%.1f") + " " +
           number(plot_right, "%.1f") + "," + number(plot_bottom, "%.1f") + "\"/>\n";
    svg += "  <text x=\"" + number((plot_left + plot_right) / 2, "%.1f") + "\" y=\"" +
           number(height - 12, "%.1f") + "\" text-anchor=\"middle\">epoch</text>\n";
    const std::string cy = number((top + plot_bottom) / 2, "%.1f"), cx = number(x0_ + 16, "%.1f");
    svg += "  <text x=\"" + cx + "\" y=\"" + cy + "\" text-anchor=\"middle\" transform=\"rotate(-90 " + cx +
           " " + cy + ")\">" + xml_escape(y_label_) + "</text>\n";
    return svg;
  }

  double x0_;
  std::string title_, y_label_;
  double y_scale_;
  std::vector<double> x_ticks_, y_ticks_;
  double x_lo_ = 1, x_hi_ = 2, y_lo_ = 0, y_hi_ = 1;
};

}  // namespace

std::string History::to_csv() const {
  std::string csv =
      "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,learning_rate,seconds,samples_per_"
      "second\n";
  for (const EpochRecord& r : epochs) {
    csv += std::to_string(r.epoch) + "," + number(r.train_loss) + "," + number(r.train_accuracy) + "," +
           number(r.validation_loss) + "," + number(r.validation_accuracy) + "," + number(r.learning_rate) +
           "," + number(r.seconds) + "," + number(r.samples_per_second) + "\n";
  }
  return csv;
}

std::string History::to_svg(const std::string& title) const {
  const bool classification = is_classification(), validation = has_validation();
  const std::string train_style = "stroke=\"#1f77b4\" stroke-width=\"2\"";
  const std::string validation_style = "stroke=\"#ff7f0e\" stroke-width=\"2\" stroke-dasharray=\"6 4\"";
  std::vector<Series> loss{{"training", train_style, [](const EpochRecord& r) { return r.train_loss; }}};
  std::vector<Series> accuracy{
      {"training", train_style, [](const EpochRecord& r) { return r.train_accuracy; }}};
  if (validation) {
    loss.push_back({"validation", validation_style, [](const EpochRecord& r) { return r.validation_loss; }});
    accuracy.push_back(
        {"validation", validation_style, [](const EpochRecord& r) { return r.validation_accuracy; }});
  }
  const double total_width = classification ? 2 * Panel::width : Panel::width;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + number(total_width, "%.0f") +
                    "\" height=\"" + number(Panel::height, "%.0f") + "\" viewBox=\"0 0 " +
                    number(total_width, "%.0f") + " " + number(Panel::height, "%.0f") +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "  <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "  <title>" + xml_escape(title) + "</title>\n";
  svg += Panel(0, title + ": loss", "loss", 1).draw(epochs, loss, true);
  if (classification)
    svg += Panel(Panel::width, title + ": accuracy", "accuracy (%)", 100).draw(epochs, accuracy, false);
  svg += "</svg>\n";
  return svg;
}

void History::write_csv(const std::filesystem::path& path) const { write_file_atomically(path, to_csv()); }
void History::write_svg(const std::filesystem::path& path, const std::string& title) const {
  write_file_atomically(path, to_svg(title));
}

}  // namespace tapegrad::models
