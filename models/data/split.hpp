/// \file
/// Splitting a data set in two, from a seed: for classification each class is split in
/// the same proportion (stratified), so a small class is not left out of the test set.
#pragma once

#include <cstdint>

#include "dataset.hpp"

namespace tapegrad::models {

/// A data set cut in two by train_test_split().
struct Split {
  /// The training part.
  Dataset train;
  /// The held-out part.
  Dataset test;
};

/// test_fraction of the rows (of each class, rounded; at least one per class with two
/// or more rows) go to `test`, the rest to `train`, both in shuffled order.
Split train_test_split(const Dataset& data, double test_fraction, std::uint64_t seed);

}  // namespace tapegrad::models
