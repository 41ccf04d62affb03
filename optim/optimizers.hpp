/// \file
/// Every optimizer, listed once. The command line's --optimizer choices (each name in
/// lower case, or its command_line_name), each optimizer's flags (its options' fields(), with '_' as '-'),
/// their help text and the "does not apply to" check all come from this list. A new optimizer is its own file
/// plus one entry here.
#pragma once

#include <tuple>

#include "adadelta.hpp"
#include "adagrad.hpp"
#include "adam.hpp"
#include "adamax.hpp"
#include "adamw.hpp"
#include "asgd.hpp"
#include "lbfgs.hpp"
#include "nadam.hpp"
#include "newton.hpp"
#include "newton_cg.hpp"
#include "radam.hpp"
#include "rmsprop.hpp"
#include "rprop.hpp"
#include "sgd.hpp"
#include "trust_newton_cg.hpp"

namespace tapegrad::optim {

/// Every optimizer, in the order the command line lists them.
using Optimizers = std::tuple<Sgd, Adam, AdamW, RmsProp, Adagrad, Adamax, NAdam, RAdam, Adadelta, Rprop, Asgd,
                              Lbfgs, Newton, NewtonCg, TrustNewtonCg>;

}  // namespace tapegrad::optim
