// Where a Parameter's gradient is written: its own buffer, or — on a thread that is
// computing one shard of a data-parallel step — that worker's buffer for it.
//
// GradientBuffer is a gradient and its AdjointState (scalar/tensor_adjoints.hpp): it
// accumulates across sweeps until mark_zero(), which is free. WorkerGradients holds one
// GradientBuffer per Parameter of a model; while its Redirect is alive on a thread,
// every leaf of those Parameters recorded on that thread (Parameter::tensor(),
// Parameter::var()) writes its gradient into the worker's buffer instead of the
// Parameter's own. So several threads, each with its own tape, can sweep the same
// model at once: the Parameters are only read, and each worker's gradients stay apart
// until add_shard_gradients sums them in a fixed order.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <span>
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

// One worker's gradients of a fixed list of Parameters (see the top of this file). Its
// buffers are written by the recordings made under its Redirect, so it must not be
// moved or destroyed while one of those recordings may still be swept.
template <class T>
class BasicWorkerGradients {
 public:
  explicit BasicWorkerGradients(std::vector<BasicParameter<T>*> parameters)
      : parameters_(std::move(parameters)), buffers_(parameters_.size()) {
    for (std::size_t k = 0; k < parameters_.size(); ++k)
      buffers_[k].values = MatrixX<T>::Zero(parameters_[k]->rows(), parameters_[k]->cols());
  }

  // While alive, Parameters' leaves recorded on this thread write here. Not nested.
  class Redirect {
   public:
    explicit Redirect(const BasicWorkerGradients& gradients) {
      if (detail::active_worker_gradients<T> != nullptr)
        throw Error("tapegrad: WorkerGradients::Redirect: this thread already redirects its gradients");
      detail::active_worker_gradients<T> = &gradients;
    }
    ~Redirect() { detail::active_worker_gradients<T> = nullptr; }
    Redirect(const Redirect&) = delete;
    Redirect& operator=(const Redirect&) = delete;
  };

  // Marks every gradient zero (free).
  void zero() noexcept {
    for (detail::GradientBuffer<T>& b : buffers_) b.mark_zero();
  }
  std::size_t size() const noexcept { return parameters_.size(); }
  // The gradient of parameter k (zeros if no sweep wrote it since zero()).
  const MatrixX<T>& gradient(std::size_t k) {
    buffers_.at(k).settle();
    return buffers_[k].values;
  }

  // Gradient k as scratch for a reduction (settled first).
  MatrixX<T>& mutable_gradient(std::size_t k) {
    buffers_.at(k).settle();
    return buffers_[k].values;
  }
  const std::vector<BasicParameter<T>*>& parameters() const noexcept { return parameters_; }

  // The buffer for `parameter`, or null if it is not one of this worker's. Linear in
  // the number of Parameters: called once per leaf recorded, for a model's few.
  detail::GradientBuffer<T>* find(const BasicParameter<T>* parameter) const noexcept {
    for (std::size_t k = 0; k < parameters_.size(); ++k)
      if (parameters_[k] == parameter) return &buffers_[k];
    return nullptr;
  }

 private:
  std::vector<BasicParameter<T>*> parameters_;
  mutable std::vector<detail::GradientBuffer<T>> buffers_;
};

// Adds the sum of every shard's gradients into the Parameters' own (as a backward
// would: onto what they hold, or onto zero after zero_grad()). The shards are summed by
// a fixed binary tree over their indices — 0+1, 2+3, …, then those sums pairwise — so
// the result has the same bits whichever thread computed which shard, and however many
// threads there were. Every shard must be over the same Parameters, in the same order.
// The shards' buffers are used as scratch.
template <class T>
void add_shard_gradients(std::span<BasicWorkerGradients<T>* const> shards) {
  if (shards.empty()) return;
  const std::vector<BasicParameter<T>*>& parameters = shards[0]->parameters();
  for (std::size_t s = 1; s < shards.size(); ++s)
    if (shards[s]->parameters() != parameters)
      throw Error("tapegrad: add_shard_gradients: shard " + std::to_string(s) +
                  " is over other Parameters than shard 0");
  for (std::size_t k = 0; k < parameters.size(); ++k) {
    for (std::size_t stride = 1; stride < shards.size(); stride *= 2)
      for (std::size_t s = 0; s + stride < shards.size(); s += 2 * stride)
        shards[s]->mutable_gradient(k) += shards[s + stride]->mutable_gradient(k);
    parameters[k]->grad() += shards[0]->mutable_gradient(k);
  }
}

using WorkerGradients = BasicWorkerGradients<double>;
using FloatWorkerGradients = BasicWorkerGradients<float>;

}  // namespace tapegrad
