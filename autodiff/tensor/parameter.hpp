// Parameter: a value and its gradient that outlive every tape (a model's weights).
// Using one records a leaf that reads the Parameter's own storage, and the reverse
// sweep adds straight into its gradient, so backward() accumulates exactly as
// PyTorch's does and zero_grad() is the only thing that clears it. Clearing a tape
// never touches a Parameter.
#pragma once

#include <Eigen/Core>
#include <string>

#include "tensor.hpp"

namespace tapegrad {

template <class T>
class BasicParameter {
 public:
  using value_type = T;
  using Matrix = MatrixX<T>;

  // A scalar parameter.
  explicit BasicParameter(const T& value)
      : value_(Matrix::Constant(1, 1, value)), grad_(Matrix::Zero(1, 1)) {}
  // A tensor parameter with the given initial value.
  template <class Derived>
  explicit BasicParameter(const Eigen::MatrixBase<Derived>& value)
      : value_(value), grad_(Matrix::Zero(value.rows(), value.cols())) {}

  // The Parameter as a tensor leaf on the active tape. The leaf reads this Parameter's
  // storage and accumulates into its gradient, so the Parameter must outlive the
  // recording's backward() and must not be resized or moved while the recording is in
  // use (a replay reads its values as they are then).
  BasicTensor<T> tensor() {
    BasicTape<T>& tape = BasicTape<T>::active_or_throw("Parameter::tensor");
    if (tape.checking_finite()) [[unlikely]]
      detail::check_tensor_finite<T>("a Parameter", value_.data(), value_.rows(), value_.cols(), {});
    const std::uint32_t statement = tape.record_operands({}, {}, {});
    if (tape.checking_finite()) [[unlikely]]
      tape.checked_tensors().add(statement, "a Parameter", static_cast<std::uint32_t>(value_.rows()),
                                 static_cast<std::uint32_t>(value_.cols()), grad_.data());
    return BasicTensor<T>(typename BasicTensor<T>::Recorded{}, value_.data(), grad_.data(), value_.rows(),
                          value_.cols(), statement, tape.generation());
  }

  // A scalar Parameter as a Var leaf; its adjoint is added into grad() by backward().
  BasicVar<T> var() {
    if (value_.size() != 1)
      throw Error("tapegrad: Parameter::var: the parameter is " + shape() + ", not a scalar (1×1)");
    BasicTape<T>& tape = BasicTape<T>::active_or_throw("Parameter::var");
    if (tape.checking_finite()) [[unlikely]]
      detail::check_input_finite(value_(0, 0), "a scalar Parameter's value");
    const std::uint32_t statement = tape.record_hook(&add_scalar_adjoint, grad_.data());
    tape.set_replay_forward(statement, &read_scalar_value, this, value_(0, 0));
    return BasicVar<T>(typename BasicVar<T>::Recorded{}, value_(0, 0), statement, tape.generation());
  }

  Matrix& value() noexcept { return value_; }
  const Matrix& value() const noexcept { return value_; }
  Matrix& grad() noexcept { return grad_; }
  const Matrix& grad() const noexcept { return grad_; }
  Eigen::Index rows() const noexcept { return value_.rows(); }
  Eigen::Index cols() const noexcept { return value_.cols(); }
  Eigen::Index size() const noexcept { return value_.size(); }
  std::string shape() const { return std::to_string(value_.rows()) + "×" + std::to_string(value_.cols()); }

  void zero_grad() { grad_.setZero(); }

 private:
  static void add_scalar_adjoint(BasicTape<T>& tape, std::uint32_t statement, const void* grad) {
    *static_cast<T*>(const_cast<void*>(grad)) += tape.adjoint_at(statement);
  }
  // A replay reads the Parameter as it is then (after an optimizer's step).
  static void read_scalar_value(BasicTape<T>& tape, std::uint32_t statement, const void* parameter) {
    tape.replay_record().set_value(statement, static_cast<const BasicParameter*>(parameter)->value_(0, 0));
  }

  Matrix value_;
  Matrix grad_;
};

using Parameter = BasicParameter<double>;
using FloatParameter = BasicParameter<float>;

}  // namespace tapegrad
