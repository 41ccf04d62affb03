/// \file
/// Forward mode: jvp(f, x, v) evaluates f on Dual numbers whose tangents are v and
/// returns f(x) with its directional derivative J(x)·v in one pass, no tape. The
/// function-form jacobian(f, x) picks forward mode (one pass per input) when f has fewer
/// inputs than outputs and reverse mode (one recording, one sweep per output) otherwise.
///
/// The function f is written once, generically (`[](auto x) { … }` or a template): it
/// receives the inputs as a std::span of numbers of whatever type the mode needs (Dual,
/// Var, BasicVar<Dual>), or a const std::vector of them when it does not take a span,
/// and returns one number or expression (scalar functions) or a std::vector of them.
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "dual.hpp"
#include "gradient.hpp"
#include "math.hpp"

namespace tapegrad {

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

/// How jacobian() computes J: by forward passes (one per input), reverse sweeps (one per output), or
/// whichever needs fewer.
enum class JacobianMode {
  Auto,     ///< forward when there are fewer inputs than outputs, else reverse
  Forward,  ///< one pass on Duals per input
  Reverse,  ///< one recording, one reverse sweep per output
};

/// J(i, j) = ∂f_i/∂x_j of f: span of numbers → std::vector of numbers.
///@{
template <class F>
Eigen::MatrixXd jacobian(F&& f, std::span<const double> x, JacobianMode mode = JacobianMode::Auto) {
  const std::size_t n = x.size();
  if (mode != JacobianMode::Reverse && n > 0) {
    // Column k is one forward pass along e_k; the first also says how many outputs
    // there are, which Auto needs to choose (a pass on Duals costs less than a recording).
    std::vector<double> direction(n, 0.0);
    Eigen::MatrixXd j;
    for (std::size_t k = 0; k < n; ++k) {
      direction[k] = 1;
      const JacobianVectorProduct column = jvp(f, x, std::span<const double>(direction));
      direction[k] = 0;
      if (k == 0) {
        if (mode == JacobianMode::Auto && n >= column.derivative.size()) break;
        j.resize(static_cast<Eigen::Index>(column.derivative.size()), static_cast<Eigen::Index>(n));
      }
      if (static_cast<Eigen::Index>(column.derivative.size()) != j.rows())
        throw Error("jacobian: f returned " + std::to_string(j.rows()) + " outputs, then " +
                    std::to_string(column.derivative.size()));
      j.col(static_cast<Eigen::Index>(k)) =
          Eigen::Map<const Eigen::VectorXd>(column.derivative.data(), j.rows());
    }
    if (j.size() > 0 || mode == JacobianMode::Forward) return j;
  }
  // Reverse mode: one recording, one sweep per output.
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
