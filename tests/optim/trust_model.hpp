// Trust-region tests' shared piece: the quadratic model's decrease.
#pragma once

#include <Eigen/Core>

namespace trust_region_tests {

// The model's decrease m(0) − m(p) = −(gᵀp + ½pᵀHp).
inline double trust_model_decrease(const Eigen::VectorXd& g, const Eigen::MatrixXd& h,
                                   const Eigen::VectorXd& p) {
  return -(g.dot(p) + 0.5 * p.dot(h * p));
}

}  // namespace trust_region_tests
