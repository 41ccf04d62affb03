// A root of x⁷ + x³ − 25 + eˣ + log(x + x²) + 1/x by Newton's method, with the
// derivative from the tape: x ← x − g(x)/g'(x). From x = 1 it converges in a handful of
// steps to 1.478063…, the number of correct digits doubling each time. The value often
// quoted for this root, 1.4786, is not one: g(1.4786) ≈ 0.045, because g' ≈ 84 there
// and 1.4786 is 0.00054 off.
#include <cmath>
#include <cstdio>
#include <tapegrad/tapegrad.hpp>

#include "lesson.hpp"

namespace tg = tapegrad;

template <class T>
T g(const T& x) {
  using std::exp, std::log;
  return tg::pow(x, 7.0) + tg::pow(x, 3.0) - 25.0 + exp(x) + log(x + x * x) + 1.0 / x;
}

int main() {
  double x = 1;
  std::printf("step  x                     g(x)\n");
  for (int step = 0; step < 20; ++step) {
    tg::Tape tape;
    tg::Var v = x;
    const tg::Var y = g(v);
    std::printf("%4d  %.17g  %.3e\n", step, x, y.value());
    if (std::abs(y.value()) < 1e-12) break;
    const double slope = tg::gradient(y, {v})[0];
    x -= y.value() / slope;
  }
  tg::Tape tape;
  const tg::Var quoted = 1.4786;
  const tg::Var at_quoted = g(quoted);
  std::printf("the root: x = %.10f\n", x);
  lesson::Claims claims;
  claims.check(std::abs(g(tg::Var(x)).value()) < 1e-10, "Newton's iterate is a root: |g(x)| < 1e-10");
  claims.check(std::abs(at_quoted.value()) > 0.04, "g(1.4786) is far from 0: 1.4786 is not the root");
  std::printf("g(1.4786) = %.4f, g'(1.4786) = %.1f: 1.4786 is %.5f from the root\n", at_quoted.value(),
              tg::gradient(at_quoted, {quoted})[0], 1.4786 - x);
  return claims.exit_code();
}
