// Losses and normalizations, each one statement with a fused backward, and each stable
// for any finite input: softmax and log_softmax subtract the row maximum, the
// cross-entropies never form log(0) or exp(large).
//
// Rows are samples and columns are classes/outputs, as in PyTorch; softmax normalizes
// each row. Every loss is a mean over its entries (PyTorch's reduction='mean').
#pragma once

#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

#include "../scalar/rules.hpp"
#include "tensor.hpp"

namespace tapegrad {

namespace detail {

// What every loss of a prediction against a target of the same shape starts with: both
// checked, shapes compared, and room for the n partials ∂loss/∂prediction.
template <class T>
struct PairwiseLoss {
  BasicTape<T>& tape;
  Eigen::Index n;
  T* g;
};
template <class T>
PairwiseLoss<T> begin_pairwise_loss(const char* op, const BasicTensor<T>& prediction,
                                    const BasicTensor<T>& target) {
  BasicTape<T>& tape = prediction.check(op);
  target.check(op);
  if (prediction.rows() != target.rows() || prediction.cols() != target.cols())
    throw Error(std::string("tapegrad: ") + op + ": prediction is " + prediction.shape() + " but target is " +
                target.shape());
  if (prediction.size() == 0) throw Error(std::string("tapegrad: ") + op + ": the tensors are empty");
  return {tape, prediction.size(),
          tape.arena().template allocate<T>(static_cast<std::size_t>(prediction.size()))};
}

// A loss's backward: d(input) += adjoint · gx and d(target) += adjoint · target_scale · gy,
// with the partials gx, gy computed at record time (kept in the arena).
template <class T>
struct LossNode {
  T* dx;  // null when the input needs no gradient
  const T* gx;
  T* dy;  // null when the target is data
  const T* gy;
  T target_scale;
  Eigen::Index size;
  static void backward(BasicTape<T>& tape, std::uint32_t statement, const void* data) {
    const LossNode& n = *static_cast<const LossNode*>(data);
    const T a = tape.adjoint_at(statement);
    if (n.dx != nullptr)
      for (Eigen::Index k = 0; k < n.size; ++k) n.dx[k] += a * n.gx[k];
    if (n.dy != nullptr)
      for (Eigen::Index k = 0; k < n.size; ++k) n.dy[k] += a * n.target_scale * n.gy[k];
  }
};

// Records a loss with this value and backward; a constant Var when nothing needs a gradient.
template <class T>
BasicVar<T> finish_loss(BasicTape<T>& tape, T value, const LossNode<T>& backward, const char* op,
                        std::initializer_list<BasicTensor<T>> inputs) {
  if (tape.checking_finite()) [[unlikely]] {
    check_reduction_finite(op, value, backward.gx, backward.size, inputs);
    if (backward.gy != nullptr) check_reduction_finite(op, value, backward.gy, backward.size, inputs);
  }
  if (backward.dx == nullptr && backward.dy == nullptr)
    return BasicVar<T>(typename BasicVar<T>::Recorded{}, value, 0, 0);
  const auto* node = new_node(tape, backward);
  const std::uint32_t statement = tape.record_hook(&LossNode<T>::backward, node);
  return BasicVar<T>(typename BasicVar<T>::Recorded{}, value, statement, tape.generation());
}

// Row maxima, stable log-sum-exp per row, written into `lse` (rows entries).
template <class T>
void row_log_sum_exp(const T* x, Eigen::Index rows, Eigen::Index cols, T* lse) {
  using std::exp, std::log;  // and Dual's, by argument-dependent lookup
  for (Eigen::Index i = 0; i < rows; ++i) {
    T m = x[i];
    for (Eigen::Index j = 1; j < cols; ++j) m = std::max(m, x[i + j * rows]);
    T s = 0;
    for (Eigen::Index j = 0; j < cols; ++j) s += exp(x[i + j * rows] - m);
    lse[i] = m + log(s);
  }
}

template <class T>
struct SoftmaxNode {
  const T* y;  // the softmax (or log_softmax) output
  T* dx;
  const T* dy;
  Eigen::Index rows, cols;
  bool log;
  static void backward(BasicTape<T>&, std::uint32_t, const void* data) {
    using std::exp;
    const SoftmaxNode& n = *static_cast<const SoftmaxNode*>(data);
    for (Eigen::Index i = 0; i < n.rows; ++i) {
      T s = 0;
      for (Eigen::Index j = 0; j < n.cols; ++j) {
        const Eigen::Index k = i + j * n.rows;
        s += n.log ? n.dy[k] : n.dy[k] * n.y[k];
      }
      for (Eigen::Index j = 0; j < n.cols; ++j) {
        const Eigen::Index k = i + j * n.rows;
        // softmax:     dx = y ∘ (dy − Σ dy∘y)
        // log_softmax: dx = dy − softmax · Σ dy
        n.dx[k] += n.log ? n.dy[k] - exp(n.y[k]) * s : n.y[k] * (n.dy[k] - s);
      }
    }
  }
};

template <class T>
BasicTensor<T> softmax_impl(const char* op, const BasicTensor<T>& x, bool log) {
  using std::exp;
  BasicTape<T>& tape = x.check(op);
  const Eigen::Index rows = x.rows(), cols = x.cols();
  const NewTensor<T> out = allocate_tensor(tape, rows, cols, x.requires_grad());
  T* lse = tape.arena().template allocate<T>(static_cast<std::size_t>(rows));
  row_log_sum_exp(x.data(), rows, cols, lse);
  for (Eigen::Index j = 0; j < cols; ++j)
    for (Eigen::Index i = 0; i < rows; ++i) {
      const T z = x.data()[i + j * rows] - lse[i];
      out.value[i + j * rows] = log ? z : exp(z);
    }
  const auto* node =
      out.adjoint == nullptr
          ? nullptr
          : new_node(tape, SoftmaxNode<T>{out.value, x.adjoint_data(), out.adjoint, rows, cols, log});
  return finish_tensor<T>(tape, out, &SoftmaxNode<T>::backward, node, op, {x});
}

}  // namespace detail

// mean((prediction − target)²).
template <class T>
BasicVar<T> mse(const BasicTensor<T>& prediction, const BasicTensor<T>& target) {
  const auto [tape, n, g] = detail::begin_pairwise_loss("mse", prediction, target);
  T value = 0;
  for (Eigen::Index k = 0; k < n; ++k) {
    const T r = prediction.data()[k] - target.data()[k];
    value += r * r;
    g[k] = T(2) * r / static_cast<T>(n);
  }
  // ∂/∂target is −∂/∂prediction.
  return detail::finish_loss(
      tape, value / static_cast<T>(n),
      detail::LossNode<T>{prediction.adjoint_data(), g, target.adjoint_data(), g, T(-1), n}, "mse",
      {prediction, target});
}

// Binary cross-entropy on probabilities p ∈ [0, 1]: mean(−(y log p + (1 − y) log(1 − p))).
// As PyTorch's BCELoss: each log is clamped at −100, and the gradient
// (p − y) / max(p (1 − p), 1e−12) stays finite at p = 0 and p = 1.
template <class T>
BasicVar<T> binary_cross_entropy(const BasicTensor<T>& p, const BasicTensor<T>& y) {
  using std::log, std::log1p;
  const auto [tape, n, g] = detail::begin_pairwise_loss("binary_cross_entropy", p, y);
  // ∂/∂y = −(log p − log(1 − p)) / n, with the same clamps, when y is itself computed.
  T* gy = y.requires_grad() ? tape.arena().template allocate<T>(static_cast<std::size_t>(n)) : nullptr;
  T value = 0;
  for (Eigen::Index k = 0; k < n; ++k) {
    const T pk = p.data()[k], yk = y.data()[k];
    if (!(pk >= T(0) && pk <= T(1)))
      throw Error("tapegrad: binary_cross_entropy: probability " + std::to_string(primal(pk)) + " at entry " +
                  std::to_string(k) + " is outside [0, 1] (use bce_with_logits on raw scores)");
    const T log_p = std::max(log(pk), T(-100));
    const T log_q = std::max(log1p(-pk), T(-100));
    value -= yk * log_p + (T(1) - yk) * log_q;
    g[k] = (pk - yk) / std::max(pk * (T(1) - pk), T(1e-12)) / static_cast<T>(n);
    if (gy != nullptr) gy[k] = -(log_p - log_q) / static_cast<T>(n);
  }
  return detail::finish_loss(tape, value / static_cast<T>(n),
                             detail::LossNode<T>{p.adjoint_data(), g, y.adjoint_data(), gy, T(1), n},
                             "binary_cross_entropy", {p, y});
}

// Binary cross-entropy on raw scores x (probability sigmoid(x)), computed as
// mean(max(x, 0) − x·y + log(1 + e^(−|x|))): finite for any x, gradient sigmoid(x) − y.
template <class T>
BasicVar<T> bce_with_logits(const BasicTensor<T>& x, const BasicTensor<T>& y) {
  using std::abs, std::exp, std::log1p;
  const auto [tape, n, g] = detail::begin_pairwise_loss("bce_with_logits", x, y);
  if (y.requires_grad())
    throw Error(
        "tapegrad: bce_with_logits: the target must be data (a constant tensor), not a computed tensor");
  T value = 0;
  for (Eigen::Index k = 0; k < n; ++k) {
    const T xk = x.data()[k], yk = y.data()[k];
    value += std::max(xk, T(0)) - xk * yk + log1p(exp(-abs(xk)));
    g[k] = (rules::Sigmoid::value(xk) - yk) / static_cast<T>(n);
  }
  return detail::finish_loss(tape, value / static_cast<T>(n),
                             detail::LossNode<T>{x.adjoint_data(), g, nullptr, nullptr, T(0), n},
                             "bce_with_logits", {x, y});
}

// Row-wise softmax and log-softmax.
template <class T>
BasicTensor<T> softmax(const BasicTensor<T>& x) {
  return detail::softmax_impl("softmax", x, false);
}
template <class T>
BasicTensor<T> log_softmax(const BasicTensor<T>& x) {
  return detail::softmax_impl("log_softmax", x, true);
}

// mean over rows of −log softmax(logits)[row, label[row]]; the backward is the fused
// (softmax − one_hot(labels)) / rows.
template <class T, class Label>
requires std::is_integral_v<Label> BasicVar<T> softmax_cross_entropy(const BasicTensor<T>& logits,
                                                                     std::span<const Label> labels) {
  using std::exp;
  BasicTape<T>& tape = logits.check("softmax_cross_entropy");
  const Eigen::Index rows = logits.rows(), cols = logits.cols();
  if (static_cast<Eigen::Index>(labels.size()) != rows)
    throw Error("tapegrad: softmax_cross_entropy: " + std::to_string(labels.size()) + " labels for " +
                logits.shape() + " logits (one label per row)");
  if (rows == 0) throw Error("tapegrad: softmax_cross_entropy: no rows");
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] < 0 || static_cast<Eigen::Index>(labels[i]) >= cols)
      throw Error("tapegrad: softmax_cross_entropy: label " + std::to_string(labels[i]) + " at row " +
                  std::to_string(i) + " is not a class of the " + std::to_string(cols) + " columns");
  T* lse = tape.arena().template allocate<T>(static_cast<std::size_t>(rows));
  detail::row_log_sum_exp(logits.data(), rows, cols, lse);
  T value = 0;
  for (Eigen::Index i = 0; i < rows; ++i)
    value += lse[i] - logits.data()[i + static_cast<Eigen::Index>(labels[i]) * rows];
  T* g = nullptr;
  if (logits.requires_grad()) {
    g = tape.arena().template allocate<T>(static_cast<std::size_t>(rows * cols));
    for (Eigen::Index j = 0; j < cols; ++j)
      for (Eigen::Index i = 0; i < rows; ++i)
        g[i + j * rows] = exp(logits.data()[i + j * rows] - lse[i]) / static_cast<T>(rows);
    for (Eigen::Index i = 0; i < rows; ++i)
      g[i + static_cast<Eigen::Index>(labels[i]) * rows] -= T(1) / static_cast<T>(rows);
  }
  return detail::finish_loss(
      tape, value / static_cast<T>(rows),
      detail::LossNode<T>{logits.adjoint_data(), g, nullptr, nullptr, T(0), rows * cols},
      "softmax_cross_entropy", {logits});
}
template <class T, class Label>
requires std::is_integral_v<Label> BasicVar<T> softmax_cross_entropy(const BasicTensor<T>& logits,
                                                                     const std::vector<Label>& labels) {
  return softmax_cross_entropy(logits, std::span<const Label>(labels));
}

}  // namespace tapegrad
