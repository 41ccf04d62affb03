// The umbrella header: #include <tapegrad/tapegrad.hpp> brings in all of tapegrad.
#pragma once

#include "autodiff/autodiff.hpp"
#include "optim/optim.hpp"
