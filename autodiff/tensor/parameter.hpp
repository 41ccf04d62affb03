/// \file
/// Parameter: a value and its gradient that outlive every tape (a model's weights).
/// Using one records a leaf that reads the Parameter's own storage, and the reverse
/// sweep writes straight into its gradient, so backward() accumulates exactly as
/// PyTorch's does and zero_grad() is the only thing that clears it. Clearing a tape
/// never touches a Parameter.
///
/// zero_grad() costs nothing: it marks the gradient as zero, and the next backward's
/// first contribution is assigned instead of added (scalar/tensor_adjoints.hpp); the
/// storage is zeroed only if grad() is read before a backward writes it. So the
/// gradient must be read through grad() (or Tensor::adjoint()), not through a pointer
/// kept from before zero_grad().
///
/// On a thread where a WorkerGradients::Redirect is alive, the leaves write into that
/// worker's buffers instead (gradient_buffer.hpp): data-parallel shards.
#pragma once

#include <Eigen/Core>
#include <string>

#include "gradient_buffer.hpp"
#include "tensor.hpp"

namespace tapegrad {

/// A trainable matrix that outlives tapes: its value and its gradient, which every backward() through it adds
/// to until zero_grad(). Using it in an expression on a tape (tensor(), or var() for a 1 × 1 one) records a
/// leaf whose gradient goes straight into grad(). Optimizers hold references to Parameters.
///
/// \snippet test_doc_examples.cpp parameter
template <class T>
class BasicParameter {
 public:
  /// The scalar type.
  using value_type = T;
  /// The matrix type.
  using Matrix = MatrixX<T>;

  /// A scalar parameter.
  explicit BasicParameter(const T& value)
      : value_(Matrix::Constant(1, 1, value)), gradient_{Matrix::Zero(1, 1)} {}
  /// A tensor parameter with the given initial value.
  template <class Derived>
  explicit BasicParameter(const Eigen::MatrixBase<Derived>& value)
      : value_(value), gradient_{Matrix::Zero(value.rows(), value.cols())} {}

  /// The Parameter as a tensor leaf on the active tape. The leaf reads this Parameter's
  /// storage and accumulates into its gradient, so the Parameter must outlive the
  /// recording's backward() and must not be resized or moved while the recording is in
  /// use (a replay reads its values as they are then).
  BasicTensor<T> tensor() {
    BasicTape<T>& tape = BasicTape<T>::active_or_throw("Parameter::tensor");
    if (tape.checking_finite()) [[unlikely]]
      detail::check_tensor_finite<T>("a Parameter", value_.data(), value_.rows(), value_.cols(), {});
    const std::uint32_t statement = tape.record_operands({}, {}, {});
    detail::GradientBuffer<T>& gradient = gradient_on_this_thread();
    if (tape.checking_finite()) [[unlikely]]
      tape.checked_tensors().add(statement, "a Parameter", static_cast<std::uint32_t>(value_.rows()),
                                 static_cast<std::uint32_t>(value_.cols()), gradient.values.data(),
                                 &gradient.state);
    return BasicTensor<T>(typename BasicTensor<T>::Recorded{}, value_.data(), gradient.target(),
                          value_.rows(), value_.cols(), statement, tape.generation());
  }

  /// A scalar Parameter as a Var leaf; its adjoint is added into grad() by backward().
  BasicVar<T> var() {
    if (value_.size() != 1)
      throw Error("Parameter::var: the parameter is " + shape() + ", not a scalar (1×1)");
    BasicTape<T>& tape = BasicTape<T>::active_or_throw("Parameter::var");
    if (tape.checking_finite()) [[unlikely]]
      detail::check_input_finite(value_(0, 0), "a scalar Parameter's value");
    const std::uint32_t statement = tape.record_hook(&add_scalar_adjoint, &gradient_on_this_thread());
    if (detail::RecordingObserver<T>* observer = tape.observer())
      observer->forward(statement, &read_scalar_value, this, value_(0, 0));
    return BasicVar<T>(typename BasicVar<T>::Recorded{}, value_(0, 0), statement, tape.generation());
  }

  /// The value, to read or set (keep its shape: optimizers rely on it).
  ///@{
  Matrix& value() noexcept { return value_; }
  const Matrix& value() const noexcept { return value_; }
  ///@}
  /// The gradient accumulated since zero_grad() (zeros before any backward()).
  Matrix& grad() noexcept {
    gradient_.settle();
    return gradient_.values;
  }
  /// The gradient accumulated since zero_grad() (zeros before any backward()).
  const Matrix& grad() const noexcept {
    gradient_.settle();
    return gradient_.values;
  }
  /// Rows of the value.
  Eigen::Index rows() const noexcept { return value_.rows(); }
  /// Columns of the value.
  Eigen::Index cols() const noexcept { return value_.cols(); }
  /// Entries of the value.
  Eigen::Index size() const noexcept { return value_.size(); }
  /// "rows×cols", for messages.
  std::string shape() const { return std::to_string(value_.rows()) + "×" + std::to_string(value_.cols()); }

  /// Marks the gradient zero; free (see the top of this file).
  void zero_grad() noexcept { gradient_.mark_zero(); }

 private:
  // This Parameter's own gradient, or the buffer a WorkerGradients on this thread keeps
  // for it (gradient_buffer.hpp).
  detail::GradientBuffer<T>& gradient_on_this_thread() {
    if (const BasicWorkerGradients<T>* worker = detail::active_worker_gradients<T>) [[unlikely]]
      if (detail::GradientBuffer<T>* buffer = worker->find(this)) return *buffer;
    return gradient_;
  }
  static void add_scalar_adjoint(BasicTape<T>& tape, std::uint32_t statement, const void* data) {
    auto& gradient = *static_cast<detail::GradientBuffer<T>*>(const_cast<void*>(data));
    const T adjoint = tape.adjoint_at(statement);
    if (detail::claim(gradient.state, tape.sweep_number()) == detail::Write::assign)
      gradient.values(0, 0) = adjoint;
    else
      gradient.values(0, 0) += adjoint;
  }
  // A replay reads the Parameter as it is then (after an optimizer's step).
  static void read_scalar_value(BasicTape<T>& tape, std::uint32_t statement, const void* parameter) {
    tape.observer()->set_value(statement, static_cast<const BasicParameter*>(parameter)->value_(0, 0));
  }

  Matrix value_;
  // Mutable: reading a gradient marked zero by zero_grad() zeroes its storage first.
  mutable detail::GradientBuffer<T> gradient_;
};

/// A Parameter of doubles.
using Parameter = BasicParameter<double>;
/// A Parameter of floats.
using FloatParameter = BasicParameter<float>;

}  // namespace tapegrad
