// The umbrella header: #include <tapegrad/tapegrad.hpp> brings in all of tapegrad.
#pragma once

#include "autodiff/autodiff.hpp"
#include "models/models.hpp"
#include "optim/optim.hpp"
#include "plot/plot.hpp"
