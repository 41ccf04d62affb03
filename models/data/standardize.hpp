// Standardization: each feature shifted by its mean and divided by its standard
// deviation, both measured on the training split only (measuring them on all the data
// would leak the test set into training). The statistics travel in the model file, so
// a loaded model scales new data exactly as it was trained.
#pragma once

#include <Eigen/Core>

namespace tapegrad::models {

struct Standardizer {
  Eigen::RowVectorXd mean;   // empty: no scaling
  Eigen::RowVectorXd scale;  // standard deviation (population), or 1 for a constant feature

  static Standardizer fit(const Eigen::MatrixXd& features);
  bool empty() const { return mean.size() == 0; }
  // (x − mean) / scale, row by row; x unchanged when empty(). Throws when the column
  // count differs from the fitted one.
  Eigen::MatrixXd apply(const Eigen::MatrixXd& features) const;
};

}  // namespace tapegrad::models
