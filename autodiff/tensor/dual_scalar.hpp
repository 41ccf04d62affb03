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
template <class T>
struct NumTraits<tapegrad::Dual<T>> : NumTraits<T> {
  using Real = tapegrad::Dual<T>;
  using NonInteger = Real;
  using Nested = Real;
  using Literal = Real;
  enum {
    IsComplex = 0,
    IsInteger = 0,
    IsSigned = 1,
    RequireInitialization = 1,
    ReadCost = 2 * NumTraits<T>::ReadCost,
    AddCost = 2 * NumTraits<T>::AddCost,
    MulCost = 3 * NumTraits<T>::MulCost + NumTraits<T>::AddCost,
  };
  static Real epsilon() { return Real(NumTraits<T>::epsilon()); }
  static Real dummy_precision() { return Real(NumTraits<T>::dummy_precision()); }
  static Real highest() { return Real(NumTraits<T>::highest()); }
  static Real lowest() { return Real(NumTraits<T>::lowest()); }
  static int digits10() { return NumTraits<T>::digits10(); }
  /// \endcond
};

}  // namespace Eigen
