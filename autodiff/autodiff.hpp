// Everything of the scalar reverse-mode tape: Tape, Var, the operations, gradients,
// Jacobians, user-defined operations, gradient checking and graph export.
#pragma once

#include "check_gradient.hpp"
#include "custom_op.hpp"
#include "dot.hpp"
#include "error.hpp"
#include "gradient.hpp"
#include "math.hpp"
#include "rules.hpp"
#include "tape.hpp"
#include "var.hpp"
