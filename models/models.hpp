// Everything in models/: data sets, layers and models, the Trainer, model files.
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
