// Every scalar derivative rule in one table: for each operation, its value and its
// local partial derivatives. The expression nodes (expr.hpp) and user-facing
// functions (math.hpp) only plumb these through, so this is the one file to read when
// checking an adjoint.
//
// Rules are written once for any value type T (double, float, or a dual number for
// Hessian-vector products): math calls are unqualified after `using std::…` so a
// user type's own exp/log/… is found by argument-dependent lookup.
//
// Unary rules:  value(x) and partial(x, y) = dy/dx, given y = value(x).
// Binary rules: value(a, b), d_a(a, b, y) = dy/da and d_b(a, b, y) = dy/db.
//
// Conventions at kinks and edges (PyTorch's, unless stated):
//   abs'(0) = 0                      (sign(0) = 0)
//   relu'(0) = 0                     (gradient flows only where x > 0)
//   max/min at a tie a == b          each input receives half the gradient, as
//                                    torch.maximum / torch.minimum do
//   pow(a, b): d/da = 0 when b == 0  (even at a == 0, where b·a^(b-1) is 0·inf)
//              d/db = 0 when a == 0 and b >= 0
//   hypot(0, 0): both partials 0     (PyTorch gives 0/0 = NaN; hypot(x, 0) = |x|, so
//                                    we use abs's convention instead)
//   sqrt'(0), cbrt'(0), log'(0), asin'(±1), acos'(±1) are +-inf, as the formulas say.
//   atan2(0, 0): partials are NaN (the function is discontinuous there), as PyTorch.
//   softplus(x) = log(1 + e^x) is evaluated stably for any x (no threshold switch).
#pragma once

#include <cmath>
#include <numbers>

namespace tapegrad::rules {

// ---------------------------------------------------------------- unary rules

struct Neg {
  static constexpr const char* name = "neg";
  template <class T>
  static T value(const T& x) {
    return -x;
  }
  template <class T>
  static T partial(const T&, const T&) {
    return T(-1);
  }
};

struct Exp {
  static constexpr const char* name = "exp";
  template <class T>
  static T value(const T& x) {
    using std::exp;
    return exp(x);
  }
  template <class T>
  static T partial(const T&, const T& y) {
    return y;
  }
};

struct Log {
  static constexpr const char* name = "log";
  template <class T>
  static T value(const T& x) {
    using std::log;
    return log(x);
  }
  template <class T>
  static T partial(const T& x, const T&) {
    return T(1) / x;
  }
};

struct Log1p {
  static constexpr const char* name = "log1p";
  template <class T>
  static T value(const T& x) {
    using std::log1p;
    return log1p(x);
  }
  template <class T>
  static T partial(const T& x, const T&) {
    return T(1) / (T(1) + x);
  }
};

struct Expm1 {
  static constexpr const char* name = "expm1";
  template <class T>
  static T value(const T& x) {
    using std::expm1;
    return expm1(x);
  }
  template <class T>
  static T partial(const T&, const T& y) {
    return y + T(1);
  }
};

struct Sqrt {
  static constexpr const char* name = "sqrt";
  template <class T>
  static T value(const T& x) {
    using std::sqrt;
    return sqrt(x);
  }
  template <class T>
  static T partial(const T&, const T& y) {
    return T(0.5) / y;
  }
};

struct Cbrt {
  static constexpr const char* name = "cbrt";
  template <class T>
  static T value(const T& x) {
    using std::cbrt;
    return cbrt(x);
  }
  template <class T>
  static T partial(const T&, const T& y) {
    return T(1) / (T(3) * y * y);
  }
};

struct Square {
  static constexpr const char* name = "square";
  template <class T>
  static T value(const T& x) {
    return x * x;
  }
  template <class T>
  static T partial(const T& x, const T&) {
    return T(2) * x;
  }
};

struct Abs {
  static constexpr const char* name = "abs";
  template <class T>
  static T value(const T& x) {
    using std::abs;
    return abs(x);
  }
  template <class T>
  static T partial(const T& x, const T&) {
    return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
  }
};

struct Sin {
  static constexpr const char* name = "sin";
  template <class T>
  static T value(const T& x) {
    using std::sin;
    return sin(x);
  }
  template <class T>
  static T partial(const T& x, const T&) {
    using std::cos;
    return cos(x);
  }
};

struct Cos {
  static constexpr const char* name = "cos";
  template <class T>
  static T value(const T& x) {
    using std::cos;
    return cos(x);
  }
  template <class T>
  static T partial(const T& x, const T&) {
    using std::sin;
    return -sin(x);
  }
};

struct Tan {
  static constexpr const char* name = "tan";
  template <class T>
  static T value(const T& x) {
    using std::tan;
    return tan(x);
  }
  template <class T>
  static T partial(const T&, const T& y) {
    return T(1) + y * y;
  }
};

struct Asin {
  static constexpr const char* name = "asin";
  template <class T>
  static T value(const T& x) {
    using std::asin;
    return asin(x);
  }
  template <class T>
  static T partial(const T& x, const T&) {
    using std::sqrt;
    return T(1) / sqrt(T(1) - x * x);
  }
};

struct Acos {
  static constexpr const char* name = "acos";
  template <class T>
  static T value(const T& x) {
    using std::acos;
    return acos(x);
  }
  template <class T>
  static T partial(const T& x, const T&) {
    using std::sqrt;
    return T(-1) / sqrt(T(1) - x * x);
  }
};

struct Atan {
  static constexpr const char* name = "atan";
  template <class T>
  static T value(const T& x) {
    using std::atan;
    return atan(x);
  }
  template <class T>
  static T partial(const T& x, const T&) {
    return T(1) / (T(1) + x * x);
  }
};

struct Sinh {
  static constexpr const char* name = "sinh";
  template <class T>
  static T value(const T& x) {
    using std::sinh;
    return sinh(x);
  }
  template <class T>
  static T partial(const T& x, const T&) {
    using std::cosh;
    return cosh(x);
  }
};

struct Cosh {
  static constexpr const char* name = "cosh";
  template <class T>
  static T value(const T& x) {
    using std::cosh;
    return cosh(x);
  }
  template <class T>
  static T partial(const T& x, const T&) {
    using std::sinh;
    return sinh(x);
  }
};

struct Tanh {
  static constexpr const char* name = "tanh";
  template <class T>
  static T value(const T& x) {
    using std::tanh;
    return tanh(x);
  }
  template <class T>
  static T partial(const T&, const T& y) {
    return T(1) - y * y;
  }
};

struct Sigmoid {
  static constexpr const char* name = "sigmoid";
  // Two branches so that exp never overflows: for x < 0, e^x / (1 + e^x).
  template <class T>
  static T value(const T& x) {
    using std::exp;
    if (x >= T(0)) return T(1) / (T(1) + exp(-x));
    const T e = exp(x);
    return e / (T(1) + e);
  }
  template <class T>
  static T partial(const T&, const T& y) {
    return y * (T(1) - y);
  }
};

struct Softplus {
  static constexpr const char* name = "softplus";
  // log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large x, full
  // precision for very negative x.
  template <class T>
  static T value(const T& x) {
    using std::abs, std::exp, std::log1p;
    const T positive_part = x > T(0) ? x : T(0);
    return positive_part + log1p(exp(-abs(x)));
  }
  // d/dx = sigmoid(x) = 1 - e^-y; -expm1(-y) keeps full precision when y is tiny.
  template <class T>
  static T partial(const T&, const T& y) {
    using std::expm1;
    return -expm1(-y);
  }
};

struct Relu {
  static constexpr const char* name = "relu";
  template <class T>
  static T value(const T& x) {
    return x > T(0) ? x : T(0);
  }
  template <class T>
  static T partial(const T& x, const T&) {
    return x > T(0) ? T(1) : T(0);
  }
};

struct Erf {
  static constexpr const char* name = "erf";
  template <class T>
  static T value(const T& x) {
    using std::erf;
    return erf(x);
  }
  template <class T>
  static T partial(const T& x, const T&) {
    using std::exp;
    return T(2 * std::numbers::inv_sqrtpi) * exp(-x * x);
  }
};

// --------------------------------------------------------------- binary rules

struct Add {
  static constexpr const char* name = "+";
  static constexpr bool infix = true;
  template <class T>
  static T value(const T& a, const T& b) {
    return a + b;
  }
  template <class T>
  static T d_a(const T&, const T&, const T&) {
    return T(1);
  }
  template <class T>
  static T d_b(const T&, const T&, const T&) {
    return T(1);
  }
};

struct Sub {
  static constexpr const char* name = "-";
  static constexpr bool infix = true;
  template <class T>
  static T value(const T& a, const T& b) {
    return a - b;
  }
  template <class T>
  static T d_a(const T&, const T&, const T&) {
    return T(1);
  }
  template <class T>
  static T d_b(const T&, const T&, const T&) {
    return T(-1);
  }
};

struct Mul {
  static constexpr const char* name = "*";
  static constexpr bool infix = true;
  template <class T>
  static T value(const T& a, const T& b) {
    return a * b;
  }
  template <class T>
  static T d_a(const T&, const T& b, const T&) {
    return b;
  }
  template <class T>
  static T d_b(const T& a, const T&, const T&) {
    return a;
  }
};

struct Div {
  static constexpr const char* name = "/";
  static constexpr bool infix = true;
  template <class T>
  static T value(const T& a, const T& b) {
    return a / b;
  }
  template <class T>
  static T d_a(const T&, const T& b, const T&) {
    return T(1) / b;
  }
  template <class T>
  static T d_b(const T&, const T& b, const T& y) {
    return -y / b;
  }
};

struct Pow {
  static constexpr const char* name = "pow";
  static constexpr bool infix = false;
  template <class T>
  static T value(const T& a, const T& b) {
    using std::pow;
    return pow(a, b);
  }
  template <class T>
  static T d_a(const T& a, const T& b, const T&) {
    using std::pow;
    return b == T(0) ? T(0) : b * pow(a, b - T(1));
  }
  template <class T>
  static T d_b(const T& a, const T& b, const T& y) {
    using std::log;
    return (a == T(0) && b >= T(0)) ? T(0) : y * log(a);
  }
};

struct Atan2 {
  static constexpr const char* name = "atan2";
  static constexpr bool infix = false;
  // atan2(a, b) is the angle of the point (b, a).
  template <class T>
  static T value(const T& a, const T& b) {
    using std::atan2;
    return atan2(a, b);
  }
  template <class T>
  static T d_a(const T& a, const T& b, const T&) {
    return b / (a * a + b * b);
  }
  template <class T>
  static T d_b(const T& a, const T& b, const T&) {
    return -a / (a * a + b * b);
  }
};

struct Hypot {
  static constexpr const char* name = "hypot";
  static constexpr bool infix = false;
  template <class T>
  static T value(const T& a, const T& b) {
    using std::hypot;
    return hypot(a, b);
  }
  template <class T>
  static T d_a(const T& a, const T&, const T& y) {
    return y == T(0) ? T(0) : a / y;
  }
  template <class T>
  static T d_b(const T&, const T& b, const T& y) {
    return y == T(0) ? T(0) : b / y;
  }
};

struct Max {
  static constexpr const char* name = "max";
  static constexpr bool infix = false;
  // NaN in either input gives NaN, as torch.maximum does (a != a is true only for NaN).
  template <class T>
  static T value(const T& a, const T& b) {
    return (a > b || a != a) ? a : b;
  }
  template <class T>
  static T d_a(const T& a, const T& b, const T&) {
    return a > b ? T(1) : (a == b ? T(0.5) : T(0));
  }
  template <class T>
  static T d_b(const T& a, const T& b, const T&) {
    return b > a ? T(1) : (a == b ? T(0.5) : T(0));
  }
};

struct Min {
  static constexpr const char* name = "min";
  static constexpr bool infix = false;
  template <class T>
  static T value(const T& a, const T& b) {
    return (a < b || a != a) ? a : b;
  }
  template <class T>
  static T d_a(const T& a, const T& b, const T&) {
    return a < b ? T(1) : (a == b ? T(0.5) : T(0));
  }
  template <class T>
  static T d_b(const T& a, const T& b, const T&) {
    return b < a ? T(1) : (a == b ? T(0.5) : T(0));
  }
};

}  // namespace tapegrad::rules
