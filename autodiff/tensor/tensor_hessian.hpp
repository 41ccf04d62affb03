/// \file
/// Second derivatives of a loss written with tensors (a logistic regression, a small
/// network): forward over reverse as for scalar functions (scalar/hessian.hpp), with
/// every tensor operation running on Dual<double> (dual_scalar.hpp). The variables are a
/// list of matrices (weights, biases); the Hessian's rows and columns run through them in
/// order, each matrix column by column (Eigen's storage order).
///
/// f takes a std::span<const BasicTensor<Dual<double>>> (one tensor per matrix) and
/// returns the loss as a BasicVar<Dual<double>> (every loss and sum() does) or a 1×1
/// tensor.
#pragma once

#include <Eigen/Core>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../scalar/hessian.hpp"
#include "parameter.hpp"
#include "reduce.hpp"

namespace tapegrad {

/// A tensor of Duals: what a function written generically over tensors is called with for
/// forward-over-reverse second derivatives.
using DualTensor = BasicTensor<Dual<double>>;

/// Hessian-vector products and Hessians of a scalar function of several tensors, by forward over reverse on
/// one tape it keeps (see tensor_hessian.hpp).
template <class F>
class TensorHessianOperator {
 public:
  /// The dual number type.
  using D = Dual<double>;

  /// `shapes`: the variables' shapes (rows, cols), in order.
  TensorHessianOperator(F f, const std::vector<std::pair<Eigen::Index, Eigen::Index>>& shapes)
      : f_(std::forward<F>(f)) {
    for (const auto& [rows, cols] : shapes) {
      parameters_.emplace_back(MatrixX<D>::Zero(rows, cols));
      size_ += static_cast<std::size_t>(rows * cols);
    }
  }
  TensorHessianOperator(const TensorHessianOperator&) = delete;
  TensorHessianOperator& operator=(const TensorHessianOperator&) = delete;

  /// The number of scalar variables (every tensor's entries).
  std::size_t size() const { return size_; }

  /// Returns f(x); writes ∇f(x) into gradient and H(x)·v into hv (flat, in order).
  double hvp(std::span<const double> x, std::span<const double> v, std::span<double> gradient,
             std::span<double> hv) {
    for (const std::span<const double>* s : {&x, &v})
      detail::check_same_size(size_, s->size(), "tensor hvp", "the variables' entries");
    detail::check_same_size(size_, gradient.size(), "tensor hvp", "the gradient's buffer");
    detail::check_same_size(size_, hv.size(), "tensor hvp", "the product's buffer");
    tape_.clear();
    std::size_t k = 0;
    tensors_.clear();
    for (BasicParameter<D>& p : parameters_) {
      for (Eigen::Index e = 0; e < p.size(); ++e, ++k) p.value()(e) = D(x[k], v[k]);
      p.zero_grad();
      tensors_.push_back(p.tensor());
    }
    const BasicVar<D> loss = as_var(f_(std::span<const DualTensor>(tensors_)));
    tape_.backward(loss);
    k = 0;
    for (const BasicParameter<D>& p : parameters_)
      for (Eigen::Index e = 0; e < p.size(); ++e, ++k) {
        gradient[k] = p.grad()(e).value();
        hv[k] = p.grad()(e).tangent();
      }
    return loss.value().value();
  }

  /// The dense Hessian at `x` (flat, in order): size() Hessian-vector products.
  Eigen::MatrixXd hessian(std::span<const double> x) {
    std::vector<double> gradient(size_);
    return detail::hessian_from_products(
        size_, [&](std::span<const double> v, std::span<double> column) { hvp(x, v, gradient, column); });
  }

 private:
  static BasicVar<D> as_var(const BasicVar<D>& y) { return y; }
  static BasicVar<D> as_var(const DualTensor& y) {
    if (y.size() != 1)
      throw Error("tensor_hessian: f returned a " + y.shape() + " tensor; the loss must be 1×1");
    return sum(y);
  }

  F f_;
  BasicTape<D> tape_;
  std::vector<BasicParameter<D>> parameters_;
  std::vector<DualTensor> tensors_;
  std::size_t size_ = 0;
};

namespace detail {
inline std::vector<std::pair<Eigen::Index, Eigen::Index>> shapes_of(const std::vector<Eigen::MatrixXd>& x) {
  std::vector<std::pair<Eigen::Index, Eigen::Index>> shapes;
  for (const Eigen::MatrixXd& m : x) shapes.emplace_back(m.rows(), m.cols());
  return shapes;
}
inline std::vector<double> flat(const std::vector<Eigen::MatrixXd>& x) {
  std::vector<double> out;
  for (const Eigen::MatrixXd& m : x) out.insert(out.end(), m.data(), m.data() + m.size());
  return out;
}
}  // namespace detail

/// The Hessian of f at the matrices x, over all their entries in order.
template <class F>
Eigen::MatrixXd tensor_hessian(F&& f, const std::vector<Eigen::MatrixXd>& x) {
  TensorHessianOperator<F&> op(f, detail::shapes_of(x));
  return op.hessian(detail::flat(x));
}

/// H·v at x, shaped like x.
template <class F>
std::vector<Eigen::MatrixXd> tensor_hvp(F&& f, const std::vector<Eigen::MatrixXd>& x,
                                        const std::vector<Eigen::MatrixXd>& v) {
  TensorHessianOperator<F&> op(f, detail::shapes_of(x));
  if (detail::shapes_of(v) != detail::shapes_of(x))
    throw Error("tensor_hvp: the direction v must have the shapes of x");
  const std::vector<double> xs = detail::flat(x), vs = detail::flat(v);
  std::vector<double> gradient(xs.size()), hv(xs.size());
  op.hvp(xs, vs, gradient, hv);
  std::vector<Eigen::MatrixXd> out;
  std::size_t k = 0;
  for (const Eigen::MatrixXd& m : x) {
    out.push_back(Eigen::Map<const Eigen::MatrixXd>(hv.data() + k, m.rows(), m.cols()));
    k += static_cast<std::size_t>(m.size());
  }
  return out;
}

}  // namespace tapegrad
