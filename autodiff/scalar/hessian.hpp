/// \file
/// Second derivatives by forward over reverse: f is recorded on a tape whose value type
/// is Dual<double>, with the inputs' tangents set to a direction v. Every local partial
/// then carries its own derivative along v, and one reverse sweep gives, in each input's
/// adjoint, the gradient (value part) and the Hessian-vector product H·v (tangent part):
/// about 2–3 gradients' worth of work, and no Hessian is ever formed.
///
///   hvp(f, x, v)       H(x)·v
///   hvp(f, x, V)       H(x)·V for a matrix of directions, vector_width of them per sweep
///   hessian(f, x)      the dense Hessian from n products, made exactly symmetric
///   HessianOperator    the same with one tape reused across calls (for Newton-type methods)
///
/// Vector mode: on a tape of Dual<double, vector_width> every local partial carries
/// vector_width tangents, so one sweep gives H times vector_width directions at once. It
/// shares the walk over the recording and the values among the directions, but the
/// tangents' arithmetic grows with the width: a dense Hessian that way measured as long
/// as n single products, so hessian() takes the products, and the sparse drivers
/// (sparse/), whose directions are the colors, take vector mode.
///
/// f is written generically, as for jvp (forward_mode.hpp): it receives a span of
/// BasicVar<Dual<double>>.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "dual.hpp"
#include "forward_mode.hpp"
#include "gradient.hpp"
#include "math.hpp"
#include "tape.hpp"
#include "var.hpp"

namespace tapegrad {

/// A Var of Duals: what a function written generically in its scalar type is called with for
/// forward-over-reverse second derivatives.
using DualVar = BasicVar<Dual<double>>;

/// A Var of Duals with vector_width tangents: what a generic function is called with by hvp(f, x, V) and
/// hessian().
using WideDualVar = BasicVar<Dual<double, vector_width>>;

namespace detail {
// H(x)·V, vector_width columns per forward-over-reverse sweep on a tape of its own; also
// writes ∇f(x) into `gradient` when it is not empty.
template <class F>
Eigen::MatrixXd hessian_times(F& f, std::span<const double> x, const Eigen::MatrixXd& directions,
                              std::span<double> gradient = {}) {
  using D = Dual<double, vector_width>;
  const auto n = static_cast<Eigen::Index>(x.size());
  Eigen::MatrixXd out(n, directions.cols());
  BasicTape<D> tape;
  std::vector<WideDualVar> xs(x.size());
  std::vector<D> adjoints(x.size());
  for (Eigen::Index first = 0; first == 0 || first < directions.cols(); first += vector_width) {
    const Eigen::Index width = std::min<Eigen::Index>(vector_width, directions.cols() - first);
    tape.clear();
    for (Eigen::Index i = 0; i < n; ++i) {
      std::array<double, vector_width> t{};
      for (Eigen::Index k = 0; k < width; ++k) t[static_cast<std::size_t>(k)] = directions(i, first + k);
      xs[static_cast<std::size_t>(i)] = D(x[static_cast<std::size_t>(i)], t);
    }
    const WideDualVar y(call_on(f, xs));
    tapegrad::gradient(y, std::span<const WideDualVar>(xs), std::span<D>(adjoints));
    for (Eigen::Index i = 0; i < n; ++i) {
      const D& a = adjoints[static_cast<std::size_t>(i)];
      if (first == 0 && !gradient.empty()) gradient[static_cast<std::size_t>(i)] = a.value();
      for (Eigen::Index k = 0; k < width; ++k) out(i, first + k) = a.tangent(static_cast<int>(k));
    }
    if (directions.cols() == 0) break;
  }
  return out;
}

// The n×n Hessian from n products: column j is H·e_j (product(v, out) writes H·v into
// out). The result is (H + Hᵀ)/2, symmetric to the last bit; the two triangles agree
// to rounding already.
template <class Product>
Eigen::MatrixXd hessian_from_products(std::size_t n, Product&& product) {
  Eigen::MatrixXd h(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
  std::vector<double> direction(n, 0.0), column(n);
  for (std::size_t j = 0; j < n; ++j) {
    direction[j] = 1;
    product(std::span<const double>(direction), std::span<double>(column));
    direction[j] = 0;
    for (std::size_t i = 0; i < n; ++i)
      h(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = column[i];
  }
  const Eigen::MatrixXd symmetric = (h + h.transpose()) / 2;
  return symmetric;
}
}  // namespace detail

/// f's value, gradient and Hessian-vector products at any point, on one tape of its own
/// that keeps its memory between calls. Its tape records Dual Vars while it lives.
template <class F>
class HessianOperator {
 public:
  /// The operator of `f`, a function of a span of DualVars returning one.
  explicit HessianOperator(F f) : f_(std::forward<F>(f)) {}
  HessianOperator(const HessianOperator&) = delete;
  HessianOperator& operator=(const HessianOperator&) = delete;

  /// Returns f(x); writes ∇f(x) into gradient and H(x)·v into hv (each of x's size).
  double hvp(std::span<const double> x, std::span<const double> v, std::span<double> gradient,
             std::span<double> hv) {
    detail::check_same_size(x.size(), v.size(), "hvp", "the direction v");
    detail::check_same_size(x.size(), gradient.size(), "hvp", "the gradient's buffer");
    detail::check_same_size(x.size(), hv.size(), "hvp", "the product's buffer");
    tape_.clear();
    vars_.resize(x.size());
    adjoints_.resize(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) vars_[i] = Dual<double>(x[i], v[i]);
    const DualVar y(detail::call_on(f_, vars_));
    tapegrad::gradient(y, std::span<const DualVar>(vars_), std::span<Dual<double>>(adjoints_));
    for (std::size_t i = 0; i < x.size(); ++i) {
      gradient[i] = adjoints_[i].value();
      hv[i] = adjoints_[i].tangent();
    }
    return y.value().value();
  }

  /// The dense Hessian at x, made exactly symmetric: n products (see hessian_from_products). Vector mode
  /// (hvp(f, x, V) with V the identity: ⌈n / vector_width⌉ sweeps) gives the same bits but measured no faster
  /// (bench/RESULTS.md, "Sparse derivatives": its sweeps' arithmetic grows with the width).
  Eigen::MatrixXd hessian(std::span<const double> x) {
    std::vector<double> gradient(x.size());
    return detail::hessian_from_products(
        x.size(), [&](std::span<const double> v, std::span<double> column) { hvp(x, v, gradient, column); });
  }

 private:
  F f_;
  BasicTape<Dual<double>> tape_;
  std::vector<DualVar> vars_;
  std::vector<Dual<double>> adjoints_;
};

/// H(x)·v of `f`, a function written generically (it is called with DualVars): one forward-over-reverse pass,
/// about the cost of two gradients.
///
/// \snippet test_doc_examples.cpp hessian
template <class F>
std::vector<double> hvp(F&& f, std::span<const double> x, std::span<const double> v) {
  HessianOperator<F&> op(f);
  std::vector<double> gradient(x.size()), hv(x.size());
  op.hvp(x, v, gradient, hv);
  return hv;
}
/// hvp() with std::vectors.
template <class F>
std::vector<double> hvp(F&& f, const std::vector<double>& x, const std::vector<double>& v) {
  return hvp(f, std::span<const double>(x), std::span<const double>(v));
}

/// H(x)·V for every column of V (n rows, any number of columns, known at run time): ⌈columns / vector_width⌉
/// forward-over-reverse sweeps, each carrying vector_width directions. f is written generically.
///@{
template <class F, class Directions>
Eigen::MatrixXd hvp(F&& f, std::span<const double> x, const Eigen::MatrixBase<Directions>& directions) {
  detail::check_same_size(x.size(), static_cast<std::size_t>(directions.rows()), "hvp", "the directions");
  return detail::hessian_times(f, x, Eigen::MatrixXd(directions));
}
template <class F, class Directions>
Eigen::MatrixXd hvp(F&& f, const std::vector<double>& x, const Eigen::MatrixBase<Directions>& directions) {
  return hvp(f, std::span<const double>(x), directions);
}
///@}

/// The dense Hessian of `f` at `x`, symmetrized: n Hessian-vector products (n = x's size).
template <class F>
Eigen::MatrixXd hessian(F&& f, std::span<const double> x) {
  HessianOperator<F&> op(f);
  return op.hessian(x);
}
/// hessian() with a std::vector.
template <class F>
Eigen::MatrixXd hessian(F&& f, const std::vector<double>& x) {
  return hessian(f, std::span<const double>(x));
}

}  // namespace tapegrad
