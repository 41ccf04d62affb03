#include "contour.hpp"

#include <algorithm>
#include <cmath>

namespace tapegrad::plot {

Grid sample(const std::function<double(double, double)>& f, double x0, double x1, double y0, double y1,
            int nx, int ny) {
  Grid g{x0, x1, y0, y1, std::max(nx, 2), std::max(ny, 2), {}};
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

Levels contour_levels(const Grid& grid, int count) {
  std::vector<double> finite;
  for (double v : grid.values)
    if (std::isfinite(v)) finite.push_back(v);
  Levels levels;
  if (finite.size() < 2 || count < 1) return levels;
  std::sort(finite.begin(), finite.end());
  const double lo = finite.front(), hi = finite.back(), span = hi - lo;
  if (!(span > 0)) return levels;
  // "Spans decades": a tenth of the picture lies within a fiftieth of the range above
  // the minimum (Rosenbrock's valley), where even levels would leave one flat band.
  const double low = finite[finite.size() / 10] - lo;
  levels.log_spaced = low < span / 50;
  if (levels.log_spaced) {
    const double smallest = std::max(finite[finite.size() / 50] - lo, span * 1e-9);
    const double a = std::log(smallest), b = std::log(span);
    for (int k = 0; k < count; ++k) levels.values.push_back(lo + std::exp(a + (b - a) * k / count));
  } else {
    for (int k = 1; k <= count; ++k) levels.values.push_back(lo + span * k / (count + 1));
  }
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
