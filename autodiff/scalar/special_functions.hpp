/// \file
/// Special functions that `<cmath>` lacks and the rules need: digamma ψ = (log Γ)' and
/// trigamma ψ' = ψ₁, written over any value type T like the rules themselves.
///
/// Both use the same three steps (Abramowitz & Stegun 6.3.5–6.3.7, 6.3.18, 6.4.6–6.4.7,
/// 6.4.12):
///   reflection   ψ(x) = ψ(1 − x) − π/tan(πx),  ψ₁(x) = π²/sin²(πx) − ψ₁(1 − x)  (x < 0)
///   recurrence   ψ(x) = ψ(x + 1) − 1/x,        ψ₁(x) = ψ₁(x + 1) + 1/x²        (up to x ≥ 12)
///   asymptotic   ψ(x) ~ ln x − 1/(2x) − Σ B₂ₖ/(2k x²ᵏ),  ψ₁(x) ~ 1/x + 1/(2x²) + Σ B₂ₖ/x²ᵏ⁺¹
/// With x ≥ 12 and six Bernoulli terms (to B₁₂) the series' error is below 1e-16.
/// At the poles: ψ(0) = −inf (as torch.digamma since 1.8), ψ(−n) = NaN; ψ₁(−n) = +inf.
#pragma once

#include <cmath>
#include <initializer_list>
#include <limits>
#include <numbers>

namespace tapegrad::special {

/// The digamma function ψ(x) = (log Γ)'(x) (see special_functions.hpp for the method and its accuracy).
template <class T>
T digamma(T x) {
  using std::floor, std::log, std::tan;
  if (x == T(0)) return T(-std::numeric_limits<double>::infinity());
  if (x < T(0)) {
    if (x == floor(x)) return T(std::numeric_limits<double>::quiet_NaN());
    return digamma(T(1) - x) - T(std::numbers::pi) / tan(T(std::numbers::pi) * x);
  }
  T result(0);
  for (; x < T(12); x += T(1)) result -= T(1) / x;
  const T inv = T(1) / x, inv2 = inv * inv;
  // Σ B₂ₖ/(2k x²ᵏ) for k = 1…6, by Horner's rule in 1/x².
  T series = T(-691.0 / 32760);
  for (const double c : {1.0 / 132, -1.0 / 240, 1.0 / 252, -1.0 / 120, 1.0 / 12})
    series = T(c) + inv2 * series;
  series *= inv2;
  return result + log(x) - T(0.5) * inv - series;
}

/// The trigamma function ψ'(x).
template <class T>
T trigamma(T x) {
  using std::floor, std::sin;
  if (x <= T(0) && x == floor(x)) return T(std::numeric_limits<double>::infinity());
  if (x < T(0)) {
    const T s = sin(T(std::numbers::pi) * x);
    return T(std::numbers::pi * std::numbers::pi) / (s * s) - trigamma(T(1) - x);
  }
  T result(0);
  for (; x < T(12); x += T(1)) result += T(1) / (x * x);
  const T inv = T(1) / x, inv2 = inv * inv;
  // Σ B₂ₖ/x²ᵏ⁺¹ for k = 1…6, by Horner's rule in 1/x².
  T series = T(-691.0 / 2730);
  for (const double c : {5.0 / 66, -1.0 / 30, 1.0 / 42, -1.0 / 30, 1.0 / 6}) series = T(c) + inv2 * series;
  series *= inv * inv2;
  return result + inv + T(0.5) * inv2 + series;
}

}  // namespace tapegrad::special
