/// \file
/// Standardization: each feature shifted by its mean and divided by its standard
/// deviation, both measured on the training split only (measuring them on all the data
/// would leak the test set into training). The statistics travel in the model file, so
/// a loaded model scales new data exactly as it was trained.
#pragma once

#include <Eigen/Core>

namespace tapegrad::models {

/// Per-feature standardization, (x − mean) / scale, fitted on the training data and stored with a model so
/// that predictions scale new rows the same way.
struct Standardizer {
  Eigen::RowVectorXd mean;   ///< empty: no scaling
  Eigen::RowVectorXd scale;  ///< standard deviation (population), or 1 for a constant feature

  /// Fits the mean and population standard deviation of every column of `features`.
  static Standardizer fit(const Eigen::MatrixXd& features);
  /// True when there is no scaling.
  bool empty() const { return mean.size() == 0; }
  /// (x − mean) / scale, row by row; x unchanged when empty(). Throws when the column
  /// count differs from the fitted one.
  Eigen::MatrixXd apply(const Eigen::MatrixXd& features) const;
};

}  // namespace tapegrad::models
