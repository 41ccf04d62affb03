/// \file
/// The strong Wolfe line search that L-BFGS uses, step for step as PyTorch's
/// torch/optim/lbfgs.py (_strong_wolfe, _cubic_interpolate, themselves ports of
/// minFunc's): bracket a step satisfying
///   f(x + t·d) ≤ f(x) + c1·t·gᵀd   and   |g(x + t·d)ᵀd| ≤ −c2·gᵀd,
/// then zoom in on it by safeguarded cubic interpolation.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <utility>

namespace tapegrad::optim {

/// The minimizer of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to the
/// bounds (the interval between x1 and x2 when none are given); the bounds' midpoint
/// when the cubic has no real minimizer.
inline double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                                std::optional<std::pair<double, double>> bounds = std::nullopt) {
  const auto [lo, hi] = bounds ? *bounds : (x1 <= x2 ? std::pair{x1, x2} : std::pair{x2, x1});
  const double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  const double d2_square = d1 * d1 - g1 * g2;
  if (d2_square < 0) return (lo + hi) / 2.0;
  const double d2 = std::sqrt(d2_square);
  const double min_pos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                                  : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
  return std::min(std::max(min_pos, lo), hi);
}

/// Where a line search stopped.
struct LineSearchResult {
  /// f at the accepted point.
  double f;
  /// ∇f at the accepted point.
  Eigen::VectorXd g;
  /// The accepted step length.
  double t;
  /// Evaluations of f and ∇f made.
  int evaluations;
};

/// `evaluate(t)` returns f and ∇f at x + t·d (and leaves x unchanged). f, g, gtd are at
/// t = 0.
inline LineSearchResult strong_wolfe(
    const std::function<std::pair<double, Eigen::VectorXd>(double)>& evaluate, double t,
    const Eigen::VectorXd& d, double f, const Eigen::VectorXd& g, double gtd, double c1 = 1e-4,
    double c2 = 0.9, double tolerance_change = 1e-9, int max_ls = 25) {
  const double d_norm = d.cwiseAbs().maxCoeff();
  auto [f_new, g_new] = evaluate(t);
  int evaluations = 1;
  double gtd_new = g_new.dot(d);

  // Bracket an interval containing a point that satisfies the Wolfe conditions.
  double t_prev = 0, f_prev = f, gtd_prev = gtd;
  Eigen::VectorXd g_prev = g;
  bool done = false;
  int ls_iter = 0;
  double bracket[2] = {0, 0}, bracket_f[2] = {0, 0}, bracket_gtd[2] = {0, 0};
  Eigen::VectorXd bracket_g[2];
  int bracket_size = 0;
  while (ls_iter < max_ls) {
    if (f_new > f + c1 * t * gtd || (ls_iter > 1 && f_new >= f_prev)) {
      bracket[0] = t_prev, bracket[1] = t, bracket_f[0] = f_prev, bracket_f[1] = f_new;
      bracket_g[0] = g_prev, bracket_g[1] = g_new, bracket_gtd[0] = gtd_prev, bracket_gtd[1] = gtd_new;
      bracket_size = 2;
      break;
    }
    if (std::abs(gtd_new) <= -c2 * gtd) {
      bracket[0] = t, bracket_f[0] = f_new, bracket_g[0] = g_new;
      bracket_size = 1;
      done = true;
      break;
    }
    if (gtd_new >= 0) {
      bracket[0] = t_prev, bracket[1] = t, bracket_f[0] = f_prev, bracket_f[1] = f_new;
      bracket_g[0] = g_prev, bracket_g[1] = g_new, bracket_gtd[0] = gtd_prev, bracket_gtd[1] = gtd_new;
      bracket_size = 2;
      break;
    }
    // Extrapolate by interpolating within [t + 0.01·(t − t_prev), 10·t].
    const double min_step = t + 0.01 * (t - t_prev), max_step = t * 10;
    const double previous_t = t;
    t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, std::pair{min_step, max_step});
    t_prev = previous_t, f_prev = f_new, g_prev = g_new, gtd_prev = gtd_new;
    std::tie(f_new, g_new) = evaluate(t);
    evaluations += 1;
    gtd_new = g_new.dot(d);
    ls_iter += 1;
  }
  if (ls_iter == max_ls) {
    bracket[0] = 0, bracket[1] = t, bracket_f[0] = f, bracket_f[1] = f_new;
    bracket_g[0] = g, bracket_g[1] = g_new;
    bracket_size = 2;
  }

  // Zoom: shrink the bracket until a point satisfies the conditions.
  bool insufficient_progress = false;
  int low = bracket_f[0] <= bracket_f[bracket_size - 1] ? 0 : 1;
  int high = 1 - low;
  while (!done && ls_iter < max_ls) {
    if (std::abs(bracket[1] - bracket[0]) * d_norm < tolerance_change) break;
    t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]);
    // Keep t at least a tenth of the bracket away from its ends when progress stalls.
    const double b_max = std::max(bracket[0], bracket[1]), b_min = std::min(bracket[0], bracket[1]);
    const double eps = 0.1 * (b_max - b_min);
    if (std::min(b_max - t, t - b_min) < eps) {
      if (insufficient_progress || t >= b_max || t <= b_min) {
        t = std::abs(t - b_max) < std::abs(t - b_min) ? b_max - eps : b_min + eps;
        insufficient_progress = false;
      } else {
        insufficient_progress = true;
      }
    } else {
      insufficient_progress = false;
    }
    std::tie(f_new, g_new) = evaluate(t);
    evaluations += 1;
    gtd_new = g_new.dot(d);
    ls_iter += 1;

    if (f_new > f + c1 * t * gtd || f_new >= bracket_f[low]) {
      // Armijo fails or no lower than the lowest point: t becomes the high end.
      bracket[high] = t, bracket_f[high] = f_new, bracket_g[high] = g_new, bracket_gtd[high] = gtd_new;
      low = bracket_f[0] <= bracket_f[1] ? 0 : 1;
      high = 1 - low;
    } else {
      if (std::abs(gtd_new) <= -c2 * gtd) {
        done = true;
      } else if (gtd_new * (bracket[high] - bracket[low]) >= 0) {
        // The old low end becomes the high end.
        bracket[high] = bracket[low], bracket_f[high] = bracket_f[low];
        bracket_g[high] = bracket_g[low], bracket_gtd[high] = bracket_gtd[low];
      }
      bracket[low] = t, bracket_f[low] = f_new, bracket_g[low] = g_new, bracket_gtd[low] = gtd_new;
    }
  }
  return {bracket_f[low], bracket_g[low], bracket[low], evaluations};
}

}  // namespace tapegrad::optim
