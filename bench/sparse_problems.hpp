// The problems of sparse_bench.cpp, each with its hand-written gradient pieces and
// Hessian-vector product that the benchmark checks the library's results against:
// Broyden's banded function as a sum of squares (and its residuals) and a 2-D stencil
// energy.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "problems.hpp"

namespace bench::sparse {

namespace tg = tapegrad;

// Broyden's banded function as a sum of squares: r_i = x_i(2 + 5x_i²) + 1 − Σ x_j(1 + x_j)
// over j ∈ [i − 5, i + 1], j ≠ i, and f = Σ r_i². Its Hessian is a band of half-bandwidth 6.
struct Broyden {
  static constexpr const char* name = "broyden";
  std::size_t n;

  std::size_t first(std::size_t i) const { return i >= 5 ? i - 5 : 0; }
  std::size_t last(std::size_t i) const { return std::min(n - 1, i + 1); }
  std::vector<double> point(unsigned seed) const { return uniform(n, -1, 1, seed); }

  template <class X>
  X residual(std::span<const X> x, std::size_t i) const {
    X r = x[i] * (2.0 + 5.0 * sq(x[i])) + 1.0;
    for (std::size_t j = first(i); j <= last(i); ++j)
      if (j != i) r -= x[j] * (1.0 + x[j]);
    return r;
  }
  template <class X>
  X operator()(std::span<const X> x) const {
    X f = 0.0;
    for (std::size_t i = 0; i < n; ++i) f += sq(residual(x, i));
    return f;
  }
  template <class X>
  std::vector<X> residuals(std::span<const X> x) const {
    std::vector<X> r;
    r.reserve(n);
    for (std::size_t i = 0; i < n; ++i) r.push_back(residual(x, i));
    return r;
  }

  // J(i, j): 2 + 15x_i² on the diagonal, −(1 + 2x_j) in the window.
  double jacobian(const std::vector<double>& x, std::size_t i, std::size_t j) const {
    if (j == i) return 2 + 15 * x[i] * x[i];
    return j >= first(i) && j <= last(i) ? -(1 + 2 * x[j]) : 0.0;
  }
  // ∇f = 2Jᵀr.
  void gradient(const std::vector<double>& x, std::vector<double>& g) const {
    const std::vector<double> r = residuals(std::span<const double>(x));
    std::fill(g.begin(), g.end(), 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = first(i); j <= last(i); ++j) g[j] += 2 * r[i] * jacobian(x, i, j);
  }
  // H·v = 2Jᵀ(Jv) + 2 Σ r_i ∇²r_i v, where ∇²r_i is diagonal: 30x_i at i, −2 at the window's j.
  void hvp(const std::vector<double>& x, const std::vector<double>& v, std::vector<double>& hv) const {
    const std::vector<double> r = residuals(std::span<const double>(x));
    std::fill(hv.begin(), hv.end(), 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      double jv = 0;
      for (std::size_t j = first(i); j <= last(i); ++j) jv += jacobian(x, i, j) * v[j];
      for (std::size_t j = first(i); j <= last(i); ++j)
        hv[j] += 2 * jacobian(x, i, j) * jv + 2 * r[i] * (j == i ? 30 * x[i] : -2.0) * v[j];
    }
  }
};

// Broyden's residuals as a vector function (SparseJacobian: 7 colors, 5 + 1 + 1).
struct BroydenResiduals {
  Broyden problem;
  template <class X>
  std::vector<X> operator()(std::span<const X> x) const {
    return problem.residuals(x);
  }
};

// A nonlinear diffusion (minimal-surface) energy on an m × m grid, row-major:
// E(u) = Σ over horizontal and vertical neighbours k, l of √(1 + (u_l − u_k)²) + Σ_k ¼u_k⁴.
// Its Hessian has the 5-point stencil's pattern.
struct Stencil {
  static constexpr const char* name = "stencil";
  std::size_t m, n = m * m;

  std::vector<double> point(unsigned seed) const { return uniform(n, -1, 1, seed); }

  template <class X>
  X operator()(std::span<const X> u) const {
    using std::sqrt;
    X e = 0.0;
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t j = 0; j < m; ++j) {
        const std::size_t k = i * m + j;
        e += 0.25 * sq(sq(u[k]));
        if (j + 1 < m) e += sqrt(1.0 + sq(u[k + 1] - u[k]));
        if (i + 1 < m) e += sqrt(1.0 + sq(u[k + m] - u[k]));
      }
    return e;
  }

  // Calls edge(k, l) for every pair of neighbours.
  template <class Edge>
  void edges(Edge edge) const {
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t j = 0; j < m; ++j) {
        const std::size_t k = i * m + j;
        if (j + 1 < m) edge(k, k + 1);
        if (i + 1 < m) edge(k, k + m);
      }
  }
  // ∂E/∂u_k = u_k³, and per edge φ'(d) = d / √(1 + d²) with d = u_l − u_k (+ at l, − at k).
  void gradient(const std::vector<double>& u, std::vector<double>& g) const {
    for (std::size_t k = 0; k < n; ++k) g[k] = u[k] * u[k] * u[k];
    edges([&](std::size_t k, std::size_t l) {
      const double d = u[l] - u[k], slope = d / std::sqrt(1 + d * d);
      g[l] += slope;
      g[k] -= slope;
    });
  }
  // H·v: 3u_k²v_k, and per edge φ''(d)(v_l − v_k) with φ''(d) = (1 + d²)^(−3/2).
  void hvp(const std::vector<double>& u, const std::vector<double>& v, std::vector<double>& hv) const {
    for (std::size_t k = 0; k < n; ++k) hv[k] = 3 * u[k] * u[k] * v[k];
    edges([&](std::size_t k, std::size_t l) {
      const double d = u[l] - u[k], s = 1 + d * d;
      const double w = (v[l] - v[k]) / (s * std::sqrt(s));
      hv[l] += w;
      hv[k] -= w;
    });
  }
};

}  // namespace bench::sparse
