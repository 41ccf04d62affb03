// A Module is one stage of a network: it maps a batch (rows × features tensor) to a
// batch, recording on the active tape, and owns the Parameters it reads. Linear and
// the activations are Modules; Sequential chains them. A user's own Module works in a
// Sequential and with every optimizer; saving to a model file needs a built-in kind.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "../autodiff/tensor/parameter.hpp"
#include "../autodiff/tensor/tensor.hpp"

namespace tapegrad::models {

template <class T>
class Module {
 public:
  virtual ~Module() = default;
  virtual BasicTensor<T> forward(const BasicTensor<T>& x) = 0;
  virtual std::vector<BasicParameter<T>*> parameters() { return {}; }
  // The name model files store ("linear", "sigmoid", "tanh", "relu").
  virtual std::string kind() const = 0;
  // The feature count this stage outputs for `input` input features; throws
  // tapegrad::Error when it cannot take that many.
  virtual Eigen::Index output_width(Eigen::Index input) const { return input; }
  virtual std::unique_ptr<Module> clone() const = 0;
};

}  // namespace tapegrad::models
