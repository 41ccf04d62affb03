// Contours of f(x, y) on a grid: levels (log-spaced above the minimum when f spans
// decades, as Rosenbrock's does), the iso-lines of a level by marching squares, and the
// band each cell falls in for the filled picture.
#pragma once

#include <array>
#include <functional>
#include <vector>

namespace tapegrad::plot {

// f sampled at nx × ny points spanning [x0, x1] × [y0, y1]; NaN where f is undefined.
struct Grid {
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  int nx = 2, ny = 2;
  std::vector<double> values;  // values[j * nx + i] = f(x_i, y_j)

  double x(int i) const { return x0 + (x1 - x0) * i / (nx - 1); }
  double y(int j) const { return y0 + (y1 - y0) * j / (ny - 1); }
  double at(int i, int j) const {
    return values[static_cast<std::size_t>(j) * static_cast<std::size_t>(nx) + static_cast<std::size_t>(i)];
  }
};

Grid sample(const std::function<double(double, double)>& f, double x0, double x1, double y0, double y1,
            int nx, int ny);

struct Levels {
  std::vector<double> values;  // increasing
  bool log_spaced = false;     // spaced evenly in log(f − min f)
  bool empty() const { return values.empty(); }
  // 0 below the first level, values.size() above the last.
  int band(double v) const;
};
// About `count` levels between the grid's finite minimum and maximum; none if f is
// constant or nowhere finite.
Levels contour_levels(const Grid& grid, int count);

// The iso-line f = level as segments {xa, ya, xb, yb} in data coordinates. A saddle
// cell is resolved by the mean of its corners; a cell with a NaN corner has no line.
std::vector<std::array<double, 4>> iso_segments(const Grid& grid, double level);

}  // namespace tapegrad::plot
