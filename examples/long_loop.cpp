// A long time loop differentiated in little memory: 2000 explicit steps of the 1-D
// nonlinear heat equation u_t = ((1 + u²) u_x)_x on 100 points, and the gradient of
// Σ u² at the end with respect to the initial state, on the plain tape and through
// tg::checkpointed_loop keeping 5 … 2000 states. Prints, for each, the step evaluations
// (revolve's fewest, plus one recorded evaluation per step) and the tape's peak bytes;
// the claims checked: the same gradient every time, revolve's count exactly, and at 40
// states a twentieth of the plain tape's memory for under four evaluations per step.
#include <cmath>
#include <cstdio>
#include <span>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "lesson.hpp"

namespace tg = tapegrad;
using tg::Var;

namespace {

constexpr std::size_t points = 100, steps = 2000;

std::vector<Var> heat_step(std::span<const Var> u, std::size_t) {
  std::vector<Var> next(u.begin(), u.end());  // the ends stay at 0
  for (std::size_t i = 1; i + 1 < u.size(); ++i)
    next[i] = u[i] + 0.2 * ((1.0 + tg::square(0.5 * (u[i] + u[i + 1]))) * (u[i + 1] - u[i]) -
                            (1.0 + tg::square(0.5 * (u[i - 1] + u[i]))) * (u[i] - u[i - 1]));
  return next;
}

struct Run {
  std::vector<double> gradient;
  std::size_t evaluations = 0, peak_bytes = 0;
};

// snapshots = 0: the plain tape.
Run run(std::size_t snapshots) {
  Run out;
  tg::Tape tape;
  std::vector<Var> x;
  for (std::size_t i = 0; i < points; ++i)
    x.emplace_back(std::sin(3.141592653589793 * static_cast<double>(i) / (points - 1)));
  const auto step = [&out](std::span<const Var> u, std::size_t k) {
    ++out.evaluations;
    return heat_step(u, k);
  };
  std::vector<Var> u = x;
  if (snapshots == 0)
    for (std::size_t k = 0; k < steps; ++k) u = step(u, k);
  else
    u = tg::checkpointed_loop(steps, x, step, {.snapshots = snapshots});
  Var loss = 0.0;
  for (const Var& v : u) loss += tg::square(v);
  out.gradient = tg::gradient(loss, x);
  out.peak_bytes = tape.peak_bytes();
  return out;
}

}  // namespace

int main() {
  lesson::Claims claims;
  const Run plain = run(0);
  std::printf("%-10s %18s %18s %14s\n", "states", "step evaluations", "per step", "tape peak (kB)");
  std::printf("%-10s %18zu %18.2f %14.1f\n", "plain", plain.evaluations, 1.0, plain.peak_bytes / 1e3);
  for (const std::size_t snapshots : {5, 10, 40, 200, 2000}) {
    const Run r = run(snapshots);
    std::printf("%-10zu %18zu %18.2f %14.1f\n", snapshots, r.evaluations,
                static_cast<double>(r.evaluations) / steps, r.peak_bytes / 1e3);
    double diff = 0;
    for (std::size_t i = 0; i < points; ++i)
      diff = std::max(
          diff, std::abs(r.gradient[i] - plain.gradient[i]) / std::max(1.0, std::abs(plain.gradient[i])));
    claims.check(diff <= 1e-12, "the checkpointed gradient is the plain tape's");
    claims.check(r.evaluations == tg::revolve_advances(steps, snapshots) + steps,
                 "step is evaluated revolve's fewest times, plus once recorded");
    if (snapshots == 40) {
      claims.check(r.peak_bytes * 20 <= plain.peak_bytes,
                   "40 states take a twentieth of the plain tape's memory");
      claims.check(r.evaluations < 4 * steps, "for under four evaluations per step");
    }
  }
  return claims.exit_code();
}
