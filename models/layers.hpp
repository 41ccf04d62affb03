/// \file
/// The built-in Modules: Linear (z = x·W + b, W in × out, b a 1 × out row) and the
/// elementwise activations (activations.hpp: sigmoid, tanh, relu, gelu, gelu_tanh, silu).
#pragma once

#include "../autodiff/support/instantiate.hpp"
#include "../autodiff/tensor/linalg.hpp"
#include "activations.hpp"
#include "init.hpp"
#include "module.hpp"

namespace tapegrad::models {

/// A fully connected layer: y = x·W + b for a batch x (rows × in), with W (in × out) and b (1 × out) as
/// Parameters.
template <class T>
class Linear : public Module<T> {
 public:
  /// Weights from `init`, biases zero.
  Linear(Eigen::Index in, Eigen::Index out, Init init, Random& random)
      : weight_(initial_weights<T>(init, check_size(in, "in"), check_size(out, "out"), random)),
        bias_(MatrixX<T>::Zero(1, out)) {}
  /// Given weights (in × out) and bias (1 × out).
  Linear(const MatrixX<T>& weight, const MatrixX<T>& bias) : weight_(weight), bias_(bias) {
    if (bias.rows() != 1 || bias.cols() != weight.cols())
      throw Error("Linear: a bias of " + std::to_string(bias.rows()) + "×" + std::to_string(bias.cols()) +
                  " for a weight of " + weight_.shape() + " (it must be 1×" + std::to_string(weight.cols()) +
                  ")");
  }

  /// \copydoc Module::forward
  BasicTensor<T> forward(const BasicTensor<T>& x) override {
    if (x.cols() != in())
      throw Error("Linear(" + std::to_string(in()) + "→" + std::to_string(out()) + "): the input is " +
                  x.shape() + ", it must have " + std::to_string(in()) + " columns");
    return matmul(x, weight_.tensor()) + bias_.tensor();
  }
  /// \copydoc Module::parameters
  std::vector<BasicParameter<T>*> parameters() override { return {&weight_, &bias_}; }
  std::string kind() const override { return "linear"; }
  Eigen::Index output_width(Eigen::Index input) const override {
    if (input != in())
      throw Error("Linear(" + std::to_string(in()) + "→" + std::to_string(out()) + ") cannot take " +
                  std::to_string(input) + " features");
    return out();
  }
  /// \copydoc Module::clone
  std::unique_ptr<Module<T>> clone() const override { return std::make_unique<Linear>(*this); }

  /// The number of input features.
  Eigen::Index in() const { return weight_.rows(); }
  /// The number of outputs.
  Eigen::Index out() const { return weight_.cols(); }
  /// The weight matrix W (in × out) and the bias row b (1 × out), as Parameters.
  ///@{
  BasicParameter<T>& weight() { return weight_; }
  BasicParameter<T>& bias() { return bias_; }
  ///@}
  /// The weight matrix W (in × out) and the bias row b (1 × out), as Parameters.
  ///@{
  const BasicParameter<T>& weight() const { return weight_; }
  const BasicParameter<T>& bias() const { return bias_; }
  ///@}

 private:
  static Eigen::Index check_size(Eigen::Index n, const char* what) {
    if (n < 1) throw Error(std::string("Linear: ") + what + " = " + std::to_string(n) + " (must be ≥ 1)");
    return n;
  }
  BasicParameter<T> weight_;
  BasicParameter<T> bias_;
};

TAPEGRAD_COMPILED_IN_LIBRARY(class Linear<float>)
TAPEGRAD_COMPILED_IN_LIBRARY(class Linear<double>)

}  // namespace tapegrad::models
