/// \file
/// The random numbers behind initializers, shuffling, splits and generated data sets.
/// std::mt19937_64's output is fixed by the standard, but the std:: distributions are
/// not (libstdc++ and libc++ differ), so the distributions are written out here: a seed
/// gives the same weights, batches and splits with every compiler and library.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <utility>

namespace tapegrad::models {

/// The models' random generator: a 64-bit Mersenne Twister with its own uniform and normal transforms, so
/// that the same seed gives the same numbers on every platform and standard library
/// (std::uniform_real_distribution's output is implementation-defined).
class Random {
 public:
  /// A generator seeded with `seed`.
  explicit Random(std::uint64_t seed) : engine_(seed) {}

  /// Uniform on [0, 1), from the top 53 bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  /// Uniform on [low, high).
  double uniform(double low, double high) { return low + (high - low) * uniform(); }

  /// Standard normal, by the Box–Muller transform (one value per call, the second is
  /// dropped so that the sequence never depends on call history).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]: log(u1) is finite
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

  /// Uniform on {0, …, n − 1}, without modulo bias (rejection of the short last range).
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    std::uint64_t r;
    do r = engine_();
    while (r >= limit);
    return r % n;
  }

  /// Fisher–Yates.
  template <class U>
  void shuffle(std::span<U> items) {
    for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[below(i)]);
  }

  /// The generator's whole state as text (the standard's stream format), and back: what
  /// checkpoints save so that a resumed run draws the same numbers.
  std::string state() const {
    std::ostringstream out;
    out << engine_;
    return out.str();
  }
  /// Returns false, leaving the generator as it was, when `text` is not such a state.
  bool set_state(const std::string& text) {
    std::istringstream in(text);
    std::mt19937_64 restored;
    in >> restored;
    if (in.fail()) return false;
    engine_ = restored;
    return true;
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace tapegrad::models
