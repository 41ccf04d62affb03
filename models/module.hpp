/// \file
/// A Module is one stage of a network: it maps a batch (rows × features tensor) to a
/// batch, recording on the active tape, and owns the Parameters it reads. Linear and
/// the activations are Modules; Sequential chains them. A user's own Module works in a
/// Sequential and with every optimizer; saving to a model file needs a built-in kind.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "../autodiff/tensor/parameter.hpp"
#include "../autodiff/tensor/tensor.hpp"

namespace tapegrad::models {

/// A stage of a Sequential network: a function of a batch (rows × features) to a batch, with its own
/// Parameters. Linear and the activations are Modules; a new kind needs forward(), kind(), clone() and, if it
/// has weights, parameters() (and model_file.cpp to be saved).
template <class T>
class Module {
 public:
  virtual ~Module();
  /// The stage's output for the batch `x` (rows × features), recorded on x's tape.
  virtual BasicTensor<T> forward(const BasicTensor<T>& x) = 0;
  /// The stage's Parameters (none by default).
  virtual std::vector<BasicParameter<T>*> parameters() { return {}; }
  /// The name model files store ("linear", "sigmoid", "tanh", "relu").
  virtual std::string kind() const = 0;
  /// The feature count this stage outputs for `input` input features; throws
  /// tapegrad::Error when it cannot take that many.
  virtual Eigen::Index output_width(Eigen::Index input) const { return input; }
  /// A copy of the stage with its own Parameters.
  virtual std::unique_ptr<Module> clone() const = 0;
};

// Defaulted here, not in the class: see "Virtual destructors" in docs/architecture.md.
template <class T>
Module<T>::~Module() = default;

}  // namespace tapegrad::models
