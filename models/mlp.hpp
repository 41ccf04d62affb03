/// \file
/// A multi-layer perceptron: Linear layers with an activation between them (sigmoid by
/// default) and none after the last, trained with softmax cross-entropy (several
/// outputs), binary cross-entropy (one output) or mse (regression).
#pragma once

#include <cstdint>
#include <optional>

#include "../autodiff/support/instantiate.hpp"
#include "model.hpp"

namespace tapegrad::models {

/// The options of BasicMlp.
struct MlpOptions {
  /// The activation between layers (none after the last).
  Activation activation = Activation::Sigmoid;
  /// Default: softmax cross-entropy for several outputs, binary cross-entropy for one.
  std::optional<Loss> loss = std::nullopt;
  /// Default: the activation's own (default_init: Glorot uniform for sigmoid and tanh, He uniform for the
  /// ReLU family).
  std::optional<Init> init = std::nullopt;
  /// Seeds the initial weights: the same seed, the same network.
  std::uint64_t seed = 0;
};

/// A multi-layer perceptron: Linear layers of the given widths with an activation between each two.
///
/// \snippet test_doc_examples.cpp mlp
template <class T>
class BasicMlp : public BasicModel<T> {
 public:
  /// widths: inputs, hidden widths…, outputs (at least two entries).
  explicit BasicMlp(const std::vector<Eigen::Index>& widths, const MlpOptions& options = {})
      : BasicModel<T>(build(widths, options), loss_for(widths, options)) {}

 private:
  static Loss loss_for(const std::vector<Eigen::Index>& widths, const MlpOptions& options) {
    if (options.loss) return *options.loss;
    return widths.size() >= 2 && widths.back() == 1 ? Loss::BinaryCrossEntropy : Loss::SoftmaxCrossEntropy;
  }
  static Sequential<T> build(const std::vector<Eigen::Index>& widths, const MlpOptions& options) {
    if (widths.size() < 2)
      throw Error("Mlp: " + std::to_string(widths.size()) +
                  " widths given; it needs the input and output widths at least");
    const Init init = options.init.value_or(default_init(options.activation));
    Random random(options.seed);
    Sequential<T> net;
    for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
      net.template emplace<Linear<T>>(widths[l], widths[l + 1], init, random);
      if (l + 2 < widths.size()) net.add(make_activation<T>(options.activation));
    }
    return net;
  }
};

/// Training runs in float by default: half the memory traffic of double, and the
/// gradient noise of minibatches is far above float's rounding.
using Mlp = BasicMlp<float>;

TAPEGRAD_COMPILED_IN_LIBRARY(class BasicMlp<float>)
TAPEGRAD_COMPILED_IN_LIBRARY(class BasicMlp<double>)

}  // namespace tapegrad::models
