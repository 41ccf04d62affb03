// Everything of the reverse-mode tape: Tape, Var, the scalar operations, tensors and
// Parameters with their operations and losses, gradients, Jacobians, user-defined
// operations, gradient checking and graph export.
#pragma once

#include "check_gradient.hpp"
#include "check_tensor_gradient.hpp"
#include "custom_op.hpp"
#include "dot.hpp"
#include "error.hpp"
#include "gradient.hpp"
#include "losses.hpp"
#include "math.hpp"
#include "parameter.hpp"
#include "rules.hpp"
#include "tape.hpp"
#include "tensor.hpp"
#include "tensor_elementwise.hpp"
#include "tensor_linalg.hpp"
#include "tensor_reduce.hpp"
#include "tensor_scan.hpp"
#include "tensor_shape.hpp"
#include "var.hpp"
