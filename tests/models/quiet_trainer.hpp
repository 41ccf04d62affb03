// Trainer options for tests: no progress output, the rest as given.
#pragma once

#include <tapegrad/models/trainer.hpp>

inline tapegrad::models::TrainerOptions quiet(int epochs, Eigen::Index batch, std::uint64_t seed = 0) {
  tapegrad::models::TrainerOptions o;
  o.epochs = epochs;
  o.batch_size = batch;
  o.seed = seed;
  o.progress = tapegrad::models::ProgressStyle::Silent;
  return o;
}
