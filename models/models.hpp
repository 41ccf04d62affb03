/// \file
/// Everything in models/: data sets, layers and models, the Trainer, model files.
///
/// \namespace tapegrad::models
/// Data sets, layers and models (linear and logistic regression, multi-layer perceptrons),
/// the Trainer with its progress, history, checkpoints and data parallelism, and model
/// files.
#pragma once

#include "checkpoint.hpp"
#include "data/builtin.hpp"
#include "data/csv.hpp"
#include "data/dataset.hpp"
#include "data/generate.hpp"
#include "data/split.hpp"
#include "data/standardize.hpp"
#include "history.hpp"
#include "layers.hpp"
#include "linear_regression.hpp"
#include "logistic_regression.hpp"
#include "mlp.hpp"
#include "model.hpp"
#include "model_file.hpp"
#include "sequential.hpp"
#include "trainer.hpp"
