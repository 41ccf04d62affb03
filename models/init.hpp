/// \file
/// Weight initializers, seeded and reproducible (random.hpp): Glorot uniform for
/// sigmoid and tanh layers, He uniform for relu layers, zeros for biases and for the
/// convex models (linear and logistic regression).
#pragma once

#include <cmath>

#include "../autodiff/tensor/tensor.hpp"
#include "random.hpp"

namespace tapegrad::models {

/// How a Linear layer's weights start.
enum class Init {
  GlorotUniform,  ///< U(−a, a), a = √(6 / (in + out)): keeps activations' variance (Glorot & Bengio 2010)
  HeUniform,      ///< U(−a, a), a = √(6 / in): the same for relu, which zeroes half (He et al. 2015)
  Zeros           ///< every weight 0 (for convex models: linear and logistic regression)
};

/// An in × out weight matrix.
template <class T>
MatrixX<T> initial_weights(Init init, Eigen::Index in, Eigen::Index out, Random& random) {
  const double fan_sum = static_cast<double>(in + out), fan_in = static_cast<double>(in);
  double bound = 0;
  switch (init) {
    case Init::GlorotUniform:
      bound = std::sqrt(6.0 / fan_sum);
      break;
    case Init::HeUniform:
      bound = std::sqrt(6.0 / fan_in);
      break;
    case Init::Zeros:
      return MatrixX<T>::Zero(in, out);
  }
  MatrixX<T> w(in, out);
  // Row by row, so the same seed gives the same matrix whatever the storage order.
  for (Eigen::Index i = 0; i < in; ++i)
    for (Eigen::Index j = 0; j < out; ++j) w(i, j) = static_cast<T>(random.uniform(-bound, bound));
  return w;
}

}  // namespace tapegrad::models
