/// \file
/// The rule by which a derivative travels through a partial that is not finite: a zero
/// tangent (or adjoint) contributes nothing, whatever the partial (along()), and the test
/// of finiteness that lets the common case skip that rule. Forward mode on Duals
/// (dual.hpp) and the vector sweeps over a recording (sweep.hpp) both follow it.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>

namespace tapegrad {

template <class T, int N>
class Dual;

namespace detail {

// Exactly zero, tangents included at every nesting depth (comparisons see values only).
inline bool is_exact_zero(double x) { return x == 0; }
inline bool is_exact_zero(float x) { return x == 0; }
template <class T, int N>
bool is_exact_zero(const Dual<T, N>& x) {
  if (!is_exact_zero(x.value())) return false;
  for (const T& t : x.tangents())
    if (!is_exact_zero(t)) return false;
  return true;
}

// partial · tangent, where a zero tangent contributes nothing even when the partial is
// infinite or NaN: pow(x, 2) with the exponent a constant must not take log(x) < 0's
// NaN into x's tangent.
template <class T>
T along(const T& partial, const T& tangent) {
  return is_exact_zero(tangent) ? T(0) : partial * tangent;
}

// Whether a number (or a Dual's value and tangents) is finite.
inline bool finite_number(double x) { return std::isfinite(x); }
inline bool finite_number(float x) { return std::isfinite(x); }
template <class T, int N>
bool finite_number(const Dual<T, N>& x) {
  if (!finite_number(x.value())) return false;
  for (const T& t : x.tangents())
    if (!finite_number(t)) return false;
  return true;
}

// Whether partial[0] … partial[count − 1] are all finite: where they are, along() is a
// plain product and a sweep may multiply without looking at the tangents. For double
// and float one branch-free pass, which the compiler vectorizes (|p| ≤ max is false for
// NaN and ±∞).
template <class T>
bool partials_finite(const T* partial, std::size_t count) {
  if constexpr (std::is_floating_point_v<T>) {
    bool finite = true;
    for (std::size_t o = 0; o < count; ++o) finite &= std::abs(partial[o]) <= std::numeric_limits<T>::max();
    return finite;
  } else {
    for (std::size_t o = 0; o < count; ++o)
      if (!finite_number(partial[o])) return false;
    return true;
  }
}

}  // namespace detail
}  // namespace tapegrad
