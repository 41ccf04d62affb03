/// \file
/// Generated classification data sets, from a seed: the problems a small network is
/// first tried on. Each has two features and integer classes.
#pragma once

#include <cstdint>

#include "dataset.hpp"

namespace tapegrad::models {

/// The four corners of XOR's truth table: (0,0)→0, (0,1)→1, (1,0)→1, (1,1)→0.
Dataset xor_truth_table();
/// `points` points uniform in [−1, 1]², class (x > 0) ≠ (y > 0), each coordinate then
/// moved by Gaussian noise of standard deviation `noise`.
Dataset make_xor(std::size_t points, double noise, std::uint64_t seed);
/// Two interleaving half circles (class 0 the upper, class 1 the lower), as
/// scikit-learn's make_moons draws them, with Gaussian noise.
Dataset make_moons(std::size_t points, double noise, std::uint64_t seed);
/// `classes` spiral arms around the origin, each of points/classes points, each arm
/// turning once and a half; noise is added to the angle (radians).
Dataset make_spirals(std::size_t points, int classes, double noise, std::uint64_t seed);

}  // namespace tapegrad::models
