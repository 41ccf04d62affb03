/// \file
/// Dual<T, N>: a forward-mode (tangent) number v + Σₖ dₖ·εₖ with εⱼεₖ = 0, carrying N
/// tangents at once (vector mode; N = 1 is the plain dual number). Evaluating f on Duals
/// whose k-th tangents are a direction uₖ gives f(x) and the N directional derivatives
/// ∇f(x)·uₖ in one pass (jvp in forward_mode.hpp). As the value type of the tape
/// (BasicVar<Dual<double, N>>) every local partial carries its own N tangents, so one
/// reverse sweep yields the gradient and N Hessian-vector products H·uₖ together
/// (forward over reverse; hessian.hpp).
///
/// Its math functions are not written here: each one is generated from its rule in
/// rules.hpp (value, and partial × tangent), so the rules stay written once and a new
/// rule works on Duals with no edit. Nested Duals (Dual<Dual<double>>) work the same way.
/// Comparisons compare values, so branches follow the value as they do on Vars.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <ostream>
#include <type_traits>
#include <utility>

#include "along.hpp"
#include "rules.hpp"

namespace tapegrad {

/// A dual number value + Σₖ tangentₖ·εₖ (εⱼεₖ = 0) with N tangents: forward-mode derivatives in N directions
/// at once. Arithmetic and the math functions on Duals carry the tangents by the same rules as the tape; a
/// Var of Duals (DualVar) records forward over reverse, which is how the Hessian functions work. T may itself
/// be a Dual, for higher derivatives. N is fixed at compile time; functions that take a runtime number of
/// directions (jvp and hvp with a matrix of directions, hessian(), the sparse drivers) run them in passes of
/// a fixed width (vector_width).
template <class T, int N = 1>
class Dual {
  static_assert(N >= 1, "a Dual carries at least one tangent");

 public:
  /// The type of the value and the tangents.
  using value_type = T;
  /// The number of tangents.
  static constexpr int width = N;

  Dual() = default;
  /// The number `value`, with tangents 0.
  Dual(const T& value) : value_(value) {}  // NOLINT: a number is a Dual with tangent 0
  /// The number `value` converted to T, with tangents 0.
  template <class S>
  requires(std::is_arithmetic_v<S> && !std::is_same_v<S, T>) Dual(S value)  // NOLINT: as above
      : value_(static_cast<T>(value)) {}
  /// value + tangent·ε (one tangent).
  Dual(const T& value, const T& tangent) requires(N == 1) : value_(value), tangent_{tangent} {}
  /// value + Σₖ tangents[k]·εₖ.
  Dual(const T& value, const std::array<T, N>& tangents) : value_(value), tangent_(tangents) {}

  /// The value.
  const T& value() const noexcept { return value_; }
  /// The tangent (the derivative in the seeded direction), for one tangent.
  const T& tangent() const noexcept requires(N == 1) { return tangent_[0]; }
  /// The k-th tangent (the derivative in the k-th seeded direction).
  const T& tangent(int k) const noexcept { return tangent_[static_cast<std::size_t>(k)]; }
  /// Every tangent.
  const std::array<T, N>& tangents() const noexcept { return tangent_; }
  /// Sets the tangent, for one tangent.
  void set_tangent(const T& tangent) noexcept requires(N == 1) { tangent_[0] = tangent; }
  /// Sets the k-th tangent.
  void set_tangent(int k, const T& tangent) noexcept { tangent_[static_cast<std::size_t>(k)] = tangent; }

  /// this + b.
  Dual& operator+=(const Dual& b) {
    value_ += b.value_;
    for (std::size_t k = 0; k < tangent_.size(); ++k) tangent_[k] += b.tangent_[k];
    return *this;
  }
  /// this − b.
  Dual& operator-=(const Dual& b) {
    value_ -= b.value_;
    for (std::size_t k = 0; k < tangent_.size(); ++k) tangent_[k] -= b.tangent_[k];
    return *this;
  }
  /// this · b.
  Dual& operator*=(const Dual& b) {
    for (std::size_t k = 0; k < tangent_.size(); ++k)
      tangent_[k] = tangent_[k] * b.value_ + value_ * b.tangent_[k];
    value_ *= b.value_;
    return *this;
  }
  /// this / b.
  Dual& operator/=(const Dual& b) {
    value_ /= b.value_;
    for (std::size_t k = 0; k < tangent_.size(); ++k)
      tangent_[k] = (tangent_[k] - value_ * b.tangent_[k]) / b.value_;
    return *this;
  }

  /// −a.
  friend Dual operator-(const Dual& a) {
    Dual r(-a.value_);
    for (std::size_t k = 0; k < r.tangent_.size(); ++k) r.tangent_[k] = -a.tangent_[k];
    return r;
  }
  /// a.
  friend Dual operator+(const Dual& a) { return a; }
  /// a + b.
  friend Dual operator+(Dual a, const Dual& b) { return a += b; }
  /// a − b.
  friend Dual operator-(Dual a, const Dual& b) { return a -= b; }
  /// a · b.
  friend Dual operator*(Dual a, const Dual& b) { return a *= b; }
  /// a / b.
  friend Dual operator/(Dual a, const Dual& b) { return a /= b; }
  /// A number on either side: tangent 0, and no multiplication by it.
  ///@{
  friend Dual operator*(const Dual& a, const T& s) {
    Dual r(a.value_ * s);
    for (std::size_t k = 0; k < r.tangent_.size(); ++k) r.tangent_[k] = a.tangent_[k] * s;
    return r;
  }
  friend Dual operator*(const T& s, const Dual& a) {
    Dual r(s * a.value_);
    for (std::size_t k = 0; k < r.tangent_.size(); ++k) r.tangent_[k] = s * a.tangent_[k];
    return r;
  }
  ///@}

  /// Compares values only (the tangents are not compared).
  friend bool operator==(const Dual& a, const Dual& b) { return a.value_ == b.value_; }
  /// Orders by value only.
  friend auto operator<=>(const Dual& a, const Dual& b) { return a.value_ <=> b.value_; }

  /// Writes "value + tangent·ε" (N > 1: "value + [t0, t1, …]·ε").
  friend std::ostream& operator<<(std::ostream& out, const Dual& a) {
    out << a.value_ << " + ";
    if constexpr (N == 1) {
      out << a.tangent_[0];
    } else {
      out << "[";
      for (std::size_t k = 0; k < a.tangent_.size(); ++k) out << (k > 0 ? ", " : "") << a.tangent_[k];
      out << "]";
    }
    return out << "ε";
  }

 private:
  T value_{};
  std::array<T, N> tangent_{};
};

/// Arithmetic and comparisons with plain numbers (2.0 * x, x < 0).
template <class T, class S>
concept DualOperand = std::is_arithmetic_v<S> && !std::is_same_v<S, T>;

/// a + b with a plain number.
template <class T, int N, class S>
requires DualOperand<T, S> Dual<T, N>
operator+(const Dual<T, N>& a, S b) { return a + Dual<T, N>(b); }
/// a + b with a plain number.
template <class T, int N, class S>
requires DualOperand<T, S> Dual<T, N>
operator+(S a, const Dual<T, N>& b) { return Dual<T, N>(a) + b; }
/// a − b with a plain number.
template <class T, int N, class S>
requires DualOperand<T, S> Dual<T, N>
operator-(const Dual<T, N>& a, S b) { return a - Dual<T, N>(b); }
/// a − b with a plain number.
template <class T, int N, class S>
requires DualOperand<T, S> Dual<T, N>
operator-(S a, const Dual<T, N>& b) { return Dual<T, N>(a) - b; }
/// a · b with a plain number.
template <class T, int N, class S>
requires DualOperand<T, S> Dual<T, N>
operator*(const Dual<T, N>& a, S b) { return a * T(b); }
/// a · b with a plain number.
template <class T, int N, class S>
requires DualOperand<T, S> Dual<T, N>
operator*(S a, const Dual<T, N>& b) { return T(a) * b; }
/// a / b with a plain number.
template <class T, int N, class S>
requires DualOperand<T, S> Dual<T, N>
operator/(const Dual<T, N>& a, S b) { return a / Dual<T, N>(b); }
/// a / b with a plain number.
template <class T, int N, class S>
requires DualOperand<T, S> Dual<T, N>
operator/(S a, const Dual<T, N>& b) { return Dual<T, N>(a) / b; }
/// Compares the value with a plain number.
template <class T, int N, class S>
requires DualOperand<T, S>
bool operator==(const Dual<T, N>& a, S b) { return a.value() == T(b); }
/// Orders the value against a plain number.
template <class T, int N, class S>
requires DualOperand<T, S>
auto operator<=>(const Dual<T, N>& a, S b) { return a.value() <=> T(b); }

// ------------------------------------------------- the math functions, from the rules

namespace detail {
// tangents (+)= partial · operand's tangents, each as along() would: a finite partial is a
// plain product per tangent (a zero tangent gives zero), so the loop has no branch.
template <class T, int N, std::size_t M>
void add_along(std::array<T, M>& tangents, bool first, const T& partial, const Dual<T, N>& operand) {
  const auto& u = operand.tangents();
  if (finite_number(partial)) {
    if (first)
      for (std::size_t k = 0; k < tangents.size(); ++k) tangents[k] = partial * u[k];
    else
      for (std::size_t k = 0; k < tangents.size(); ++k) tangents[k] += partial * u[k];
  } else {
    for (std::size_t k = 0; k < tangents.size(); ++k)
      tangents[k] = first ? along(partial, u[k]) : tangents[k] + along(partial, u[k]);
  }
}
// y + Σ partialᵢ·tangentsᵢ for each of the N tangents: the result of a rule on Duals, the
// operands' terms added in order.
template <class T, int N, class... Operands>
Dual<T, N> chain(const T& y, const Operands&... partial_and_operand) {
  std::array<T, N> tangents;
  bool first = true;
  ((add_along(tangents, first, partial_and_operand.first, partial_and_operand.second), first = false), ...);
  return Dual<T, N>(y, tangents);
}
template <class T, int N>
std::pair<T, const Dual<T, N>&> with(const T& partial, const Dual<T, N>& operand) {
  return {partial, operand};
}
}  // namespace detail

#define TAPEGRAD_DUAL_UNARY(Rule, function)                                             \
  template <class T, int N>                                                             \
  Dual<T, N> function(const Dual<T, N>& x) {                                            \
    const T y = rules::Rule::value(x.value());                                          \
    return detail::chain<T, N>(y, detail::with(rules::Rule::partial(x.value(), y), x)); \
  }
#define TAPEGRAD_DUAL_BINARY(Rule, function)                                                  \
  template <class T, int N>                                                                   \
  Dual<T, N> function(const Dual<T, N>& a, const Dual<T, N>& b) {                             \
    const T y = rules::Rule::value(a.value(), b.value());                                     \
    return detail::chain<T, N>(y, detail::with(rules::Rule::d_a(a.value(), b.value(), y), a), \
                               detail::with(rules::Rule::d_b(a.value(), b.value(), y), b));   \
  }                                                                                           \
  template <class T, int N, class S>                                                          \
  requires DualOperand<T, S> Dual<T, N> function(const Dual<T, N>& a, S b) {                  \
    return function(a, Dual<T, N>(b));                                                        \
  }                                                                                           \
  template <class T, int N, class S>                                                          \
  requires DualOperand<T, S> Dual<T, N> function(S a, const Dual<T, N>& b) {                  \
    return function(Dual<T, N>(a), b);                                                        \
  }
#define TAPEGRAD_DUAL_TERNARY(Rule, function)                                                            \
  template <class T, int N>                                                                              \
  Dual<T, N> function(const Dual<T, N>& a, const Dual<T, N>& b, const Dual<T, N>& c) {                   \
    const T y = rules::Rule::value(a.value(), b.value(), c.value());                                     \
    return detail::chain<T, N>(y, detail::with(rules::Rule::d_a(a.value(), b.value(), c.value(), y), a), \
                               detail::with(rules::Rule::d_b(a.value(), b.value(), c.value(), y), b),    \
                               detail::with(rules::Rule::d_c(a.value(), b.value(), c.value(), y), c));   \
  }
TAPEGRAD_UNARY_FUNCTIONS(TAPEGRAD_DUAL_UNARY)
TAPEGRAD_BINARY_FUNCTIONS(TAPEGRAD_DUAL_BINARY)
TAPEGRAD_TERNARY_FUNCTIONS(TAPEGRAD_DUAL_TERNARY)
#undef TAPEGRAD_DUAL_UNARY
#undef TAPEGRAD_DUAL_BINARY
#undef TAPEGRAD_DUAL_TERNARY

/// The `<cmath>` names the rules call that are no rule of their own: fabs, nearbyint
/// (round's value) and trunc (piecewise constant, derivative 0), and the checks.
template <class T, int N>
Dual<T, N> fabs(const Dual<T, N>& x) {
  return abs(x);
}
/// The nearest integer (ties to even); tangent 0.
template <class T, int N>
Dual<T, N> nearbyint(const Dual<T, N>& x) {
  return round(x);
}
/// The integer part; tangent 0.
template <class T, int N>
Dual<T, N> trunc(const Dual<T, N>& x) {
  using std::trunc;
  return Dual<T, N>(trunc(x.value()));
}
/// True when the value and the tangent are finite.
template <class T, int N>
bool isfinite(const Dual<T, N>& x) {
  using std::isfinite;
  if (!isfinite(x.value())) return false;
  for (const T& t : x.tangents())
    if (!isfinite(t)) return false;
  return true;
}
/// True when the value or the tangent is NaN.
template <class T, int N>
bool isnan(const Dual<T, N>& x) {
  using std::isnan;
  if (isnan(x.value())) return true;
  for (const T& t : x.tangents())
    if (isnan(t)) return true;
  return false;
}

/// The value of a number of any nesting depth as a double (for reports and checks).
///@{
inline double primal(double x) { return x; }
inline double primal(float x) { return x; }
template <class T, int N>
double primal(const Dual<T, N>& x) {
  return primal(x.value());
}
///@}

}  // namespace tapegrad
