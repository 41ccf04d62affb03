// The explicit instantiations that TAPEGRAD_COMPILED_IN_LIBRARY declares in every
// header (autodiff/support/instantiate.hpp): this file compiles them once for every
// program.
#define TAPEGRAD_INSTANTIATE_HERE
#include "../optim/optimizers.hpp"
#include "models.hpp"
