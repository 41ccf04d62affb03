/// \file
/// Forward mode: jvp(f, x, v) evaluates f on Dual numbers whose tangents are v and
/// returns f(x) with its directional derivative J(x)·v in one pass, no tape; jvp(f, x, V)
/// does the same for every column of a matrix V of directions, vector_width of them per
/// pass (Dual<double, vector_width>). The function-form jacobian(f, x) picks forward mode
/// (⌈n / vector_width⌉ passes) when f has fewer inputs than outputs and reverse mode (one
/// recording, sweeps carrying several outputs each) otherwise.
///
/// The function f is written once, generically (`[](auto x) { … }` or a template): it
/// receives the inputs as a std::span of numbers of whatever type the mode needs (Dual,
/// Var, BasicVar<Dual>), or a const std::vector of them when it does not take a span,
/// and returns one number or expression (scalar functions) or a std::vector of them.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "dual.hpp"
#include "gradient.hpp"
#include "math.hpp"

namespace tapegrad {

/// How many directions one pass of the functions that take a runtime number of them carries (jvp and hvp with
/// a matrix of directions, hessian(), jacobian()'s forward mode, the sparse drivers): they run on
/// Dual<double, vector_width>, and the last pass's unused tangents are zero. Eight doubles of tangents are
/// one cache line, and the per-operation work of a pass (the value, the partials, the walk over the operands)
/// is shared by eight directions.
inline constexpr int vector_width = 8;

namespace detail {

// f(xs) with xs as a span, or as the vector itself when f does not take spans.
template <class F, class X>
decltype(auto) call_on(F& f, const std::vector<X>& xs) {
  if constexpr (std::is_invocable_v<F&, std::span<const X>>)
    return f(std::span<const X>(xs));
  else
    return f(xs);
}

template <class R>
struct IsVector : std::false_type {};
template <class X, class A>
struct IsVector<std::vector<X, A>> : std::true_type {};

inline void check_same_size(std::size_t x, std::size_t v, const char* operation, const char* what) {
  if (x != v)
    throw Error(std::string("") + operation + ": x has " + std::to_string(x) + " entries but " + what +
                " has " + std::to_string(v));
}

template <class D>
std::vector<D> duals(std::span<const double> x, std::span<const double> v) {
  std::vector<D> xs;
  xs.reserve(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) xs.emplace_back(x[i], v[i]);
  return xs;
}

}  // namespace detail

/// f(x) and ∇f(x)·v of a scalar function.
struct DirectionalDerivative {
  /// f(x).
  double value = 0;
  /// ∇f(x)·v.
  double derivative = 0;
};
/// f(x) and J(x)·v of a vector function.
struct JacobianVectorProduct {
  /// f(x).
  std::vector<double> value;
  /// J(x)·v.
  std::vector<double> derivative;
};

/// One forward pass of f on Duals x + v·ε.
///@{
template <class F>
auto jvp(F&& f, std::span<const double> x, std::span<const double> v) {
  detail::check_same_size(x.size(), v.size(), "jvp", "the direction v");
  using D = Dual<double>;
  const std::vector<D> xs = detail::duals<D>(x, v);
  const auto y = detail::call_on(f, xs);
  if constexpr (detail::IsVector<std::remove_cvref_t<decltype(y)>>::value) {
    JacobianVectorProduct out;
    for (const auto& yi : y) {
      const D d(yi);
      out.value.push_back(d.value());
      out.derivative.push_back(d.tangent());
    }
    return out;
  } else {
    const D d(y);
    return DirectionalDerivative{d.value(), d.tangent()};
  }
}
template <class F>
auto jvp(F&& f, const std::vector<double>& x, const std::vector<double>& v) {
  return jvp(f, std::span<const double>(x), std::span<const double>(v));
}
///@}

/// f(x) and J(x)·V of a vector function (or ∇f(x)ᵀV of a scalar one, as a 1-row matrix) for the directions
/// that are V's columns.
struct JacobianMatrixProduct {
  /// f(x).
  std::vector<double> value;
  /// J(x)·V: one row per output, one column per direction.
  Eigen::MatrixXd derivative;
};

namespace detail {
// One forward pass of f on Duals carrying `width` ≤ vector_width directions (the other
// tangents zero). Returns f's values; tangents[i][k] is output i's derivative along
// direction k.
// `direction(i, k)` is input i's entry of direction k (k < `width`).
template <class F, class Direction>
std::vector<double> jvp_pass(F& f, std::span<const double> x, Eigen::Index width, Direction&& direction,
                             std::vector<std::array<double, vector_width>>& tangents) {
  using D = Dual<double, vector_width>;
  std::vector<D> xs;
  xs.reserve(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    std::array<double, vector_width> t{};
    for (Eigen::Index k = 0; k < width; ++k) t[static_cast<std::size_t>(k)] = direction(i, k);
    xs.emplace_back(x[i], t);
  }
  const auto y = call_on(f, xs);
  std::vector<double> values;
  tangents.clear();
  auto take = [&](const D& d) {
    values.push_back(d.value());
    tangents.push_back(d.tangents());
  };
  if constexpr (IsVector<std::remove_cvref_t<decltype(y)>>::value) {
    for (const auto& yi : y) take(D(yi));
  } else {
    take(D(y));
  }
  return values;
}
// Writes a pass's tangents into columns first … of `out` (one row per output).
inline void store_pass(const std::vector<std::array<double, vector_width>>& tangents, Eigen::Index first,
                       Eigen::MatrixXd& out) {
  const Eigen::Index width = std::min<Eigen::Index>(vector_width, out.cols() - first);
  for (std::size_t i = 0; i < tangents.size(); ++i)
    for (Eigen::Index k = 0; k < width; ++k)
      out(static_cast<Eigen::Index>(i), first + k) = tangents[i][static_cast<std::size_t>(k)];
}
inline void check_same_outputs(std::size_t first_pass, std::size_t now, const char* operation) {
  if (now != first_pass)
    throw Error(std::string(operation) + ": f returned " + std::to_string(first_pass) + " outputs, then " +
                std::to_string(now));
}
}  // namespace detail

/// f(x) and J(x)·V for every column of V (n rows, any number of columns, known at run time): ⌈columns /
/// vector_width⌉ forward passes on Dual<double, vector_width>, each carrying vector_width directions. f is
/// written generically, as for jvp(f, x, v).
template <class F, class Directions>
JacobianMatrixProduct jvp(F&& f, std::span<const double> x, const Eigen::MatrixBase<Directions>& matrix) {
  const Eigen::MatrixXd directions = matrix;
  if (static_cast<std::size_t>(directions.rows()) != x.size())
    throw Error("jvp: x has " + std::to_string(x.size()) + " entries but the directions have " +
                std::to_string(directions.rows()) + " rows");
  JacobianMatrixProduct out;
  std::vector<std::array<double, vector_width>> tangents;
  for (Eigen::Index first = 0; first == 0 || first < directions.cols(); first += vector_width) {
    const Eigen::Index width = std::min<Eigen::Index>(vector_width, directions.cols() - first);
    std::vector<double> values = detail::jvp_pass(
        f, x, width,
        [&](std::size_t i, Eigen::Index k) { return directions(static_cast<Eigen::Index>(i), first + k); },
        tangents);
    if (first == 0) {
      out.value = std::move(values);
      out.derivative.setZero(static_cast<Eigen::Index>(out.value.size()), directions.cols());
    } else {
      detail::check_same_outputs(out.value.size(), values.size(), "jvp");
    }
    detail::store_pass(tangents, first, out.derivative);
  }
  return out;
}
/// jvp(f, x, V) with x as a std::vector.
template <class F, class Directions>
JacobianMatrixProduct jvp(F&& f, const std::vector<double>& x,
                          const Eigen::MatrixBase<Directions>& directions) {
  return jvp(f, std::span<const double>(x), directions);
}

/// How jacobian() computes J: by forward passes (one per input), reverse sweeps (one per output), or
/// whichever needs fewer.
enum class JacobianMode {
  Auto,     ///< forward when there are fewer inputs than outputs, else reverse
  Forward,  ///< passes on Duals carrying vector_width inputs' directions each
  Reverse,  ///< one recording, sweeps carrying several outputs' adjoints each
};

/// J(i, j) = ∂f_i/∂x_j of f: span of numbers → std::vector of numbers.
///@{
template <class F>
Eigen::MatrixXd jacobian(F&& f, std::span<const double> x, JacobianMode mode = JacobianMode::Auto) {
  const std::size_t n = x.size();
  if (mode != JacobianMode::Reverse && n > 0) {
    // The first pass also says how many outputs there are, which Auto needs to choose (a
    // pass on Duals costs less than a recording).
    const auto columns = static_cast<Eigen::Index>(n);
    std::vector<std::array<double, vector_width>> tangents;
    Eigen::MatrixXd j;
    for (Eigen::Index first = 0; first < columns; first += vector_width) {
      // The unit directions of inputs first … first+width-1.
      const Eigen::Index width = std::min<Eigen::Index>(vector_width, columns - first);
      const std::vector<double> values = detail::jvp_pass(
          f, x, width,
          [&](std::size_t i, Eigen::Index k) {
            return static_cast<Eigen::Index>(i) == first + k ? 1.0 : 0.0;
          },
          tangents);
      if (first == 0) {
        if (mode == JacobianMode::Auto && n >= values.size()) break;
        j.setZero(static_cast<Eigen::Index>(values.size()), static_cast<Eigen::Index>(n));
      } else {
        detail::check_same_outputs(static_cast<std::size_t>(j.rows()), values.size(), "jacobian");
      }
      detail::store_pass(tangents, first, j);
    }
    if (j.size() > 0 || mode == JacobianMode::Forward) return j;
  }
  // Reverse mode: one recording, sweeps carrying several outputs each.
  Tape tape;
  std::vector<Var> xs(x.begin(), x.end());
  std::vector<Var> ys;
  for (const auto& y : detail::call_on(f, xs)) ys.emplace_back(y);
  return jacobian(std::span<const Var>(ys), std::span<const Var>(xs));
}
template <class F>
Eigen::MatrixXd jacobian(F&& f, const std::vector<double>& x, JacobianMode mode = JacobianMode::Auto) {
  return jacobian(f, std::span<const double>(x), mode);
}
///@}

}  // namespace tapegrad
