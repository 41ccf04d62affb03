/// \file
/// The float and double forms every program uses (layers, networks, models, the
/// Trainer's fit, the optimizers' shared base) are compiled once, in the library: each
/// header ends with TAPEGRAD_COMPILED_IN_LIBRARY(…) for them, which is an explicit
/// instantiation declaration (`extern template …`) in a user's program, so that its
/// compiler skips instantiating and generating them (half the compile time of a program
/// that trains a network), and an explicit instantiation definition in the one library
/// file that defines TAPEGRAD_INSTANTIATE_HERE (models/instantiations.cpp).
#pragma once

#ifdef TAPEGRAD_INSTANTIATE_HERE
#define TAPEGRAD_COMPILED_IN_LIBRARY(...) template __VA_ARGS__;
#else
#define TAPEGRAD_COMPILED_IN_LIBRARY(...) extern template __VA_ARGS__;
#endif
