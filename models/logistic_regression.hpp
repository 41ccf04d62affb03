/// \file
/// Logistic regression: one Linear layer; for two classes one output, the logit of
/// class 1, with binary cross-entropy; for more, one logit per class with softmax
/// cross-entropy (multinomial logistic regression).
#pragma once

#include "../autodiff/support/instantiate.hpp"
#include "model.hpp"

namespace tapegrad::models {

/// Logistic regression: one Linear layer trained with binary cross-entropy (two classes: one logit) or
/// softmax cross-entropy (more classes). The loss is convex, so the weights start at zero.
template <class T>
class BasicLogisticRegression : public BasicModel<T> {
 public:
  /// Coefficients start at zero: the loss is convex.
  BasicLogisticRegression(Eigen::Index inputs, int classes)
      : BasicModel<T>(build(inputs, check(classes)),
                      classes == 2 ? Loss::BinaryCrossEntropy : Loss::SoftmaxCrossEntropy) {}

  /// The one Linear layer.
  Linear<T>& linear() { return static_cast<Linear<T>&>(this->network()[0]); }

 private:
  static int check(int classes) {
    if (classes < 2) throw Error("LogisticRegression: " + std::to_string(classes) + " classes (need ≥ 2)");
    return classes;
  }
  static Sequential<T> build(Eigen::Index inputs, int classes) {
    Random unused(0);
    Sequential<T> net;
    net.template emplace<Linear<T>>(inputs, classes == 2 ? 1 : classes, Init::Zeros, unused);
    return net;
  }
};

/// Logistic regression in double.
using LogisticRegression = BasicLogisticRegression<double>;

TAPEGRAD_COMPILED_IN_LIBRARY(class BasicLogisticRegression<double>)

}  // namespace tapegrad::models
