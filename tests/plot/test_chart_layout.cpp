// What a chart's layout must get right, checked on the geometry of the SVG: a legend
// covers no path and no "diverged" label (and moves out of its panel, to the right of
// the rightmost one or below its own, when every place inside is taken); contour levels give the basins of a
// function with several minima many colours, not one; step axes are ticked in whole numbers; charts of more
// than two variables name each coordinate's curve; a picture file must be named .svg; and every size a caller
// gives is bounded, with the limit named.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <tapegrad/tapegrad.hpp>

namespace {

namespace tg = tapegrad;
namespace plot = tapegrad::plot;

struct Rect {
  double x0, y0, x1, y1;
  bool contains(double x, double y) const { return x > x0 && x < x1 && y > y0 && y < y1; }
  bool overlaps(const Rect& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

double attribute(const std::string& element, const std::string& name) {
  const std::regex pattern(" " + name + "=\"([-0-9.e+]+)\"");
  std::smatch m;
  if (!std::regex_search(element, m, pattern)) ADD_FAILURE() << "no " << name << " in " << element;
  return m.empty() ? NAN : std::stod(m[1]);
}

// Every element of the document of the given tag whose attributes include `with`.
std::vector<std::string> elements(const std::string& svg, const std::string& tag, const std::string& with) {
  std::vector<std::string> out;
  const std::regex pattern("<" + tag + " [^>]*>");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), pattern); it != std::sregex_iterator(); ++it)
    if (it->str().find(with) != std::string::npos) out.push_back(it->str());
  return out;
}

std::vector<Rect> legend_boxes(const std::string& svg) {
  std::vector<Rect> out;
  for (const std::string& r : elements(svg, "rect", "class=\"legend-box\"")) {
    const double x = attribute(r, "x"), y = attribute(r, "y");
    out.push_back({x, y, x + attribute(r, "width"), y + attribute(r, "height")});
  }
  return out;
}

// The points of every polyline of the class, as pixel coordinates.
std::vector<std::vector<std::pair<double, double>>> lines_of(const std::string& svg,
                                                             const std::string& what) {
  std::vector<std::vector<std::pair<double, double>>> out;
  for (const std::string& p : elements(svg, "polyline", "class=\"" + what + "\"")) {
    const std::size_t from = p.find("points=\"") + 8, to = p.find('"', from);
    std::vector<std::pair<double, double>> points;
    std::istringstream in(p.substr(from, to - from));
    for (std::string pair; in >> pair;) {
      const std::size_t comma = pair.find(',');
      points.emplace_back(std::stod(pair.substr(0, comma)), std::stod(pair.substr(comma + 1)));
    }
    out.push_back(points);
  }
  return out;
}

// Whether a segment passes through the box: sampled every quarter pixel, independently
// of how the chart decides it.
bool passes_through(const Rect& box, std::pair<double, double> a, std::pair<double, double> b) {
  const double length = std::hypot(b.first - a.first, b.second - a.second);
  const int samples = static_cast<int>(length * 4) + 1;
  for (int k = 0; k <= samples; ++k) {
    const double t = static_cast<double>(k) / samples;
    if (box.contains(a.first + t * (b.first - a.first), a.second + t * (b.second - a.second))) return true;
  }
  return false;
}

// The "diverged" labels: bold 12-pixel text of 8 letters, at most 8 pixels a letter.
std::vector<Rect> diverged_labels(const std::string& svg) {
  std::vector<Rect> out;
  for (const std::string& t : elements(svg, "text", "class=\"diverged-label\"")) {
    const double x = attribute(t, "x"), y = attribute(t, "y");
    out.push_back({x, y - 12, x + 8 * 8, y + 3});
  }
  return out;
}

void expect_legend_covers_nothing(const std::string& svg, const Rect& legend) {
  for (const char* what : {"path-line", "coordinate-line", "curve"})
    for (const auto& line : lines_of(svg, what))
      for (std::size_t k = 0; k + 1 < line.size(); ++k)
        EXPECT_FALSE(passes_through(legend, line[k], line[k + 1]))
            << what << " segment " << k << " crosses the legend at (" << legend.x0 << ", " << legend.y0
            << ")";
  for (const Rect& label : diverged_labels(svg)) EXPECT_FALSE(legend.overlaps(label)) << "a diverged label";
  for (const std::string& c : elements(svg, "circle", "class=\"iterate\""))
    EXPECT_FALSE(legend.contains(attribute(c, "cx"), attribute(c, "cy"))) << c;
}

double quadratic(std::span<const double> x) { return x[0] * x[0] + 10 * x[1] * x[1]; }

// Gradient descent on x² + 10y² with rate lr from (3, 1): diverges for lr > 0.1.
plot::Run gradient_descent(double lr, int steps, const std::string& label) {
  plot::Run run;
  run.label = label;
  double x = 3, y = 1;
  for (int k = 0; k <= steps; ++k) {
    run.x.push_back({x, y});
    const double point[2] = {x, y};
    run.f.push_back(quadratic(point));
    run.gradient_norm.push_back(std::hypot(2 * x, 20 * y));
    x -= lr * 2 * x;
    y -= lr * 20 * y;
  }
  return run;
}

plot::PathChart rates_chart(bool f_panel) {
  plot::PathChart chart;
  chart.title = "x^2 + 10 y^2";
  chart.names = {"x", "y"};
  chart.f = quadratic;
  chart.runs = {gradient_descent(0.01, 40, "lr 0.01"), gradient_descent(0.05, 40, "lr 0.05"),
                gradient_descent(0.11, 40, "lr 0.11")};
  chart.f_panel = f_panel;
  return chart;
}

TEST(ChartLayout, TheLegendOfSeveralRatesCoversNoCurveAndNoDivergedLabel) {
  for (const bool f_panel : {true, false}) {
    SCOPED_TRACE(f_panel ? "beside f against the step" : "over the contours");
    const std::string svg = plot::to_svg(rates_chart(f_panel));
    const std::vector<Rect> legends = legend_boxes(svg);
    ASSERT_EQ(legends.size(), 1u);
    EXPECT_EQ(diverged_labels(svg).size(), f_panel ? 2u : 1u);
    expect_legend_covers_nothing(svg, legends[0]);
    for (const char* rate : {">lr 0.01<", ">lr 0.05<", ">lr 0.11<"})
      EXPECT_NE(svg.find(rate), std::string::npos) << rate;
  }
}

TEST(ChartLayout, ALegendWithNoFreePlaceInsideGoesBesideThePanel) {
  // Twenty runs sweeping the whole window back and forth leave no corner free.
  plot::PathChart chart;
  chart.names = {"x", "y"};
  chart.window = std::array<double, 4>{0, 1, 0, 1};
  for (int r = 0; r < 20; ++r) {
    plot::Run run;
    run.label = "run " + std::to_string(r);
    for (int k = 0; k <= 40; ++k) {
      const double x = (k % 2 == 0) ? 0.0 : 1.0, y = (r * 41 + k) / (20.0 * 41);
      run.x.push_back({x, y});
      run.f.push_back(1 - k / 100.0);
    }
    chart.runs.push_back(run);
  }
  const std::string svg = plot::to_svg(chart);
  const std::vector<Rect> legends = legend_boxes(svg);
  ASSERT_EQ(legends.size(), 1u);
  expect_legend_covers_nothing(svg, legends[0]);
  const std::string frame = elements(svg, "svg", "xmlns")[0];
  EXPECT_LE(legends[0].x1, attribute(frame, "width"));
  EXPECT_LE(legends[0].y1, attribute(frame, "height"));
}

// The tilted double well of examples/restarts.cpp: four basins whose walls rise far
// above them.
double double_well(double x, double y) {
  return std::pow(x * x - 1, 2) + std::pow(y * y - 1, 2) + 0.3 * x + 0.2 * y;
}
double himmelblau(double x, double y) { return std::pow(x * x + y - 11, 2) + std::pow(x + y * y - 7, 2); }

TEST(ChartLayout, ContourLevelsGiveTheBasinsManyColours) {
  for (const auto& [f, half] : {std::pair{&double_well, 2.2}, std::pair{&himmelblau, 5.5}}) {
    const plot::Grid grid = plot::sample(f, -half, half, -half, half, 121, 121);
    const plot::Levels levels = plot::contour_levels(grid, 14);
    double lo = INFINITY, hi = -INFINITY;
    for (double v : grid.values) lo = std::min(lo, v), hi = std::max(hi, v);
    // The basins: the cells within a tenth of the range above the minimum, a third of
    // the picture or more; with even levels they would be one or two bands.
    std::set<int> bands;
    std::size_t inside = 0;
    for (int j = 0; j + 1 < grid.ny; ++j)
      for (int i = 0; i + 1 < grid.nx; ++i) {
        const double mean =
            (grid.at(i, j) + grid.at(i + 1, j) + grid.at(i, j + 1) + grid.at(i + 1, j + 1)) / 4;
        if (mean < lo + (hi - lo) / 10) {
          bands.insert(levels.band(mean));
          ++inside;
        }
      }
    EXPECT_GT(inside, static_cast<std::size_t>(grid.nx * grid.ny / 3));
    EXPECT_GE(bands.size(), 8u);
    EXPECT_TRUE(levels.log_spaced);
  }
}

// The labels under a panel's x axis (the tick labels, 19 pixels below its frame).
std::vector<std::string> x_tick_labels(const std::string& svg, double bottom) {
  std::vector<std::string> out;
  const std::regex pattern("<text x=\"[-0-9.]+\" y=\"([-0-9.]+)\" text-anchor=\"middle\">([^<]*)</text>");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), pattern); it != std::sregex_iterator(); ++it)
    if (std::abs(std::stod((*it)[1]) - (bottom + 19)) < 0.05) out.push_back((*it)[2]);
  return out;
}

TEST(ChartLayout, StepAxesHaveWholeNumberTicksAndEachCoordinateIsNamed) {
  // Three steps: nice ticks of about six would be 0, 0.5, 1, …
  plot::Run run;
  for (int k = 0; k <= 3; ++k) {
    const double s = std::pow(0.8, k);
    run.x.push_back({s, 2 * s, -s, 0.5 * s});
    run.f.push_back(6.25 * s * s);
    run.gradient_norm.push_back(5 * s);
  }
  plot::PathChart chart;
  chart.names = {"a", "b", "c", "d"};
  chart.runs = {run};
  const std::string svg = plot::to_svg(chart);
  const std::vector<std::string> ticks = x_tick_labels(svg, 50 + 440);  // margin_top + panel_height
  ASSERT_EQ(ticks.size(), 12u);                                         // 0, 1, 2, 3 on three panels
  for (const std::string& t : ticks) EXPECT_EQ(t, std::to_string(std::stoi(t))) << "a fractional step tick";
  // A legend naming each coordinate's curve, which covers none of them.
  EXPECT_EQ(elements(svg, "polyline", "class=\"coordinate-line\"").size(), 4u);
  for (const char* name : {">a<", ">b<", ">c<", ">d<"}) EXPECT_NE(svg.find(name), std::string::npos) << name;
  const std::vector<Rect> legends = legend_boxes(svg);
  ASSERT_EQ(legends.size(), 1u);
  expect_legend_covers_nothing(svg, legends[0]);

  for (double steps : {1.0, 3.0, 7.0, 12.0, 999.0, 123456.0}) {
    const plot::Scale counts = plot::Scale(0, steps, 0, 400).with_integer_ticks();
    const std::vector<double> t = counts.ticks();
    ASSERT_GE(t.size(), 2u) << steps;
    for (double v : t) EXPECT_EQ(v, std::round(v)) << steps;
  }
}

TEST(ChartLayout, APictureIsWrittenOnlyToAnSvgFile) {
  try {
    plot::check_output_path("out.png");
    ADD_FAILURE() << "out.png accepted";
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("rsvg-convert -o out.png out.svg"), std::string::npos) << e.what();
  }
  for (const char* refused : {"out", "out.svgz", "dir/", "", "picture.pdf", "out.svg.png"})
    EXPECT_THROW(plot::check_output_path(refused), tg::Error) << refused;
  for (const char* accepted : {"out.svg", "OUT.SVG", "a.b/c.Svg"})
    EXPECT_NO_THROW(plot::check_output_path(accepted)) << accepted;
  // write_svg refuses before writing anything.
  const std::filesystem::path png =
      std::filesystem::temp_directory_path() / ("tapegrad-layout-" + std::to_string(::getpid()) + ".png");
  EXPECT_THROW(plot::write_svg(png, rates_chart(true)), tg::Error);
  EXPECT_FALSE(std::filesystem::exists(png));
}

TEST(ChartLayout, EverySizeACallerGivesIsBoundedWithItsLimitNamed) {
  const auto f = [](double x, double y) { return x + y; };
  const auto expect_limit = [](const auto& call, const std::string& limit) {
    try {
      call();
      ADD_FAILURE() << "accepted; the limit is " << limit;
    } catch (const tg::Error& e) {
      EXPECT_NE(std::string(e.what()).find(limit), std::string::npos) << e.what();
    }
  };
  const int grid_limit = plot::max_grid_points;
  for (int n : {0, 1, grid_limit + 1, 1000000000})
    expect_limit([&] { plot::sample(f, 0, 1, 0, 1, n, 3); }, std::to_string(grid_limit));
  EXPECT_EQ(plot::sample(f, 0, 1, 0, 1, 2, grid_limit).values.size(),
            static_cast<std::size_t>(2 * grid_limit));
  const plot::Grid grid = plot::sample(f, 0, 1, 0, 1, 11, 11);
  const int level_limit = plot::max_contour_levels;
  for (int n : {-1, level_limit + 1, 1000000000})
    expect_limit([&] { plot::contour_levels(grid, n); }, std::to_string(level_limit));
  EXPECT_TRUE(plot::contour_levels(grid, 0).empty());
  EXPECT_EQ(plot::contour_levels(grid, 1).values.size(), 1u);
  EXPECT_EQ(plot::contour_levels(grid, level_limit).values.size(), static_cast<std::size_t>(level_limit));
  for (double side : {0.0, plot::max_picture_size + 1, 1e9, std::nan("")})
    expect_limit([&] { plot::Svg(side, 100, ""); }, "16384");
  EXPECT_NO_THROW(plot::Svg(plot::max_picture_size, 1, ""));

  plot::PathChart chart = rates_chart(false);
  chart.runs.resize(plot::max_runs, chart.runs[0]);
  EXPECT_NO_THROW(plot::to_svg(chart));
  chart.runs.push_back(chart.runs[0]);
  expect_limit([&] { plot::to_svg(chart); }, std::to_string(plot::max_runs));
}

TEST(ChartLayout, ARunThatLeftFsDomainIsNotCalledDiverged) {
  // sqrt(x) from 1 by SGD with lr 4: x1 = 1 − 4·½ = −1, where f is NaN: a step out of
  // the domain, which the chart names so, not "diverged".
  const auto f = [](std::span<const tg::Var> x) { return tg::sqrt(x[0]); };
  plot::PathRecorder path;
  const std::vector<double> x0 = {1};
  const auto r = tg::optim::minimize(
      f, std::span<const double>(x0), [](tg::Parameter& x) { return tg::optim::Sgd({x}, {.lr = 4}); }, {},
      path);
  ASSERT_EQ(r.reason, tg::optim::StopReason::NotFinite);
  ASSERT_EQ(path.runs.size(), 1u);
  EXPECT_FALSE(path.runs[0].diverged);
  plot::PathChart chart;
  chart.names = {"x"};
  chart.runs = path.runs;
  const std::string svg = plot::to_svg(chart);
  EXPECT_NE(svg.find(">left f's domain<"), std::string::npos);
  EXPECT_EQ(svg.find(">diverged<"), std::string::npos);
}

TEST(ChartLayout, ARunIsMarkedDivergedOnlyWhenItsRunSaidSo) {
  // x² + 10y² by SGD with lr 0.11 grows as 10·1.44^k; with divergence_growth infinite
  // minimize never stops it for growth, so after 40 steps it stopped by the step count,
  // and the recorder must not call it diverged by another growth factor.
  const auto f = [](std::span<const tg::Var> x) { return x[0] * x[0] + 10.0 * x[1] * x[1]; };
  plot::PathRecorder path;
  const std::vector<double> x0 = {3, 1};
  const auto r = tg::optim::minimize(
      f, std::span<const double>(x0), [](tg::Parameter& x) { return tg::optim::Sgd({x}, {.lr = 0.11}); },
      {.max_steps = 40, .divergence_growth = INFINITY}, path);
  ASSERT_EQ(r.reason, tg::optim::StopReason::MaxSteps);
  ASSERT_EQ(path.runs.size(), 1u);
  EXPECT_FALSE(path.runs[0].diverged);
}

TEST(ChartLayout, ALegendThatCannotFitSitsByItsOwnPanel) {
  // Three variables: f, |∇f| and the coordinates side by side, each panel 450 pixels wide
  // from x = 80, 600 and 1120. Ten labelled runs whose f and |∇f| zigzag between 0 and
  // 10 cover both series panels, so neither run legend fits inside: each must lie within
  // its own panel's columns, not both beside the coordinates panel.
  plot::PathChart chart;
  chart.names = {"x", "y", "z"};
  for (int r = 0; r < 10; ++r) {
    plot::Run run;
    run.label = "lr 0." + std::to_string(r);
    for (int k = 0; k <= 60; ++k) {
      const double v = (k + r) % 2 == 0 ? 0.1 * r : 10 - 0.1 * r;
      run.x.push_back({static_cast<double>(k % 2), 0.0, 0.0});
      run.f.push_back(v);
      run.gradient_norm.push_back(v);
    }
    chart.runs.push_back(run);
  }
  const std::string svg = plot::to_svg(chart);
  std::vector<Rect> run_legends;
  for (const Rect& legend : legend_boxes(svg))
    if (legend.y1 - legend.y0 > 100) run_legends.push_back(legend);  // ten rows, not three
  ASSERT_EQ(run_legends.size(), 2u);
  EXPECT_GE(run_legends[0].x0, 80);
  EXPECT_LE(run_legends[0].x1, 80 + 450);
  EXPECT_GE(run_legends[1].x0, 600);
  EXPECT_LE(run_legends[1].x1, 600 + 450);
  EXPECT_FALSE(run_legends[0].overlaps(run_legends[1]));
  // Below the panels (which end at y = 50 + 440), where no curve is.
  for (const Rect& legend : run_legends) EXPECT_GE(legend.y0, 490);
  const std::string frame = elements(svg, "svg", "xmlns")[0];
  for (const Rect& legend : run_legends) EXPECT_LE(legend.y1, attribute(frame, "height"));
}

}  // namespace
