/// \file
/// Linear regression y = x·A + b (y = a·x + b for one feature and one target), trained
/// with mse by any optimizer, or solved directly by least squares (fit_closed_form).
/// The two agree; the iterative fit is the one that still works when the data does not
/// fit in memory at once or the model grows beyond linear.
#pragma once

#include <Eigen/QR>

#include "../autodiff/support/instantiate.hpp"
#include "model.hpp"

namespace tapegrad::models {

/// Linear regression y = x·W + b with the mean squared error: trained by any optimizer through the Trainer,
/// or solved exactly by fit_closed_form().
///
/// \snippet test_doc_examples.cpp linear_regression
template <class T>
class BasicLinearRegression : public BasicModel<T> {
 public:
  /// Coefficients start at zero: the loss is convex, so there is nothing to break.
  explicit BasicLinearRegression(Eigen::Index inputs, Eigen::Index outputs = 1)
      : BasicModel<T>(build(inputs, outputs), Loss::Mse) {}

  /// The least-squares coefficients, by column-pivoting Householder QR of [x 1] (stable
  /// without forming xᵀx, whose condition number is the square of x's), on the model's
  /// standardized inputs.
  void fit_closed_form(const Dataset& data) {
    this->accept(data);
    const Eigen::MatrixXd x = this->scaling().apply(data.features);
    Eigen::MatrixXd design(x.rows(), x.cols() + 1);
    design << x, Eigen::VectorXd::Ones(x.rows());
    const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(design);
    if (qr.rank() < design.cols())
      throw Error(
          "LinearRegression::fit_closed_form: the features (with the intercept) are linearly "
          "dependent (rank " +
          std::to_string(qr.rank()) + " of " + std::to_string(design.cols()) +
          "), so the least-squares solution is not unique");
    const Eigen::MatrixXd solution = qr.solve(data.targets);
    linear().weight().value() = solution.topRows(x.cols()).template cast<T>();
    linear().bias().value() = solution.bottomRows(1).template cast<T>();
  }

  /// The one Linear layer.
  Linear<T>& linear() { return static_cast<Linear<T>&>(this->network()[0]); }
  /// For one feature and one target: y = slope·x + intercept (in standardized x when
  /// the model standardizes).
  T slope() { return linear().weight().value()(0, 0); }
  /// The intercept b (one feature and one target).
  T intercept() { return linear().bias().value()(0, 0); }

 private:
  static Sequential<T> build(Eigen::Index inputs, Eigen::Index outputs) {
    Random unused(0);
    Sequential<T> net;
    net.template emplace<Linear<T>>(inputs, outputs, Init::Zeros, unused);
    return net;
  }
};

/// In double: regression coefficients are results people read and compare.
using LinearRegression = BasicLinearRegression<double>;

TAPEGRAD_COMPILED_IN_LIBRARY(class BasicLinearRegression<double>)

}  // namespace tapegrad::models
