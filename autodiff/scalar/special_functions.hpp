// Special functions that <cmath> lacks and the rules need: digamma ψ = (log Γ)' and
// trigamma ψ' = ψ₁, written over any value type T like the rules themselves.
//
// Both use the same three steps (Abramowitz & Stegun 6.3.5–6.3.7, 6.3.18, 6.4.6–6.4.7,
// 6.4.12):
//   reflection   ψ(x) = ψ(1 − x) − π/tan(πx),  ψ₁(x) = π²/sin²(πx) − ψ₁(1 − x)  (x < 0)
//   recurrence   ψ(x) = ψ(x + 1) − 1/x,        ψ₁(x) = ψ₁(x + 1) + 1/x²        (up to x ≥ 10)
//   asymptotic   ψ(x) ~ ln x − 1/(2x) − Σ B₂ₖ/(2k x²ᵏ),  ψ₁(x) ~ 1/x + 1/(2x²) + Σ B₂ₖ/x²ᵏ⁺¹
// With x ≥ 10 and five Bernoulli terms the series' error is below 1e-15 relative.
// At the poles: ψ(0) = −inf (as torch.digamma since 1.8), ψ(−n) = NaN; ψ₁(−n) = +inf.
#pragma once

#include <cmath>
#include <limits>
#include <numbers>

namespace tapegrad::special {

template <class T>
T digamma(T x) {
  using std::floor, std::log, std::tan;
  if (x == T(0)) return T(-std::numeric_limits<double>::infinity());
  if (x < T(0)) {
    if (x == floor(x)) return T(std::numeric_limits<double>::quiet_NaN());
    return digamma(T(1) - x) - T(std::numbers::pi) / tan(T(std::numbers::pi) * x);
  }
  T result(0);
  for (; x < T(10); x += T(1)) result -= T(1) / x;
  const T inv = T(1) / x, inv2 = inv * inv;
  const T series =
      inv2 * (T(1.0 / 12) -
              inv2 * (T(1.0 / 120) - inv2 * (T(1.0 / 252) - inv2 * (T(1.0 / 240) - inv2 * T(1.0 / 132)))));
  return result + log(x) - T(0.5) * inv - series;
}

template <class T>
T trigamma(T x) {
  using std::floor, std::sin;
  if (x <= T(0) && x == floor(x)) return T(std::numeric_limits<double>::infinity());
  if (x < T(0)) {
    const T s = sin(T(std::numbers::pi) * x);
    return T(std::numbers::pi * std::numbers::pi) / (s * s) - trigamma(T(1) - x);
  }
  T result(0);
  for (; x < T(10); x += T(1)) result += T(1) / (x * x);
  const T inv = T(1) / x, inv2 = inv * inv;
  const T series =
      inv * inv2 *
      (T(1.0 / 6) - inv2 * (T(1.0 / 30) - inv2 * (T(1.0 / 42) - inv2 * (T(1.0 / 30) - inv2 * T(5.0 / 66)))));
  return result + inv + T(0.5) * inv2 + series;
}

}  // namespace tapegrad::special
