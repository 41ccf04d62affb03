// A double that counts the arithmetic operations and function calls done with it.
// Running a benchmark problem once with it gives the operation count that tape bytes
// are divided by ("bytes per recorded operation"), counted, not estimated.
#pragma once

#include <cmath>
#include <cstdint>

namespace bench {

inline std::int64_t counted_operations = 0;

struct Counted {
  double v = 0;
  Counted() = default;
  Counted(double value) : v(value) {}  // NOLINT: a number is a constant, not an operation

  Counted& operator+=(const Counted& o) {
    ++counted_operations;
    v += o.v;
    return *this;
  }
  Counted& operator-=(const Counted& o) {
    ++counted_operations;
    v -= o.v;
    return *this;
  }
  Counted& operator*=(const Counted& o) {
    ++counted_operations;
    v *= o.v;
    return *this;
  }
  Counted& operator/=(const Counted& o) {
    ++counted_operations;
    v /= o.v;
    return *this;
  }
};

inline Counted counted(double v) {
  ++counted_operations;
  return Counted(v);
}
inline Counted operator+(const Counted& a, const Counted& b) { return counted(a.v + b.v); }
inline Counted operator-(const Counted& a, const Counted& b) { return counted(a.v - b.v); }
inline Counted operator*(const Counted& a, const Counted& b) { return counted(a.v * b.v); }
inline Counted operator/(const Counted& a, const Counted& b) { return counted(a.v / b.v); }
inline Counted operator-(const Counted& a) { return counted(-a.v); }
inline Counted exp(const Counted& a) { return counted(std::exp(a.v)); }
inline Counted log(const Counted& a) { return counted(std::log(a.v)); }
inline Counted sqrt(const Counted& a) { return counted(std::sqrt(a.v)); }
inline Counted fabs(const Counted& a) { return counted(std::fabs(a.v)); }
inline Counted pow(const Counted& a, double b) { return counted(std::pow(a.v, b)); }

}  // namespace bench
