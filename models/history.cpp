#include "history.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "../autodiff/support/atomic_file.hpp"
#include "../autodiff/support/enum_names.hpp"
#include "../plot/svg.hpp"

namespace tapegrad::models {

inline constexpr EnumNames<TrainingStop, 4> stop_reason_names = {
    {{TrainingStop::EpochsDone, "all epochs done"},
     {TrainingStop::EarlyStopping, "early stopping"},
     {TrainingStop::Callback, "stopped by a callback"},
     {TrainingStop::Diverged, "diverged: the loss exploded or is not finite"}}};
const char* stop_reason_name(TrainingStop reason) { return name_of(reason, stop_reason_names); }

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
std::string number(double v) {
  if (std::isnan(v)) return "";
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

// One curve of a panel: a figure of each epoch record, scaled (accuracy in %).
struct Series {
  std::string name;
  std::string style;  // stroke attributes
  std::function<double(const EpochRecord&)> value;
};

// The panels' size, in pixels; the plot area inside the margins. The legend goes under
// the axis label, so it never hides a curve.
constexpr double panel_width = 460, panel_height = 350;
constexpr double margin_left = 70, margin_right = 20, margin_top = 50, margin_bottom = 96;

// One panel at `x0`: the series against the epoch, with axes, title and legend.
void draw_panel(plot::Svg& svg, double x0, const std::vector<EpochRecord>& epochs,
                const std::vector<Series>& series, const std::string& title, const std::string& y_label,
                double y_scale, bool y_from_zero) {
  plot::Extent extent;
  for (const Series& s : series)
    for (const EpochRecord& r : epochs) extent.add(s.value(r) * y_scale);
  auto [y_lo, y_hi] = extent.padded_or(plot::padded(0, 1));
  if (y_from_zero && !(extent.lo < 0)) y_lo = 0;
  // From epoch 0 (before training) to at least 5, so that the ticks are whole epochs.
  const double last_epoch = std::max(5.0, static_cast<double>(epochs.size()));
  const double left = x0 + margin_left, right = x0 + panel_width - margin_right;
  const double top = margin_top, bottom = panel_height - margin_bottom;
  const plot::Scale x(0, last_epoch, left, right), y(y_lo, y_hi, bottom, top);
  plot::draw_axes(svg, x, y, "epoch", y_label, title);
  double legend_x = left;
  const double legend_y = bottom + 62;
  for (const Series& s : series) {
    std::vector<std::pair<double, double>> points;
    for (const EpochRecord& r : epochs)
      if (const double v = s.value(r) * y_scale; std::isfinite(v)) points.emplace_back(x(r.epoch), y(v));
    if (points.empty()) continue;
    svg.add(plot::polyline(points, s.style));
    svg.add(plot::line(legend_x, legend_y, legend_x + 24, legend_y, s.style));
    svg.add(plot::text(legend_x + 30, legend_y + 4, s.name));
    legend_x += 110;
  }
}

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
  plot::Svg svg(classification ? 2 * panel_width : panel_width, panel_height, title);
  draw_panel(svg, 0, epochs, loss, title + ": loss", "loss", 1, true);
  if (classification)
    draw_panel(svg, panel_width, epochs, accuracy, title + ": accuracy", "accuracy (%)", 100, false);
  return svg.text();
}

void History::write_csv(const std::filesystem::path& path) const { write_file_atomically(path, to_csv()); }
void History::write_svg(const std::filesystem::path& path, const std::string& title) const {
  write_file_atomically(path, to_svg(title));
}

}  // namespace tapegrad::models
