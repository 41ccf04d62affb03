/// \file
/// The optimizer layer: every optimizer (first-order, L-BFGS, Newton-type), the schedulers,
/// gradient clipping, minimize(), least_squares(), solve(), implicit_solve() and
/// minimize_constrained() (IPOPT; its code is in tapegrad::ipopt, linked when called).
///
/// \namespace tapegrad::optim
/// Optimizers with PyTorch's update rules and state_dict(), learning-rate schedulers,
/// minimize(), least_squares(), solve() and implicit_solve().
#pragma once

#include "clip.hpp"
#include "constrained/minimize_constrained.hpp"
#include "implicit.hpp"
#include "least_squares.hpp"
#include "line_search.hpp"
#include "lr_scheduler.hpp"
#include "minimize.hpp"
#include "one_cycle_lr.hpp"
#include "optimizer.hpp"
#include "optimizers.hpp"
#include "solve.hpp"
