/// \file
/// Every scalar derivative rule in one table: for each operation, its value and its
/// local partial derivatives. Everything else is derived from the lists at the end of
/// this file: the C++ functions on Vars (math.hpp) and on tensors (tensor/elementwise.hpp),
/// the command line's function names, and the typed test that gradient-checks every
/// rule (tests/autodiff/scalar/test_every_rule.cpp). A new operation is its rule here
/// plus one entry in its list.
///
/// A rule is a struct with
///   name         the function's name (the C++ function, the command line, messages);
///   sample       an interval well inside the domain, where the typed test draws points
///                (binary and ternary rules: sample_a, sample_b, sample_c);
///   value(x), partial(x, y) = dy/dx given y = value(x)              (unary), or
///   value(a, b), d_a(a, b, y), d_b(a, b, y)                         (binary), or
///   value(a, b, c), d_a(a, b, c, y), d_b(…), d_c(…)                 (ternary);
/// and, only where they apply:
///   domain       (binary: domain_a, domain_b) the open interval where the function and
///                its partials are finite and smooth, when it is not the whole line;
///   kink_distance(…)  where the derivative jumps or is unbounded inside the domain (a
///                kink, a step, a pole): how far the point is from the nearest such place
///                (the tests keep finite differences off them);
///   piece(…)     where the partials switch between formulas (a kink: abs, relu, max, …):
///                a small integer naming the formula in use, so that running a
///                recording again at a point on another piece is noticed;
///   describe_piece(p)  with piece: the piece in words, for the message when a
///                recording run again found another piece ("argument > 0");
///   cheap        true for a rule of a few arithmetic instructions (no call, no
///                division), which is cheaper to compute twice than to store;
///   second_partials  the pairs of arguments whose second partial can be nonzero
///                (pairs::aa | pairs::ab …), where not every pair can: 0 for a linear
///                or piecewise-linear rule, pairs::ab for a·b. The sparse Hessian's
///                pattern reads it (autodiff/sparse/), so a wrong zero loses entries:
///                tests/autodiff/sparse/test_rule_structure.cpp checks every declared zero;
///   constant_pieces  true for a piecewise-constant rule (derivative 0 everywhere off its
///                steps: floor, sign), which the sparse Jacobian's pattern leaves out.
///
/// The tests read the same lists: test_every_rule.cpp gradient-checks every rule on
/// `sample`, and the random graphs of tests/property/ draw from every unary and binary
/// rule inside its domain and off its kinks.
///
/// Rules are templates over the value type T (double, float, or any type with its own
/// exp, log, … found by argument-dependent lookup): calls are unqualified, and the
/// using-declarations below make them find `<cmath>` for the built-in types.
///
/// Conventions at kinks and edges follow PyTorch unless stated; each is written beside
/// its rule. sqrt'(0), cbrt'(0), log'(0), asin'(±1), acos'(±1), atanh'(±1) and
/// log2/log10'(0) are ±inf, as the formulas say.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <tuple>

#include "special_functions.hpp"

namespace tapegrad::rules {

using special::digamma, special::trigamma;
using std::abs, std::acos, std::acosh, std::asin, std::asinh, std::atan, std::atan2, std::atanh, std::cbrt,
    std::ceil, std::cos, std::cosh, std::erf, std::erfc, std::exp, std::expm1, std::floor, std::fmod,
    std::hypot, std::lgamma, std::log, std::log10, std::log1p, std::log2, std::nearbyint, std::pow, std::sin,
    std::sinh, std::sqrt, std::tan, std::tanh, std::trunc;

/// An interval of the real line, for `sample` and `domain`.
struct Interval {
  double lo, hi;
};
/// The end of an unbounded `domain`.
inline constexpr double inf = std::numeric_limits<double>::infinity();

/// The pairs of a rule's arguments (a, b, c) in `second_partials`.
namespace pairs {
inline constexpr unsigned aa = 1, ab = 2, bb = 4, ac = 8, bc = 16, cc = 32;
inline constexpr unsigned all = 63;  ///< every pair: a rule that says nothing
}  // namespace pairs

/// A rule's `second_partials`, or every pair when it declares none.
template <class Rule>
constexpr unsigned second_partials_of() {
  if constexpr (requires { Rule::second_partials; })
    return Rule::second_partials;
  else
    return pairs::all;
}
/// A rule's `constant_pieces`, or false.
template <class Rule>
constexpr bool constant_pieces_of() {
  if constexpr (requires { Rule::constant_pieces; })
    return Rule::constant_pieces;
  else
    return false;
}

// clang-format off

// ---------------------------------------------------------------- unary rules

struct Neg {
  static constexpr const char* name = "neg"; static constexpr Interval sample{-5, 5};
  static constexpr unsigned second_partials = 0;
  static constexpr bool cheap = true;
  template <class T> static T value(const T& x) { return -x; }
  template <class T> static T partial(const T&, const T&) { return T(-1); }
};
struct Exp {
  static constexpr const char* name = "exp"; static constexpr Interval sample{-5, 5};
  template <class T> static T value(const T& x) { return exp(x); }
  template <class T> static T partial(const T&, const T& y) { return y; }
};
struct Log {
  static constexpr const char* name = "log"; static constexpr Interval sample{0.1, 10};
  static constexpr Interval domain{0, inf};
  template <class T> static T value(const T& x) { return log(x); }
  template <class T> static T partial(const T& x, const T&) { return T(1) / x; }
};
struct Log2 {
  static constexpr const char* name = "log2"; static constexpr Interval sample{0.1, 10};
  static constexpr Interval domain{0, inf};
  template <class T> static T value(const T& x) { return log2(x); }
  template <class T> static T partial(const T& x, const T&) { return T(1) / (x * T(std::numbers::ln2)); }
};
struct Log10 {
  static constexpr const char* name = "log10"; static constexpr Interval sample{0.1, 10};
  static constexpr Interval domain{0, inf};
  template <class T> static T value(const T& x) { return log10(x); }
  template <class T> static T partial(const T& x, const T&) { return T(1) / (x * T(std::numbers::ln10)); }
};
struct Log1p {
  static constexpr const char* name = "log1p"; static constexpr Interval sample{-0.9, 10};
  static constexpr Interval domain{-1, inf};
  template <class T> static T value(const T& x) { return log1p(x); }
  template <class T> static T partial(const T& x, const T&) { return T(1) / (T(1) + x); }
};
struct Expm1 {
  static constexpr const char* name = "expm1"; static constexpr Interval sample{-5, 5};
  template <class T> static T value(const T& x) { return expm1(x); }
  template <class T> static T partial(const T&, const T& y) { return y + T(1); }
};
struct Sqrt {
  static constexpr const char* name = "sqrt"; static constexpr Interval sample{0.1, 10};
  static constexpr Interval domain{0, inf};
  template <class T> static T value(const T& x) { return sqrt(x); }
  template <class T> static T partial(const T&, const T& y) { return T(0.5) / y; }
};
/// cbrt'(0) = inf.
struct Cbrt {
  static constexpr const char* name = "cbrt"; static constexpr Interval sample{-10, 10};
  template <class T> static T value(const T& x) { return cbrt(x); }
  template <class T> static T partial(const T&, const T& y) { return T(1) / (T(3) * y * y); }
  static double kink_distance(double x) { return abs(x); }
};
struct Square {
  static constexpr const char* name = "square"; static constexpr Interval sample{-5, 5};
  static constexpr bool cheap = true;
  template <class T> static T value(const T& x) { return x * x; }
  template <class T> static T partial(const T& x, const T&) { return T(2) * x; }
};
/// abs'(0) = 0 (sign(0) = 0).
struct Abs {
  static constexpr const char* name = "abs"; static constexpr Interval sample{-5, 5};
  static constexpr unsigned second_partials = 0;
  template <class T> static T value(const T& x) { return abs(x); }
  template <class T> static T partial(const T& x, const T&) { return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0)); }
  static double kink_distance(double x) { return abs(x); }
  static int piece(double x) { return (x > 0) - (x < 0); }
  static const char* describe_piece(int p) { return p > 0 ? "argument > 0" : (p < 0 ? "argument < 0" : "argument = 0"); }
};
/// sign(x) is -1, 0 or 1 (NaN stays NaN); its derivative is 0 everywhere, as torch.sign's.
struct Sign {
  static constexpr const char* name = "sign"; static constexpr Interval sample{-5, 5};
  static constexpr unsigned second_partials = 0; static constexpr bool constant_pieces = true;
  template <class T> static T value(const T& x) { return x > T(0) ? T(1) : (x < T(0) ? T(-1) : (x == T(0) ? T(0) : x)); }
  template <class T> static T partial(const T&, const T&) { return T(0); }
  static double kink_distance(double x) { return abs(x); }
  static int piece(double x) { return (x > 0) - (x < 0); }
  static const char* describe_piece(int p) { return Abs::describe_piece(p); }
};
/// floor, ceil and round are piecewise constant: derivative 0, jumps at the steps, as
/// PyTorch. round breaks ties to even (torch.round), not away from zero (std::round).
struct Floor {
  static constexpr const char* name = "floor"; static constexpr Interval sample{-5, 5};
  static constexpr unsigned second_partials = 0; static constexpr bool constant_pieces = true;
  template <class T> static T value(const T& x) { return floor(x); }
  template <class T> static T partial(const T&, const T&) { return T(0); }
  static double kink_distance(double x) { return abs(x - nearbyint(x)); }
};
struct Ceil {
  static constexpr const char* name = "ceil"; static constexpr Interval sample{-5, 5};
  static constexpr unsigned second_partials = 0; static constexpr bool constant_pieces = true;
  template <class T> static T value(const T& x) { return ceil(x); }
  template <class T> static T partial(const T&, const T&) { return T(0); }
  static double kink_distance(double x) { return abs(x - nearbyint(x)); }
};
struct Round {
  static constexpr const char* name = "round"; static constexpr Interval sample{-5, 5};
  static constexpr unsigned second_partials = 0; static constexpr bool constant_pieces = true;
  template <class T> static T value(const T& x) { return nearbyint(x); }
  template <class T> static T partial(const T&, const T&) { return T(0); }
  static double kink_distance(double x) { return abs(x - floor(x) - 0.5); }
};
struct Sin {
  static constexpr const char* name = "sin"; static constexpr Interval sample{-5, 5};
  template <class T> static T value(const T& x) { return sin(x); }
  template <class T> static T partial(const T& x, const T&) { return cos(x); }
};
struct Cos {
  static constexpr const char* name = "cos"; static constexpr Interval sample{-5, 5};
  template <class T> static T value(const T& x) { return cos(x); }
  template <class T> static T partial(const T& x, const T&) { return -sin(x); }
};
struct Tan {
  static constexpr const char* name = "tan"; static constexpr Interval sample{-1.4, 1.4};
  template <class T> static T value(const T& x) { return tan(x); }
  template <class T> static T partial(const T&, const T& y) { return T(1) + y * y; }
  static double kink_distance(double x) { return abs(std::remainder(x - std::numbers::pi / 2, std::numbers::pi)); }  // the poles
};
struct Asin {
  static constexpr const char* name = "asin"; static constexpr Interval sample{-0.9, 0.9};
  static constexpr Interval domain{-1, 1};
  template <class T> static T value(const T& x) { return asin(x); }
  template <class T> static T partial(const T& x, const T&) { return T(1) / sqrt(T(1) - x * x); }
};
struct Acos {
  static constexpr const char* name = "acos"; static constexpr Interval sample{-0.9, 0.9};
  static constexpr Interval domain{-1, 1};
  template <class T> static T value(const T& x) { return acos(x); }
  template <class T> static T partial(const T& x, const T&) { return T(-1) / sqrt(T(1) - x * x); }
};
struct Atan {
  static constexpr const char* name = "atan"; static constexpr Interval sample{-5, 5};
  template <class T> static T value(const T& x) { return atan(x); }
  template <class T> static T partial(const T& x, const T&) { return T(1) / (T(1) + x * x); }
};
struct Sinh {
  static constexpr const char* name = "sinh"; static constexpr Interval sample{-3, 3};
  template <class T> static T value(const T& x) { return sinh(x); }
  template <class T> static T partial(const T& x, const T&) { return cosh(x); }
};
struct Cosh {
  static constexpr const char* name = "cosh"; static constexpr Interval sample{-3, 3};
  template <class T> static T value(const T& x) { return cosh(x); }
  template <class T> static T partial(const T& x, const T&) { return sinh(x); }
};
struct Tanh {
  static constexpr const char* name = "tanh"; static constexpr Interval sample{-3, 3};
  template <class T> static T value(const T& x) { return tanh(x); }
  template <class T> static T partial(const T&, const T& y) { return T(1) - y * y; }
};
struct Asinh {
  static constexpr const char* name = "asinh"; static constexpr Interval sample{-5, 5};
  template <class T> static T value(const T& x) { return asinh(x); }
  template <class T> static T partial(const T& x, const T&) { return T(1) / sqrt(x * x + T(1)); }
};
/// acosh'(1) = inf. (x-1)(x+1) rather than x² - 1 keeps precision near 1.
struct Acosh {
  static constexpr const char* name = "acosh"; static constexpr Interval sample{1.1, 10};
  static constexpr Interval domain{1, inf};
  template <class T> static T value(const T& x) { return acosh(x); }
  template <class T> static T partial(const T& x, const T&) { return T(1) / sqrt((x - T(1)) * (x + T(1))); }
};
struct Atanh {
  static constexpr const char* name = "atanh"; static constexpr Interval sample{-0.9, 0.9};
  static constexpr Interval domain{-1, 1};
  template <class T> static T value(const T& x) { return atanh(x); }
  template <class T> static T partial(const T& x, const T&) { return T(1) / ((T(1) - x) * (T(1) + x)); }
};
/// Two branches so that exp never overflows: for x < 0, e^x / (1 + e^x).
struct Sigmoid {
  static constexpr const char* name = "sigmoid"; static constexpr Interval sample{-10, 10};
  template <class T> static T value(const T& x) {
    if (x >= T(0)) return T(1) / (T(1) + exp(-x));
    const T e = exp(x);
    return e / (T(1) + e);
  }
  template <class T> static T partial(const T&, const T& y) { return y * (T(1) - y); }
};
/// log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large x, full precision for
/// very negative x, and no threshold switch. d/dx = sigmoid(x) = 1 - e^-y, as -expm1(-y)
/// to keep full precision when y is tiny.
struct Softplus {
  static constexpr const char* name = "softplus"; static constexpr Interval sample{-10, 10};
  template <class T> static T value(const T& x) { return (x > T(0) ? x : T(0)) + log1p(exp(-abs(x))); }
  template <class T> static T partial(const T&, const T& y) { return -expm1(-y); }
};
/// relu'(0) = 0: the gradient flows only where x > 0.
struct Relu {
  static constexpr const char* name = "relu"; static constexpr Interval sample{-5, 5};
  static constexpr unsigned second_partials = 0;
  template <class T> static T value(const T& x) { return x > T(0) ? x : T(0); }
  template <class T> static T partial(const T& x, const T&) { return x > T(0) ? T(1) : T(0); }
  static double kink_distance(double x) { return abs(x); }
  static int piece(double x) { return x > 0; }
  static const char* describe_piece(int p) { return p > 0 ? "argument > 0" : "argument ≤ 0"; }
};
/// GELU, x·Φ(x) with Φ the standard normal CDF: torch.nn.functional.gelu with
/// approximate='none'. Φ(x) is written erfc(−x/√2)/2, which keeps its precision in the
/// left tail where 1 + erf(x/√2) would cancel. d/dx = Φ(x) + x·φ(x).
struct Gelu {
  static constexpr const char* name = "gelu"; static constexpr Interval sample{-5, 5};
  template <class T> static T value(const T& x) { return x * (T(0.5) * erfc(-x * T(std::numbers::sqrt2 / 2))); }
  template <class T> static T partial(const T& x, const T&) {
    const T cdf = T(0.5) * erfc(-x * T(std::numbers::sqrt2 / 2));
    return cdf + x * T(std::numbers::inv_sqrtpi / std::numbers::sqrt2) * exp(T(-0.5) * x * x);
  }
};
/// GELU's tanh approximation, torch.nn.functional.gelu with approximate='tanh':
/// x·(1 + tanh u)/2 with u = √(2/π)·(x + 0.044715·x³). (1 + tanh u)/2 is written as
/// sigmoid(2u), the same function without the cancellation of 1 + tanh u for u ≪ 0.
struct GeluTanh {
  static constexpr const char* name = "gelu_tanh"; static constexpr Interval sample{-5, 5};
  static constexpr double k = 0.044715;
  template <class T> static T value(const T& x) { return x * Sigmoid::value(T(2) * u(x)); }
  template <class T> static T partial(const T& x, const T&) {
    const T s = Sigmoid::value(T(2) * u(x));
    return s + x * s * (T(1) - s) * T(2 * sqrt_2_over_pi) * (T(1) + T(3 * k) * x * x);
  }
  static constexpr double sqrt_2_over_pi = std::numbers::sqrt2 * std::numbers::inv_sqrtpi;
  template <class T> static T u(const T& x) { return T(sqrt_2_over_pi) * (x + T(k) * x * x * x); }
};
/// SiLU (swish), x·sigmoid(x): torch.nn.functional.silu. d/dx = s + y·(1 − s) with
/// s = sigmoid(x), y = x·s.
struct Silu {
  static constexpr const char* name = "silu"; static constexpr Interval sample{-10, 10};
  template <class T> static T value(const T& x) { return x * Sigmoid::value(x); }
  template <class T> static T partial(const T& x, const T& y) {
    const T s = Sigmoid::value(x);
    return s + y * (T(1) - s);
  }
};
struct Erf {
  static constexpr const char* name = "erf"; static constexpr Interval sample{-3, 3};
  template <class T> static T value(const T& x) { return erf(x); }
  template <class T> static T partial(const T& x, const T&) { return T(2 * std::numbers::inv_sqrtpi) * exp(-x * x); }
};
struct Erfc {
  static constexpr const char* name = "erfc"; static constexpr Interval sample{-3, 3};
  template <class T> static T value(const T& x) { return erfc(x); }
  template <class T> static T partial(const T& x, const T&) { return T(-2 * std::numbers::inv_sqrtpi) * exp(-x * x); }
};
/// log|Γ(x)|, as std::lgamma and torch.lgamma; its derivative is digamma (also for
/// negative non-integer x). Poles at 0, -1, -2, …
struct Lgamma {
  static constexpr const char* name = "lgamma"; static constexpr Interval sample{0.2, 10};
  static constexpr Interval domain{0, inf};
  template <class T> static T value(const T& x) { return lgamma(x); }
  template <class T> static T partial(const T& x, const T&) { return digamma(x); }
};
/// ψ(x) = Γ'(x)/Γ(x); ψ'(x) is trigamma (special_functions.hpp has both).
struct Digamma {
  static constexpr const char* name = "digamma"; static constexpr Interval sample{0.2, 10};
  static constexpr Interval domain{0, inf};
  template <class T> static T value(const T& x) { return digamma(x); }
  template <class T> static T partial(const T& x, const T&) { return trigamma(x); }
};

// --------------------------------------------------------------- binary rules

struct Add {
  static constexpr const char* name = "+"; static constexpr bool infix = true;
  static constexpr unsigned second_partials = 0;
  static constexpr Interval sample_a{-5, 5}, sample_b{-5, 5};
  static constexpr bool cheap = true;
  template <class T> static T value(const T& a, const T& b) { return a + b; }
  template <class T> static T d_a(const T&, const T&, const T&) { return T(1); }
  template <class T> static T d_b(const T&, const T&, const T&) { return T(1); }
};
struct Sub {
  static constexpr const char* name = "-"; static constexpr bool infix = true;
  static constexpr unsigned second_partials = 0;
  static constexpr Interval sample_a{-5, 5}, sample_b{-5, 5};
  static constexpr bool cheap = true;
  template <class T> static T value(const T& a, const T& b) { return a - b; }
  template <class T> static T d_a(const T&, const T&, const T&) { return T(1); }
  template <class T> static T d_b(const T&, const T&, const T&) { return T(-1); }
};
struct Mul {
  static constexpr const char* name = "*"; static constexpr bool infix = true;
  static constexpr unsigned second_partials = pairs::ab;
  static constexpr Interval sample_a{-5, 5}, sample_b{-5, 5};
  static constexpr bool cheap = true;
  template <class T> static T value(const T& a, const T& b) { return a * b; }
  template <class T> static T d_a(const T&, const T& b, const T&) { return b; }
  template <class T> static T d_b(const T& a, const T&, const T&) { return a; }
};
struct Div {
  static constexpr const char* name = "/"; static constexpr bool infix = true;
  static constexpr unsigned second_partials = pairs::ab | pairs::bb;
  static constexpr Interval sample_a{-5, 5}, sample_b{0.5, 5};
  template <class T> static T value(const T& a, const T& b) { return a / b; }
  template <class T> static T d_a(const T&, const T& b, const T&) { return T(1) / b; }
  template <class T> static T d_b(const T&, const T& b, const T& y) { return -y / b; }
  static double kink_distance(double, double b) { return abs(b); }  // the pole at b = 0
};
/// d/da = 0 when b == 0 (even at a == 0, where b·a^(b-1) is 0·inf);
/// d/db = 0 when a == 0 and b >= 0.
struct Pow {
  static constexpr const char* name = "pow"; static constexpr bool infix = false;
  static constexpr Interval sample_a{0.2, 3}, sample_b{-2, 2};
  static constexpr Interval domain_a{0, inf}, domain_b{-inf, inf};
  template <class T> static T value(const T& a, const T& b) { return pow(a, b); }
  template <class T> static T d_a(const T& a, const T& b, const T&) { return b == T(0) ? T(0) : b * pow(a, b - T(1)); }
  template <class T> static T d_b(const T& a, const T& b, const T& y) { return (a == T(0) && b >= T(0)) ? T(0) : y * log(a); }
};
/// atan2(a, b) is the angle of the point (b, a). At (0, 0) the partials are NaN (the
/// function is discontinuous there), as PyTorch's.
struct Atan2 {
  static constexpr const char* name = "atan2"; static constexpr bool infix = false;
  static constexpr Interval sample_a{0.5, 3}, sample_b{-3, 3};
  template <class T> static T value(const T& a, const T& b) { return atan2(a, b); }
  template <class T> static T d_a(const T& a, const T& b, const T&) { return b / (a * a + b * b); }
  template <class T> static T d_b(const T& a, const T& b, const T&) { return -a / (a * a + b * b); }
  // The origin, and the jump by 2π across a = 0 where b < 0.
  static double kink_distance(double a, double b) { return b < 0 ? abs(a) : hypot(a, b); }
};
/// hypot(0, 0): both partials 0 (PyTorch gives 0/0 = NaN; hypot(x, 0) = |x|, so abs's
/// convention is used instead).
struct Hypot {
  static constexpr const char* name = "hypot"; static constexpr bool infix = false;
  static constexpr Interval sample_a{-3, 3}, sample_b{0.5, 3};
  template <class T> static T value(const T& a, const T& b) { return hypot(a, b); }
  template <class T> static T d_a(const T& a, const T&, const T& y) { return y == T(0) ? T(0) : a / y; }
  template <class T> static T d_b(const T&, const T& b, const T& y) { return y == T(0) ? T(0) : b / y; }
  static double kink_distance(double a, double b) { return hypot(a, b); }  // the cone's tip at the origin
};
/// At a tie a == b each input receives half the gradient, as torch.maximum and
/// torch.minimum do. NaN in either input gives NaN (a != a only for NaN).
struct Max {
  static constexpr const char* name = "max"; static constexpr bool infix = false;
  static constexpr unsigned second_partials = 0;
  static constexpr Interval sample_a{-3, 3}, sample_b{-3, 3};
  template <class T> static T value(const T& a, const T& b) { return (a > b || a != a) ? a : b; }
  template <class T> static T d_a(const T& a, const T& b, const T&) { return a > b ? T(1) : (a == b ? T(0.5) : T(0)); }
  template <class T> static T d_b(const T& a, const T& b, const T&) { return b > a ? T(1) : (a == b ? T(0.5) : T(0)); }
  static double kink_distance(double a, double b) { return abs(a - b); }
  static int piece(double a, double b) { return (a > b) - (a < b); }
  static const char* describe_piece(int p) { return p > 0 ? "a > b" : (p < 0 ? "a < b" : "a = b"); }
};
struct Min {
  static constexpr const char* name = "min"; static constexpr bool infix = false;
  static constexpr unsigned second_partials = 0;
  static constexpr Interval sample_a{-3, 3}, sample_b{-3, 3};
  template <class T> static T value(const T& a, const T& b) { return (a < b || a != a) ? a : b; }
  template <class T> static T d_a(const T& a, const T& b, const T&) { return a < b ? T(1) : (a == b ? T(0.5) : T(0)); }
  template <class T> static T d_b(const T& a, const T& b, const T&) { return b < a ? T(1) : (a == b ? T(0.5) : T(0)); }
  static double kink_distance(double a, double b) { return abs(a - b); }
  static int piece(double a, double b) { return (a > b) - (a < b); }
  static const char* describe_piece(int p) { return Max::describe_piece(p); }
};
/// fmod(a, b) = a - trunc(a/b)·b, as std::fmod and torch.fmod: d/da = 1,
/// d/db = -trunc(a/b), jumping where a/b crosses an integer.
struct Fmod {
  static constexpr const char* name = "fmod"; static constexpr bool infix = false;
  static constexpr unsigned second_partials = 0;  // d_b = -trunc(a/b) is piecewise constant
  static constexpr Interval sample_a{-5, 5}, sample_b{0.5, 3};
  template <class T> static T value(const T& a, const T& b) { return fmod(a, b); }
  template <class T> static T d_a(const T&, const T&, const T&) { return T(1); }
  template <class T> static T d_b(const T& a, const T& b, const T&) { return -trunc(a / b); }
  static double kink_distance(double a, double b) { return abs(a / b - nearbyint(a / b)) * abs(b); }
};

// -------------------------------------------------------------- ternary rules

/// clamp(x, lo, hi) = min(max(x, lo), hi), as torch.clamp (hi wins when lo > hi). The
/// gradient reaches x where lo <= x <= hi (bounds included), lo where x < lo < hi, and
/// hi where x > hi or hi < lo: torch.clamp's rule for tensor bounds.
struct Clamp {
  static constexpr const char* name = "clamp";
  static constexpr unsigned second_partials = 0;
  static constexpr Interval sample_a{-3, 3}, sample_b{-2, 0}, sample_c{0.5, 2};
  template <class T> static T value(const T& x, const T& lo, const T& hi) {
    const T y = x < lo ? lo : x;
    return y > hi ? hi : y;
  }
  template <class T> static T d_a(const T& x, const T& lo, const T& hi, const T&) { return (x >= lo && x <= hi) ? T(1) : T(0); }
  template <class T> static T d_b(const T& x, const T& lo, const T& hi, const T&) { return (x < lo && lo < hi) ? T(1) : T(0); }
  template <class T> static T d_c(const T& x, const T& lo, const T& hi, const T&) { return (x > hi || hi < lo) ? T(1) : T(0); }
  static double kink_distance(double x, double lo, double hi) { return std::min({abs(x - lo), abs(x - hi), abs(lo - hi)}); }
  static int piece(double x, double lo, double hi) { return (x >= lo && x <= hi) + 2 * (x < lo && lo < hi) + 4 * (x > hi || hi < lo); }
  static const char* describe_piece(int p) { return p & 1 ? "lo ≤ x ≤ hi" : (p & 2 ? "x < lo" : "x > hi"); }
};

// clang-format on

}  // namespace tapegrad::rules

// ------------------------------------------------------------------- the lists
//
// X(Rule, function) for every rule called by a name. The operators (-x, a + b, a - b,
// a * b, a / b) are spelled by C++ itself and lead the tuples below.
// clang-format off
#define TAPEGRAD_UNARY_FUNCTIONS(X)                                                                 \
  X(Exp, exp) X(Log, log) X(Log2, log2) X(Log10, log10) X(Log1p, log1p) X(Expm1, expm1)             \
  X(Sqrt, sqrt) X(Cbrt, cbrt) X(Square, square) X(Abs, abs) X(Sign, sign)                           \
  X(Floor, floor) X(Ceil, ceil) X(Round, round)                                                     \
  X(Sin, sin) X(Cos, cos) X(Tan, tan) X(Asin, asin) X(Acos, acos) X(Atan, atan)                     \
  X(Sinh, sinh) X(Cosh, cosh) X(Tanh, tanh) X(Asinh, asinh) X(Acosh, acosh) X(Atanh, atanh)         \
  X(Sigmoid, sigmoid) X(Softplus, softplus) X(Relu, relu)                                           \
  X(Gelu, gelu) X(GeluTanh, gelu_tanh) X(Silu, silu)                                                \
  X(Erf, erf) X(Erfc, erfc) X(Lgamma, lgamma) X(Digamma, digamma)
#define TAPEGRAD_BINARY_FUNCTIONS(X) \
  X(Pow, pow) X(Atan2, atan2) X(Hypot, hypot) X(Max, max) X(Min, min) X(Fmod, fmod)
#define TAPEGRAD_TERNARY_FUNCTIONS(X) \
  X(Clamp, clamp)
// clang-format on

namespace tapegrad::rules {

#define TAPEGRAD_RULE_TUPLE(Rule, function) , std::tuple<Rule>()
using UnaryRules = decltype(std::tuple_cat(std::tuple<Neg>() TAPEGRAD_UNARY_FUNCTIONS(TAPEGRAD_RULE_TUPLE)));
using BinaryRules =
    decltype(std::tuple_cat(std::tuple<Add, Sub, Mul, Div>() TAPEGRAD_BINARY_FUNCTIONS(TAPEGRAD_RULE_TUPLE)));
using TernaryRules = decltype(std::tuple_cat(std::tuple<>() TAPEGRAD_TERNARY_FUNCTIONS(TAPEGRAD_RULE_TUPLE)));
#undef TAPEGRAD_RULE_TUPLE

}  // namespace tapegrad::rules
