/// \file
/// Where a Parameter's gradient is written: its own buffer, or — on a thread that is
/// computing one shard of a data-parallel step — that worker's buffer for it.
///
/// GradientBuffer is a gradient and its AdjointState (scalar/tensor_adjoints.hpp): it
/// accumulates across sweeps until mark_zero(), which is free. WorkerGradients holds one
/// GradientBuffer per Parameter of a model; while its Redirect is alive on a thread,
/// every leaf of those Parameters recorded on that thread (Parameter::tensor(),
/// Parameter::var()) writes its gradient into the worker's buffer instead of the
/// Parameter's own. So several threads, each with its own tape, can sweep the same
/// model at once: the Parameters are only read, and each worker's gradients stay apart
/// until they are summed in a fixed order (parallel/sharded_gradient.hpp).
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <string>
#include <vector>

#include "../support/error.hpp"
#include "tensor.hpp"

namespace tapegrad {

template <class T>
class BasicParameter;

namespace detail {

template <class T>
struct GradientBuffer {
  MatrixX<T> values;
  AdjointState state{AdjointState::pending_zero, true};

  // Zeroes the storage of a gradient marked zero that no sweep has written since.
  void settle() noexcept {
    if (state.written != AdjointState::holds) {
      values.setZero();
      state.written = AdjointState::holds;
    }
  }
  void mark_zero() noexcept { state.written = AdjointState::pending_zero; }
  AdjointTarget<T> target() noexcept { return {values.data(), &state}; }
};

}  // namespace detail

template <class T>
class BasicWorkerGradients;

namespace detail {
// The worker whose buffers take Parameters' gradients on this thread, if any.
template <class T>
inline thread_local const BasicWorkerGradients<T>* active_worker_gradients = nullptr;
}  // namespace detail

/// One worker's gradients of a fixed list of Parameters (see the top of this file). Its
/// buffers are written by the recordings made under its Redirect, so it must not be
/// moved or destroyed while one of those recordings may still be swept.
template <class T>
class BasicWorkerGradients {
 public:
  /// Buffers for the gradients of `parameters` (not owned), all zero.
  explicit BasicWorkerGradients(std::vector<BasicParameter<T>*> parameters)
      : parameters_(std::move(parameters)), buffers_(parameters_.size()) {
    for (std::size_t k = 0; k < parameters_.size(); ++k)
      buffers_[k].values = MatrixX<T>::Zero(parameters_[k]->rows(), parameters_[k]->cols());
  }

  /// While alive, Parameters' leaves recorded on this thread write here. Not nested.
  class Redirect {
   public:
    /// Sends this thread's Parameter leaves to `gradients` until destroyed.
    explicit Redirect(const BasicWorkerGradients& gradients) {
      if (detail::active_worker_gradients<T> != nullptr)
        throw Error("WorkerGradients::Redirect: this thread already redirects its gradients");
      detail::active_worker_gradients<T> = &gradients;
    }
    ~Redirect() { detail::active_worker_gradients<T> = nullptr; }
    Redirect(const Redirect&) = delete;
    Redirect& operator=(const Redirect&) = delete;
  };

  /// Marks every gradient zero (free).
  void zero() noexcept {
    for (detail::GradientBuffer<T>& b : buffers_) b.mark_zero();
  }
  /// The number of Parameters.
  std::size_t size() const noexcept { return parameters_.size(); }
  /// The gradient of parameter k (zeros if no sweep wrote it since zero()).
  const MatrixX<T>& gradient(std::size_t k) {
    buffers_.at(k).settle();
    return buffers_[k].values;
  }

  /// Gradient k as scratch for a reduction (settled first; not while another thread
  /// settles the same worker's buffers).
  MatrixX<T>& mutable_gradient(std::size_t k) {
    buffers_.at(k).settle();
    return buffers_[k].values;
  }
  /// The Parameters.
  const std::vector<BasicParameter<T>*>& parameters() const noexcept { return parameters_; }

  /// The buffer for `parameter`, or null if it is not one of this worker's. Linear in
  /// the number of Parameters: called once per leaf recorded, for a model's few.
  detail::GradientBuffer<T>* find(const BasicParameter<T>* parameter) const noexcept {
    for (std::size_t k = 0; k < parameters_.size(); ++k)
      if (parameters_[k] == parameter) return &buffers_[k];
    return nullptr;
  }

 private:
  std::vector<BasicParameter<T>*> parameters_;
  mutable std::vector<detail::GradientBuffer<T>> buffers_;
};

/// One worker's gradients of double Parameters.
using WorkerGradients = BasicWorkerGradients<double>;
/// One worker's gradients of float Parameters.
using FloatWorkerGradients = BasicWorkerGradients<float>;

}  // namespace tapegrad
