#include "standardize.hpp"

#include <cmath>
#include <string>

#include "../../autodiff/support/error.hpp"

namespace tapegrad::models {

Standardizer Standardizer::fit(const Eigen::MatrixXd& features) {
  if (features.rows() == 0) throw Error("Standardizer::fit: no rows to measure");
  Standardizer s;
  s.mean = features.colwise().mean();
  s.scale.resize(features.cols());
  for (Eigen::Index c = 0; c < features.cols(); ++c) {
    const double sd = std::sqrt((features.col(c).array() - s.mean(c)).square().mean());
    // A constant feature (the digits' border pixels) has no spread to divide by; a
    // spread at rounding level is also no spread.
    s.scale(c) = sd > 1e-12 * (1.0 + std::abs(s.mean(c))) ? sd : 1.0;
  }
  return s;
}

Eigen::MatrixXd Standardizer::apply(const Eigen::MatrixXd& features) const {
  if (empty()) return features;
  if (features.cols() != mean.size())
    throw Error("standardization was fitted on " + std::to_string(mean.size()) + " features; this data has " +
                std::to_string(features.cols()));
  return (features.rowwise() - mean).array().rowwise() / scale.array();
}

}  // namespace tapegrad::models
