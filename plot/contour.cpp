#include "contour.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "../autodiff/support/error.hpp"

namespace tapegrad::plot {

Grid sample(const std::function<double(double, double)>& f, double x0, double x1, double y0, double y1,
            int nx, int ny) {
  if (nx < 2 || ny < 2 || nx > max_grid_points || ny > max_grid_points)
    throw Error("plot: a contour grid of " + std::to_string(nx) + " × " + std::to_string(ny) +
                " points; each side needs from 2 to " + std::to_string(max_grid_points));
  Grid g{x0, x1, y0, y1, nx, ny, {}};
  g.values.resize(static_cast<std::size_t>(g.nx) * static_cast<std::size_t>(g.ny));
  for (int j = 0; j < g.ny; ++j)
    for (int i = 0; i < g.nx; ++i) {
      const double v = f(g.x(i), g.y(j));
      g.values[static_cast<std::size_t>(j) * static_cast<std::size_t>(g.nx) + static_cast<std::size_t>(i)] =
          std::isfinite(v) ? v : NAN;
    }
  return g;
}

int Levels::band(double v) const {
  return static_cast<int>(std::upper_bound(values.begin(), values.end(), v) - values.begin());
}

namespace {
// The share of the (sorted) values that falls in the fullest band between `levels`, a
// value on a level counting above it as Levels::band does.
double fullest_band(const std::vector<double>& sorted, const std::vector<double>& levels) {
  std::size_t most = 0, below = 0;
  for (double level : levels) {
    const auto upto =
        static_cast<std::size_t>(std::upper_bound(sorted.begin(), sorted.end(), level) - sorted.begin());
    most = std::max(most, upto - below);
    below = upto;
  }
  most = std::max(most, sorted.size() - below);
  return static_cast<double>(most) / static_cast<double>(sorted.size());
}
}  // namespace

Levels contour_levels(const Grid& grid, int count) {
  if (count < 0 || count > max_contour_levels)
    throw Error("plot: " + std::to_string(count) + " contour levels; give from 0 to " +
                std::to_string(max_contour_levels));
  std::vector<double> finite;
  for (double v : grid.values)
    if (std::isfinite(v)) finite.push_back(v);
  Levels levels;
  if (finite.size() < 2 || count < 1) return levels;
  std::sort(finite.begin(), finite.end());
  const double lo = finite.front(), hi = finite.back(), span = hi - lo;
  if (!(span > 0)) return levels;
  std::vector<double> even, log;
  for (int k = 1; k <= count; ++k) even.push_back(lo + span * k / (count + 1));
  // Evenly spaced in log(f − min f), from the offset of the lowest 2% of the picture
  // (ε: it keeps the logarithm finite at the minimum itself, and a band below it would
  // hold almost no cells) up to the whole range.
  const double smallest = std::max(finite[finite.size() / 50] - lo, span * 1e-9);
  const double a = std::log(smallest), b = std::log(span);
  for (int k = 0; k < count; ++k) log.push_back(lo + std::exp(a + (b - a) * k / count));
  // A picture of f is read where f is low: the valley, the basins around each minimum.
  // When f's values crowd near its minimum (Rosenbrock's valley; the basins of a function
  // with several minima, whose walls rise far above them), evenly spaced levels put all
  // of that in the lowest band, one flat colour. So the spacing that leaves the fewest of
  // the grid's values in its fullest band wins: log-spaced for those, even for a plain
  // bowl, whose values are already spread and whose even rings read naturally. (Quantiles
  // would even the bands out exactly, at the price of levels with no pattern a reader can
  // follow on the colour scale.)
  levels.log_spaced = fullest_band(finite, log) < fullest_band(finite, even);
  levels.values = levels.log_spaced ? std::move(log) : std::move(even);
  return levels;
}

std::vector<std::array<double, 4>> iso_segments(const Grid& g, double level) {
  std::vector<std::array<double, 4>> out;
  const auto cross = [&](double xa, double ya, double va, double xb, double yb, double vb) {
    const double t = (level - va) / (vb - va);
    return std::array<double, 2>{xa + t * (xb - xa), ya + t * (yb - ya)};
  };
  for (int j = 0; j + 1 < g.ny; ++j)
    for (int i = 0; i + 1 < g.nx; ++i) {
      // Corners counter-clockwise from the lower left.
      const double a = g.at(i, j), b = g.at(i + 1, j), c = g.at(i + 1, j + 1), d = g.at(i, j + 1);
      if (std::isnan(a) || std::isnan(b) || std::isnan(c) || std::isnan(d)) continue;
      const int index = (a > level) | (b > level) << 1 | (c > level) << 2 | (d > level) << 3;
      if (index == 0 || index == 15) continue;
      const double xl = g.x(i), xr = g.x(i + 1), yb = g.y(j), yt = g.y(j + 1);
      // The crossing on each edge: bottom, right, top, left.
      const std::array<std::array<double, 2>, 4> edge = {
          cross(xl, yb, a, xr, yb, b), cross(xr, yb, b, xr, yt, c), cross(xl, yt, d, xr, yt, c),
          cross(xl, yb, a, xl, yt, d)};
      const auto segment = [&](int e, int f) {
        out.push_back({edge[e][0], edge[e][1], edge[f][0], edge[f][1]});
      };
      const bool centre_above = (a + b + c + d) / 4 > level;
      switch (index) {
        case 1:
        case 14:
          segment(3, 0);
          break;
        case 2:
        case 13:
          segment(0, 1);
          break;
        case 3:
        case 12:
          segment(3, 1);
          break;
        case 4:
        case 11:
          segment(1, 2);
          break;
        case 6:
        case 9:
          segment(0, 2);
          break;
        case 7:
        case 8:
          segment(3, 2);
          break;
        case 5:  // a and c above: joined through the centre or not
          if (centre_above) {
            segment(3, 2);
            segment(0, 1);
          } else {
            segment(3, 0);
            segment(1, 2);
          }
          break;
        case 10:  // b and d above
          if (centre_above) {
            segment(3, 0);
            segment(1, 2);
          } else {
            segment(3, 2);
            segment(0, 1);
          }
          break;
        default:
          break;
      }
    }
  return out;
}

}  // namespace tapegrad::plot
