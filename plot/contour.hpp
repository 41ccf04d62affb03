/// \file
/// Contours of f(x, y) on a grid: levels (evenly spaced, or log-spaced above the minimum
/// when that spreads the picture more evenly over the colours, as for Rosenbrock's
/// valley or the basins of a function with several minima), the iso-lines of a level by
/// marching squares, and the band each cell falls in for the filled picture.
#pragma once

#include <array>
#include <functional>
#include <vector>

namespace tapegrad::plot {

/// The most grid points along one side of a Grid (sample() refuses more: f is
/// evaluated nx × ny times).
inline constexpr int max_grid_points = 2001;
/// The most contour levels contour_levels() draws (more are not told apart by colour).
inline constexpr int max_contour_levels = 256;

/// f sampled at nx × ny points spanning [x0, x1] × [y0, y1]; NaN where f is undefined.
struct Grid {
  double x0 = 0;               ///< The left end of the x range.
  double x1 = 1;               ///< The right end of the x range.
  double y0 = 0;               ///< The lower end of the y range.
  double y1 = 1;               ///< The upper end of the y range.
  int nx = 2;                  ///< Points along x (at least 2).
  int ny = 2;                  ///< Points along y (at least 2).
  std::vector<double> values;  ///< values[j * nx + i] = f(x_i, y_j)

  /// The x coordinate of column i.
  double x(int i) const { return x0 + (x1 - x0) * i / (nx - 1); }
  /// The y coordinate of row j.
  double y(int j) const { return y0 + (y1 - y0) * j / (ny - 1); }
  /// f at (x(i), y(j)).
  double at(int i, int j) const {
    return values[static_cast<std::size_t>(j) * static_cast<std::size_t>(nx) + static_cast<std::size_t>(i)];
  }
};

/// `f` sampled on an nx × ny grid over [x0, x1] × [y0, y1] (NaN where f is undefined).
/// Throws tapegrad::Error unless 2 ≤ nx, ny ≤ max_grid_points.
Grid sample(const std::function<double(double, double)>& f, double x0, double x1, double y0, double y1,
            int nx, int ny);

/// The values at which contour lines are drawn.
struct Levels {
  std::vector<double> values;  ///< increasing
  bool log_spaced = false;     ///< spaced evenly in log(f − min f)
  /// True when there are no levels.
  bool empty() const { return values.empty(); }
  /// 0 below the first level, values.size() above the last.
  int band(double v) const;
};
/// `count` levels between the grid's finite minimum and maximum; none if f is constant
/// or nowhere finite, or count is 0. Evenly spaced, or spaced evenly in
/// log(f − min f) when that leaves fewer of the grid's values in the fullest band.
/// Throws tapegrad::Error unless 0 ≤ count ≤ max_contour_levels.
Levels contour_levels(const Grid& grid, int count);

/// The iso-line f = level as segments {xa, ya, xb, yb} in data coordinates. A saddle
/// cell is resolved by the mean of its corners; a cell with a NaN corner has no line.
std::vector<std::array<double, 4>> iso_segments(const Grid& grid, double level);

}  // namespace tapegrad::plot
