/// \file
/// Dual<T>: a forward-mode (tangent) number v + d·ε with ε² = 0. Evaluating f on Duals
/// whose tangents are a direction u gives f(x) and its directional derivative ∇f(x)·u in
/// one pass (jvp in second_order.hpp). As the value type of the tape
/// (BasicVar<Dual<double>>) every local partial carries its own tangent, so one reverse
/// sweep yields the gradient and the Hessian-vector product H·u together
/// (forward over reverse).
///
/// Its math functions are not written here: each one is generated from its rule in
/// rules.hpp (value, and partial × tangent), so the rules stay written once and a new
/// rule works on Duals with no edit. Nested Duals (Dual<Dual<double>>) work the same way.
/// Comparisons compare values, so branches follow the value as they do on Vars.
#pragma once

#include <cmath>
#include <ostream>
#include <type_traits>

#include "rules.hpp"

namespace tapegrad {

/// A dual number value + tangent·ε (ε² = 0): forward-mode derivatives. Arithmetic and the math functions on
/// Duals carry the tangent by the same rules as the tape; a Var of Duals (DualVar) records forward over
/// reverse, which is how the Hessian functions work. T may itself be a Dual, for higher derivatives.
template <class T>
class Dual {
 public:
  /// The type of the value and the tangent.
  using value_type = T;

  Dual() = default;
  /// The number `value`, with tangent 0.
  Dual(const T& value) : value_(value) {}  // NOLINT: a number is a Dual with tangent 0
  /// The number `value` converted to T, with tangent 0.
  template <class S>
  requires(std::is_arithmetic_v<S> && !std::is_same_v<S, T>) Dual(S value)  // NOLINT: as above
      : value_(static_cast<T>(value)) {}
  /// value + tangent·ε.
  Dual(const T& value, const T& tangent) : value_(value), tangent_(tangent) {}

  /// The value.
  const T& value() const noexcept { return value_; }
  /// The tangent (the derivative in the seeded direction).
  const T& tangent() const noexcept { return tangent_; }
  /// Sets the tangent.
  void set_tangent(const T& tangent) noexcept { tangent_ = tangent; }

  /// this + b.
  Dual& operator+=(const Dual& b) {
    value_ += b.value_;
    tangent_ += b.tangent_;
    return *this;
  }
  /// this − b.
  Dual& operator-=(const Dual& b) {
    value_ -= b.value_;
    tangent_ -= b.tangent_;
    return *this;
  }
  /// this · b.
  Dual& operator*=(const Dual& b) {
    tangent_ = tangent_ * b.value_ + value_ * b.tangent_;
    value_ *= b.value_;
    return *this;
  }
  /// this / b.
  Dual& operator/=(const Dual& b) {
    value_ /= b.value_;
    tangent_ = (tangent_ - value_ * b.tangent_) / b.value_;
    return *this;
  }

  /// −a.
  friend Dual operator-(const Dual& a) { return {-a.value_, -a.tangent_}; }
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
  friend Dual operator*(const Dual& a, const T& s) { return {a.value_ * s, a.tangent_ * s}; }
  friend Dual operator*(const T& s, const Dual& a) { return {s * a.value_, s * a.tangent_}; }
  ///@}

  /// Compares values only (the tangents are not compared).
  friend bool operator==(const Dual& a, const Dual& b) { return a.value_ == b.value_; }
  /// Orders by value only.
  friend auto operator<=>(const Dual& a, const Dual& b) { return a.value_ <=> b.value_; }

  /// Writes "value + tangent·ε".
  friend std::ostream& operator<<(std::ostream& out, const Dual& a) {
    return out << a.value_ << " + " << a.tangent_ << "ε";
  }

 private:
  T value_{};
  T tangent_{};
};

/// Arithmetic and comparisons with plain numbers (2.0 * x, x < 0).
template <class T, class S>
concept DualOperand = std::is_arithmetic_v<S> && !std::is_same_v<S, T>;

/// a + b with a plain number.
template <class T, class S>
requires DualOperand<T, S> Dual<T>
operator+(const Dual<T>& a, S b) { return a + Dual<T>(b); }
/// a + b with a plain number.
template <class T, class S>
requires DualOperand<T, S> Dual<T>
operator+(S a, const Dual<T>& b) { return Dual<T>(a) + b; }
/// a − b with a plain number.
template <class T, class S>
requires DualOperand<T, S> Dual<T>
operator-(const Dual<T>& a, S b) { return a - Dual<T>(b); }
/// a − b with a plain number.
template <class T, class S>
requires DualOperand<T, S> Dual<T>
operator-(S a, const Dual<T>& b) { return Dual<T>(a) - b; }
/// a · b with a plain number.
template <class T, class S>
requires DualOperand<T, S> Dual<T>
operator*(const Dual<T>& a, S b) { return a * T(b); }
/// a · b with a plain number.
template <class T, class S>
requires DualOperand<T, S> Dual<T>
operator*(S a, const Dual<T>& b) { return T(a) * b; }
/// a / b with a plain number.
template <class T, class S>
requires DualOperand<T, S> Dual<T>
operator/(const Dual<T>& a, S b) { return a / Dual<T>(b); }
/// a / b with a plain number.
template <class T, class S>
requires DualOperand<T, S> Dual<T>
operator/(S a, const Dual<T>& b) { return Dual<T>(a) / b; }
/// Compares the value with a plain number.
template <class T, class S>
requires DualOperand<T, S>
bool operator==(const Dual<T>& a, S b) { return a.value() == T(b); }
/// Orders the value against a plain number.
template <class T, class S>
requires DualOperand<T, S>
auto operator<=>(const Dual<T>& a, S b) { return a.value() <=> T(b); }

// ------------------------------------------------- the math functions, from the rules

namespace detail {
// Exactly zero, tangents included at every nesting depth (comparisons see values only).
inline bool is_exact_zero(double x) { return x == 0; }
inline bool is_exact_zero(float x) { return x == 0; }
template <class T>
bool is_exact_zero(const Dual<T>& x) {
  return is_exact_zero(x.value()) && is_exact_zero(x.tangent());
}
// partial · tangent, where a zero tangent contributes nothing even when the partial is
// infinite or NaN: pow(x, 2) with the exponent a constant must not take log(x) < 0's
// NaN into x's tangent.
template <class T>
T along(const T& partial, const T& tangent) {
  return is_exact_zero(tangent) ? T(0) : partial * tangent;
}
}  // namespace detail

#define TAPEGRAD_DUAL_UNARY(Rule, function)                                     \
  template <class T>                                                            \
  Dual<T> function(const Dual<T>& x) {                                          \
    const T y = rules::Rule::value(x.value());                                  \
    return {y, detail::along(rules::Rule::partial(x.value(), y), x.tangent())}; \
  }
#define TAPEGRAD_DUAL_BINARY(Rule, function)                                                             \
  template <class T>                                                                                     \
  Dual<T> function(const Dual<T>& a, const Dual<T>& b) {                                                 \
    const T y = rules::Rule::value(a.value(), b.value());                                                \
    return {y, detail::along(rules::Rule::d_a(a.value(), b.value(), y), a.tangent()) +                   \
                   detail::along(rules::Rule::d_b(a.value(), b.value(), y), b.tangent())};               \
  }                                                                                                      \
  template <class T, class S>                                                                            \
  requires DualOperand<T, S> Dual<T> function(const Dual<T>& a, S b) { return function(a, Dual<T>(b)); } \
  template <class T, class S>                                                                            \
  requires DualOperand<T, S> Dual<T> function(S a, const Dual<T>& b) { return function(Dual<T>(a), b); }
#define TAPEGRAD_DUAL_TERNARY(Rule, function)                                                         \
  template <class T>                                                                                  \
  Dual<T> function(const Dual<T>& a, const Dual<T>& b, const Dual<T>& c) {                            \
    const T y = rules::Rule::value(a.value(), b.value(), c.value());                                  \
    return {y, detail::along(rules::Rule::d_a(a.value(), b.value(), c.value(), y), a.tangent()) +     \
                   detail::along(rules::Rule::d_b(a.value(), b.value(), c.value(), y), b.tangent()) + \
                   detail::along(rules::Rule::d_c(a.value(), b.value(), c.value(), y), c.tangent())}; \
  }
TAPEGRAD_UNARY_FUNCTIONS(TAPEGRAD_DUAL_UNARY)
TAPEGRAD_BINARY_FUNCTIONS(TAPEGRAD_DUAL_BINARY)
TAPEGRAD_TERNARY_FUNCTIONS(TAPEGRAD_DUAL_TERNARY)
#undef TAPEGRAD_DUAL_UNARY
#undef TAPEGRAD_DUAL_BINARY
#undef TAPEGRAD_DUAL_TERNARY

/// The `<cmath>` names the rules call that are no rule of their own: fabs, nearbyint
/// (round's value) and trunc (piecewise constant, derivative 0), and the checks.
template <class T>
Dual<T> fabs(const Dual<T>& x) {
  return abs(x);
}
/// The nearest integer (ties to even); tangent 0.
template <class T>
Dual<T> nearbyint(const Dual<T>& x) {
  return round(x);
}
/// The integer part; tangent 0.
template <class T>
Dual<T> trunc(const Dual<T>& x) {
  using std::trunc;
  return Dual<T>(trunc(x.value()));
}
/// True when the value and the tangent are finite.
template <class T>
bool isfinite(const Dual<T>& x) {
  using std::isfinite;
  return isfinite(x.value()) && isfinite(x.tangent());
}
/// True when the value or the tangent is NaN.
template <class T>
bool isnan(const Dual<T>& x) {
  using std::isnan;
  return isnan(x.value()) || isnan(x.tangent());
}

/// The value of a number of any nesting depth as a double (for reports and checks).
///@{
inline double primal(double x) { return x; }
inline double primal(float x) { return x; }
template <class T>
double primal(const Dual<T>& x) {
  return primal(x.value());
}
///@}

}  // namespace tapegrad
