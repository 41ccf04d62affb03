/// \file
/// Dual numbers as Eigen scalars, so that tensors, Parameters and every tensor operation
/// (the matrix product and the fused losses included) also work on Dual<T>: the tensor
/// form of forward over reverse (tensor_hessian.hpp). Eigen needs only the traits below;
/// the arithmetic and the math functions are Dual's own (scalar/dual.hpp). Products of
/// Dual matrices run Eigen's generic, unvectorized kernels.
#pragma once

#include <Eigen/Core>

#include "../scalar/dual.hpp"

namespace Eigen {

/// \cond INTERNAL
template <class T, int N>
struct NumTraits<tapegrad::Dual<T, N>> : NumTraits<T> {
  using Real = tapegrad::Dual<T, N>;
  using NonInteger = Real;
  using Nested = Real;
  using Literal = Real;
  enum {
    IsComplex = 0,
    IsInteger = 0,
    IsSigned = 1,
    RequireInitialization = 1,
    ReadCost = (N + 1) * NumTraits<T>::ReadCost,
    AddCost = (N + 1) * NumTraits<T>::AddCost,
    MulCost = (2 * N + 1) * NumTraits<T>::MulCost + N * NumTraits<T>::AddCost,
  };
  static Real epsilon() { return Real(NumTraits<T>::epsilon()); }
  static Real dummy_precision() { return Real(NumTraits<T>::dummy_precision()); }
  static Real highest() { return Real(NumTraits<T>::highest()); }
  static Real lowest() { return Real(NumTraits<T>::lowest()); }
  static int digits10() { return NumTraits<T>::digits10(); }
  /// \endcond
};

}  // namespace Eigen
