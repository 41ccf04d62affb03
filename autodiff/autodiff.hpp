/// \file
/// Everything of the reverse-mode tape: Tape, Var, the scalar operations, tensors and
/// Parameters with their operations and losses, gradients, Jacobians, user-defined
/// operations, gradient checking and graph export; forward mode (Dual, jvp) and second
/// derivatives (hvp, hessian); recorded functions replayed at new inputs; gradients
/// computed shard by shard on threads and processes (parallel/); sparsity patterns and their
/// coloring with ColPack, for sparse Jacobians and Hessians (sparse/); bounded memory for long
/// computations: checkpointed loops, checkpoints and preaccumulation (memory/).
///
/// \namespace tapegrad
/// The tape and everything built on it: Var, Tape, Tensor, Parameter, the operations,
/// gradient(), jacobian(), hessian(), hvp(), jvp(), record_function() and check_gradient().
/// Internal names live in tapegrad::detail and are not part of the reference.
///
/// \namespace tapegrad::special
/// Special functions the derivative rules need that `<cmath>` lacks (digamma, trigamma).
#pragma once

#include "check/gradient.hpp"
#include "check/tensor_gradient.hpp"
#include "cost/measure_cost.hpp"
#include "memory/checkpoint.hpp"
#include "memory/checkpointed_loop.hpp"
#include "memory/preaccumulate.hpp"
#include "memory/revolve.hpp"
#include "parallel/sharded_gradient.hpp"
#include "replay/recorded_function.hpp"
#include "replay/recorded_function_file.hpp"
#include "replay/replay_tape.hpp"
#include "scalar/custom_op.hpp"
#include "scalar/dual.hpp"
#include "scalar/forward_mode.hpp"
#include "scalar/gradient.hpp"
#include "scalar/graphviz.hpp"
#include "scalar/hessian.hpp"
#include "scalar/math.hpp"
#include "scalar/rules.hpp"
#include "scalar/tape.hpp"
#include "scalar/var.hpp"
#include "sparse/coloring.hpp"
#include "sparse/pattern.hpp"
#include "sparse/sparse_hessian.hpp"
#include "sparse/sparse_jacobian.hpp"
#include "support/error.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/fused.hpp"
#include "tensor/gradient_buffer.hpp"
#include "tensor/linalg.hpp"
#include "tensor/losses.hpp"
#include "tensor/parameter.hpp"
#include "tensor/reduce.hpp"
#include "tensor/scan.hpp"
#include "tensor/shape.hpp"
#include "tensor/tensor.hpp"
#include "tensor/tensor_hessian.hpp"
