// Path charts: the SVG holds what the picture must show (a path with one marker per
// iterate, one path per run, start and end marked, the minima labelled and the best
// highlighted, contour lines, a colour scale, a legend per learning rate), a NaN region
// and a diverging run are drawn and said, and bad charts are errors. Marching squares
// and the level spacing are checked against their geometry. (Rendering by a real SVG
// renderer: tests/cli/test_plots.sh.)
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <tapegrad/tapegrad.hpp>

namespace {

namespace tg = tapegrad;
namespace plot = tapegrad::plot;

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

double bowl(std::span<const double> x) { return x[0] * x[0] + 10 * x[1] * x[1]; }

// Gradient descent on the bowl with rate lr: the iterates, as a Run.
plot::Run descent(double lr, int steps, double x0 = 3, double y0 = 1) {
  plot::Run run;
  double x = x0, y = y0;
  for (int k = 0; k <= steps; ++k) {
    run.x.push_back({x, y});
    const double point[2] = {x, y};
    run.f.push_back(bowl(point));
    run.gradient_norm.push_back(std::hypot(2 * x, 20 * y));
    x -= lr * 2 * x;
    y -= lr * 20 * y;
  }
  return run;
}

plot::PathChart bowl_chart(std::vector<plot::Run> runs) {
  plot::PathChart chart;
  chart.title = "x^2 + 10 y^2";
  chart.names = {"x", "y"};
  chart.f = bowl;
  chart.runs = std::move(runs);
  return chart;
}

TEST(PathChart, TwoVariablesShowContoursAndThePathWithEveryIterate) {
  const std::string svg = plot::to_svg(bowl_chart({descent(0.04, 30)}));
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_EQ(count(svg, "<svg"), 1u);
  EXPECT_EQ(count(svg, "</svg>"), 1u);
  EXPECT_EQ(count(svg, "class=\"iterate\""), 31u);  // the start and 30 steps
  EXPECT_EQ(count(svg, "class=\"path-line\""), 1u);
  EXPECT_EQ(count(svg, "class=\"start\""), 1u);
  EXPECT_EQ(count(svg, "class=\"end\""), 1u);
  EXPECT_EQ(count(svg, "class=\"diverged\""), 0u);
  EXPECT_GT(count(svg, "class=\"contour\""), 5u);
  EXPECT_EQ(count(svg, "class=\"colour-scale\""), 1u);
  EXPECT_NE(svg.find("x^2 + 10 y^2"), std::string::npos);
}

TEST(PathChart, RestartsShowEveryPathAndLabelEveryMinimumWithTheBestHighlighted) {
  plot::PathChart chart =
      bowl_chart({descent(0.04, 20, 3, 1), descent(0.04, 20, -2, -1), descent(0.04, 20, 1, -1.5)});
  chart.minima = {{{0.5, 0.5}, 2.75, 1}, {{0, 0}, 0, 2}};
  const std::string svg = plot::to_svg(chart);
  EXPECT_EQ(count(svg, "<g class=\"path\""), 3u);
  EXPECT_EQ(count(svg, "class=\"best\""), 1u);     // the star at the lowest f
  EXPECT_EQ(count(svg, "class=\"minimum\""), 1u);  // the other one
  EXPECT_NE(svg.find("best: f = 0 (2 starts)"), std::string::npos);
  EXPECT_NE(svg.find("f = 2.75"), std::string::npos);
}

TEST(PathChart, SeveralRatesGetALegendAndFAgainstTheStepAndADivergingRunIsMarked) {
  std::vector<plot::Run> runs = {descent(0.01, 40), descent(0.05, 40), descent(0.11, 40)};
  runs[0].label = "lr 0.01";
  runs[1].label = "lr 0.05";
  runs[2].label = "lr 0.11";  // |1 − 20·0.11| > 1: y doubles in size every step
  runs[2].diverged = true;    // as PathRecorder marks it, by minimize()'s rule
  plot::PathChart chart = bowl_chart(runs);
  chart.f_panel = true;
  const std::string svg = plot::to_svg(chart);
  EXPECT_EQ(count(svg, ">lr 0.11<"), 1u);
  EXPECT_NE(svg.find("f against the step"), std::string::npos);
  // Drawn to where it leaves each of the two panels, and marked there.
  EXPECT_EQ(count(svg, "class=\"diverged\""), 2u);
  EXPECT_NE(svg.find(">diverged<"), std::string::npos);
  // The other runs keep the chart: it is not stretched to the diverging one.
  EXPECT_EQ(svg.find("e+"), std::string::npos) << "no tick label of a huge coordinate";
  // A run that only leaves the window (not diverged by the rule) is not called diverged.
  runs[2].diverged = false;
  const std::string window_only = plot::to_svg(bowl_chart(runs));
  EXPECT_EQ(window_only.find(">diverged<"), std::string::npos);
  EXPECT_NE(window_only.find(">left the chart<"), std::string::npos);
}

TEST(PathChart, WhereFIsUndefinedTheChartIsGreyAndSaysSo) {
  plot::PathChart chart;
  chart.names = {"x", "y"};
  chart.f = [](std::span<const double> x) { return std::log(x[0]) + x[1] * x[1]; };
  chart.runs = {plot::Run{"",
                          {{2, 1}, {1.5, 0.5}, {1.2, 0.2}},
                          {std::log(2) + 1, std::log(1.5) + 0.25, std::log(1.2) + 0.04},
                          {},
                          false}};
  chart.window = std::array<double, 4>{-1, 3, -2, 2};
  const std::string svg = plot::to_svg(chart);
  EXPECT_GT(count(svg, "class=\"undefined\""), 10u);
  EXPECT_NE(svg.find("f is undefined (NaN)"), std::string::npos);
  EXPECT_EQ(count(svg, "class=\"iterate\""), 3u);
}

TEST(PathChart, OneVariableIsTheCurveWithTheIteratesOnIt) {
  plot::PathChart chart;
  chart.names = {"x"};
  chart.f = [](std::span<const double> x) { return x[0] * x[0] * x[0] * x[0] - 3 * x[0] * x[0] + x[0]; };
  plot::Run run;
  for (double x : {0.0, -0.5, -1.0, -1.25, -1.3}) {
    run.x.push_back({x});
    run.f.push_back(x * x * x * x - 3 * x * x + x);
  }
  chart.runs = {run};
  const std::string svg = plot::to_svg(chart);
  EXPECT_GE(count(svg, "class=\"curve\""), 1u);
  EXPECT_EQ(count(svg, "class=\"iterate\""), 5u);
  EXPECT_EQ(count(svg, "class=\"contour\""), 0u);
}

TEST(PathChart, MoreVariablesShowFAndTheGradientNormAgainstTheStep) {
  plot::Run run;
  for (int k = 0; k <= 10; ++k) {
    const double s = std::pow(0.5, k);
    run.x.push_back({s, s, s});
    run.f.push_back(3 * s * s);
    run.gradient_norm.push_back(2 * std::sqrt(3.0) * s);
  }
  plot::PathChart chart;
  chart.names = {"a", "b", "c"};
  chart.runs = {run};
  const std::string svg = plot::to_svg(chart);
  EXPECT_NE(svg.find(">|∇f|<"), std::string::npos);
  EXPECT_EQ(count(svg, "class=\"path-line\""), 2u);  // f, and |∇f|
  EXPECT_EQ(count(svg, "class=\"iterate\""), 22u);
}

TEST(PathChart, BadChartsAreErrors) {
  EXPECT_THROW(plot::to_svg(bowl_chart({})), tg::Error);
  plot::Run wrong = descent(0.04, 3);
  wrong.x[1] = {1.0};  // one coordinate in a chart of two
  EXPECT_THROW(plot::to_svg(bowl_chart({wrong})), tg::Error);
  plot::PathChart empty_window = bowl_chart({descent(0.04, 3)});
  empty_window.window = std::array<double, 4>{1, 1, 0, 1};
  EXPECT_THROW(plot::to_svg(empty_window), tg::Error);
}

// The library's way: a PathRecorder passed to minimize() (and to every start of
// minimize_with_restarts), then plot_path over the function that was minimized.
TEST(PlotPath, RecordsMinimizeRunsAndDrawsThemOverTheFunction) {
  const auto rosenbrock = [](auto x) {
    return 100.0 * tg::square(x[1] - tg::square(x[0])) + tg::square(1.0 - x[0]);
  };
  plot::PathRecorder path;
  tg::Parameter x(Eigen::Vector2d(-1.5, 2));
  tg::optim::Adam adam({x}, {.lr = 0.05});
  const tg::optim::MinimizeResult r = tg::optim::minimize(rosenbrock, x, adam, {.max_steps = 50}, path);
  ASSERT_EQ(path.runs.size(), 1u);
  EXPECT_EQ(path.runs[0].x.size(), static_cast<std::size_t>(r.steps + 1));
  EXPECT_EQ(path.runs[0].x.front(), (std::vector<double>{-1.5, 2}));
  EXPECT_EQ(path.runs[0].f.back(), r.f);
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("tapegrad-plot-" + std::to_string(::getpid()) + ".svg");
  plot::plot_path(file, rosenbrock, path, {"x", "y"}, "Rosenbrock");
  std::ifstream in(file);
  const std::string svg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(file);
  EXPECT_EQ(count(svg, "class=\"iterate\""), path.runs[0].x.size());
  EXPECT_TRUE(svg.find("log-spaced") != std::string::npos);

  plot::PathRecorder starts;
  const std::vector<double> lower{-2, -2}, upper{2, 2};
  const auto make = [](tg::Parameter& p) {
    return std::make_unique<tg::optim::Adam>(std::vector<tg::optim::ParameterRef>{p},
                                             tg::optim::AdamOptions{.lr = 0.05});
  };
  tg::optim::minimize_with_restarts(rosenbrock, lower, upper, 4, 1, make, {.max_steps = 20}, 1e-4, starts);
  EXPECT_EQ(starts.runs.size(), 4u);
}

// The iso-line of x² + y² = r² runs on the circle of radius r: every segment end lies
// on it to the grid's interpolation error.
TEST(Contour, MarchingSquaresFollowsACircle) {
  const plot::Grid grid =
      plot::sample([](double x, double y) { return x * x + y * y; }, -2, 2, -2, 2, 81, 81);
  const auto segments = plot::iso_segments(grid, 1.0);
  ASSERT_GT(segments.size(), 40u);
  for (const auto& s : segments) {
    EXPECT_NEAR(std::hypot(s[0], s[1]), 1.0, 2e-3);
    EXPECT_NEAR(std::hypot(s[2], s[3]), 1.0, 2e-3);
  }
  // A level outside the values has no line; a NaN cell has none either.
  EXPECT_TRUE(plot::iso_segments(grid, 100.0).empty());
  const plot::Grid holed =
      plot::sample([](double x, double y) { return x > 0 ? NAN : x * x + y * y; }, -2, 2, -2, 2, 81, 81);
  for (const auto& s : plot::iso_segments(holed, 1.0)) EXPECT_LE(s[0], 1e-12);
}

TEST(Contour, LevelsAreLogSpacedWhenFSpansDecades) {
  const plot::Grid rosenbrock =
      plot::sample([](double x, double y) { return 100 * (y - x * x) * (y - x * x) + (1 - x) * (1 - x); }, -2,
                   2, -1, 3, 61, 61);
  const plot::Levels log = plot::contour_levels(rosenbrock, 10);
  EXPECT_TRUE(log.log_spaced);
  ASSERT_EQ(log.values.size(), 10u);
  // Evenly spaced in log(level − min): constant ratios of consecutive offsets.
  double lo = INFINITY;
  for (double v : rosenbrock.values) lo = std::min(lo, v);
  const double ratio = (log.values[2] - lo) / (log.values[1] - lo);
  for (std::size_t k = 2; k + 1 < log.values.size(); ++k)
    EXPECT_NEAR((log.values[k + 1] - lo) / (log.values[k] - lo), ratio, 1e-9 * ratio);
  const plot::Grid bowl_grid =
      plot::sample([](double x, double y) { return x * x + y * y; }, -1, 1, -1, 1, 41, 41);
  const plot::Levels even = plot::contour_levels(bowl_grid, 4);
  EXPECT_FALSE(even.log_spaced);
  ASSERT_EQ(even.values.size(), 4u);
  EXPECT_NEAR(even.values[1] - even.values[0], even.values[3] - even.values[2], 1e-12);
}

TEST(Extent, KeepsTheFiniteRangeAndSaysWhenItHasNone) {
  plot::Extent extent;
  EXPECT_TRUE(extent.empty());
  EXPECT_EQ(extent.padded_or({-1, 1}), std::make_pair(-1.0, 1.0));
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  for (double v : {3.0, nan, -2.0, inf, 0.5, -inf}) extent.add(v);
  EXPECT_FALSE(extent.empty());
  EXPECT_EQ(extent.lo, -2.0);  // the infinities and the NaN are not data
  EXPECT_EQ(extent.hi, 3.0);
  // 8% of the width 5 on each side.
  const auto [lo, hi] = extent.padded_or({-1, 1});
  EXPECT_DOUBLE_EQ(lo, -2.0 - 0.4);
  EXPECT_DOUBLE_EQ(hi, 3.0 + 0.4);
}

}  // namespace
