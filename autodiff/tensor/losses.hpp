/// \file
/// Losses and normalizations, each one statement with a fused backward, and each stable
/// for any finite input: softmax and log_softmax subtract the row maximum, the
/// cross-entropies never form log(0) or exp(large).
///
/// Rows are samples and columns are classes/outputs, as in PyTorch; softmax normalizes
/// each row. Every loss is a mean over its entries (PyTorch's reduction='mean').
#pragma once

#include <algorithm>
#include <cmath>
#include <span>
#include <type_traits>
#include <vector>

#include "../scalar/rules.hpp"
#include "array_rules.hpp"
#include "tensor.hpp"

namespace tapegrad {

namespace detail {

// A loss: its inputs, where its partials go, and `compute`, which returns its value and
// writes the partials ∂loss/∂x into gx (and ∂loss/∂y into gy when the target needs a
// gradient). Recording calls compute once; a replay calls it again on the inputs' new
// values. The backward is d(input) += adjoint · gx and d(target) += adjoint ·
// target_scale · gy (= on the sweep's first write, scalar/tensor_adjoints.hpp).
template <class T>
struct LossNode {
  const T* x;
  AdjointTarget<T> dx;  // empty when the input needs no gradient
  T* gx;
  const T* y;
  AdjointTarget<T> dy;  // empty when the target is data
  T* gy;
  T target_scale;
  Eigen::Index size, rows, cols;
  const void* labels;  // softmax_cross_entropy's, kept by the caller
  T (*compute)(const LossNode&);

  T forward(BasicTape<T>&) const { return compute(*this); }
  static void backward(BasicTape<T>& tape, std::uint32_t statement, const void* data) {
    const LossNode& n = *static_cast<const LossNode*>(data);
    const T a = tape.adjoint_at(statement);
    using Column = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
    using ConstColumn = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
    if (n.dx) store(n.dx.claim(tape), Column(n.dx.data, n.size), a * ConstColumn(n.gx, n.size));
    if (n.dy)
      store(n.dy.claim(tape), Column(n.dy.data, n.size), (a * n.target_scale) * ConstColumn(n.gy, n.size));
  }
};

// A loss of a prediction against a target of the same shape: both checked, shapes
// compared, room for the partials, and the loss recorded.
// Where ∂loss/∂target comes from: nowhere (the target is data), gx itself (scaled by
// target_scale), or its own array gy.
enum class TargetPartials { None, SameAsInput, Own };

template <class T>
BasicVar<T> pairwise_loss(const char* op, const BasicTensor<T>& prediction, const BasicTensor<T>& target,
                          T target_scale, TargetPartials target_partials, T (*compute)(const LossNode<T>&)) {
  BasicTape<T>& tape = prediction.check(op);
  target.check(op);
  if (prediction.rows() != target.rows() || prediction.cols() != target.cols())
    throw Error(std::string("") + op + ": prediction is " + prediction.shape() + " but target is " +
                target.shape());
  if (prediction.size() == 0) throw Error(std::string("") + op + ": the tensors are empty");
  const auto n = static_cast<std::size_t>(prediction.size());
  T* gx = tape.arena().template allocate<T>(n);
  T* gy = target_partials == TargetPartials::Own
              ? tape.arena().template allocate<T>(n)
              : (target_partials == TargetPartials::SameAsInput ? gx : nullptr);
  const LossNode<T> node{prediction.data(),
                         prediction.adjoint_target(),
                         gx,
                         target.data(),
                         target.adjoint_target(),
                         gy,
                         target_scale,
                         prediction.size(),
                         prediction.rows(),
                         prediction.cols(),
                         nullptr,
                         compute};
  const T value = node.forward(tape);
  if (tape.checking_finite()) [[unlikely]] {
    check_reduction_finite(op, value, gx, node.size, {prediction, target});
    if (target_partials == TargetPartials::Own)
      check_reduction_finite(op, value, gy, node.size, {prediction, target});
  }
  return finish_scalar(tape, node, value, node.dx || node.dy);
}

// mean((x − y)²); ∂/∂y is −∂/∂x, so gy is gx with target_scale −1.
template <class T>
T mse_value(const LossNode<T>& n) {
  T value = 0;
  for (Eigen::Index k = 0; k < n.size; ++k) {
    const T r = n.x[k] - n.y[k];
    value += r * r;
    n.gx[k] = T(2) * r / static_cast<T>(n.size);
  }
  return value / static_cast<T>(n.size);
}

// Binary cross-entropy on probabilities, with PyTorch's clamps (see binary_cross_entropy).
template <class T>
T binary_cross_entropy_value(const LossNode<T>& n) {
  using std::log, std::log1p;
  T value = 0;
  for (Eigen::Index k = 0; k < n.size; ++k) {
    const T pk = n.x[k], yk = n.y[k];
    if (!(pk >= T(0) && pk <= T(1)))
      throw Error("binary_cross_entropy: probability " + std::to_string(primal(pk)) + " at entry " +
                  std::to_string(k) + " is outside [0, 1] (use bce_with_logits on raw scores)");
    const T log_p = std::max(log(pk), T(-100));
    const T log_q = std::max(log1p(-pk), T(-100));
    value -= yk * log_p + (T(1) - yk) * log_q;
    n.gx[k] = (pk - yk) / std::max(pk * (T(1) - pk), T(1e-12)) / static_cast<T>(n.size);
    if (n.gy != nullptr) n.gy[k] = -(log_p - log_q) / static_cast<T>(n.size);
  }
  return value / static_cast<T>(n.size);
}

template <class T>
T bce_with_logits_value(const LossNode<T>& n) {
  using std::abs, std::exp, std::log1p;
  T value = 0;
  for (Eigen::Index k = 0; k < n.size; ++k) {
    const T xk = n.x[k], yk = n.y[k];
    value += std::max(xk, T(0)) - xk * yk + log1p(exp(-abs(xk)));
    n.gx[k] = (rules::Sigmoid::value(xk) - yk) / static_cast<T>(n.size);
  }
  return value / static_cast<T>(n.size);
}

// Row maxima, stable log-sum-exp per row, written into `lse` (rows entries); when
// `softmax` is given, it also receives softmax(x)·scale, from the same exponentials (one
// exp per entry for the loss and its gradient together). Float and double work down the
// columns of a block of rows at a time, as Eigen arrays, so the max, exp and log run as
// SIMD instructions over contiguous memory (element by element, each exp was a libm
// call on a strided row); the block lives on the stack, so nothing is allocated. Other
// scalar types (Dual) go element by element. Both add the exponentials in column order.
template <class T>
void row_log_sum_exp(const T* x, Eigen::Index rows, Eigen::Index cols, T* lse, T* softmax = nullptr,
                     T scale = T(1)) {
  if constexpr (std::is_floating_point_v<T>) {
    // Eigen's vectorized exp clamps its argument at the bottom of the normal range, so
    // exp(−2000) came out as 2.8e−309 instead of 0; in the softmax such entries are set
    // to exactly 0 afterwards. (A select() inside the expression would have made Eigen
    // 3.4 evaluate every exp one libm call at a time.) In the sum they cannot matter:
    // its largest term is 1.
    const T below = exact_below<T>();
    constexpr Eigen::Index block = 256;
    using Column = Eigen::Array<T, Eigen::Dynamic, 1>;
    for (Eigen::Index first = 0; first < rows; first += block) {
      const Eigen::Index n = std::min(block, rows - first);
      Eigen::Array<T, block, 1> max_storage, sum_storage;
      auto row_max = max_storage.head(n);
      auto sum = sum_storage.head(n);
      const auto column = [&](Eigen::Index j) { return Eigen::Map<const Column>(x + j * rows + first, n); };
      const auto out = [&](Eigen::Index j) { return Eigen::Map<Column>(softmax + j * rows + first, n); };
      row_max = column(0);
      for (Eigen::Index j = 1; j < cols; ++j) row_max = row_max.max(column(j));
      sum.setZero();
      for (Eigen::Index j = 0; j < cols; ++j) {
        if (softmax == nullptr) {
          sum += (column(j) - row_max).exp();
        } else {
          out(j) = (column(j) - row_max).exp();
          sum += out(j);
        }
      }
      Eigen::Map<Column>(lse + first, n) = row_max + sum.log();
      if (softmax == nullptr) continue;
      sum = scale / sum;  // now the factor from exponentials to the scaled softmax
      for (Eigen::Index j = 0; j < cols; ++j) {
        out(j) *= sum;
        // A vectorized minimum first, as fix_below_normal_range (array_rules.hpp) does.
        if ((column(j) - row_max).minCoeff() >= below) [[likely]]
          continue;
        const T* in = x + j * rows + first;
        T* result = softmax + j * rows + first;
        for (Eigen::Index i = 0; i < n; ++i)
          if (in[i] - row_max[i] < below) result[i] = T(0);
      }
    }
  } else {
    using std::exp, std::log;  // and Dual's, by argument-dependent lookup
    for (Eigen::Index i = 0; i < rows; ++i) {
      T m = x[i];
      for (Eigen::Index j = 1; j < cols; ++j) m = std::max(m, x[i + j * rows]);
      T s = 0;
      for (Eigen::Index j = 0; j < cols; ++j) s += exp(x[i + j * rows] - m);
      lse[i] = m + log(s);
    }
    if (softmax != nullptr)
      for (Eigen::Index j = 0; j < cols; ++j)
        for (Eigen::Index i = 0; i < rows; ++i) softmax[i + j * rows] = exp(x[i + j * rows] - lse[i]) * scale;
  }
}

template <class T>
struct SoftmaxNode {
  T* y;  // the softmax (or log_softmax) output
  AdjointTarget<T> dx;
  const T* dy;
  Eigen::Index rows, cols;
  bool log;
  const T* x;
  T* lse;  // scratch, one per row

  void forward(BasicTape<T>&) const {
    row_log_sum_exp(x, rows, cols, lse, log ? nullptr : y);
    if (!log) return;
    for (Eigen::Index j = 0; j < cols; ++j)
      for (Eigen::Index i = 0; i < rows; ++i) y[i + j * rows] = x[i + j * rows] - lse[i];
  }
  static void backward(BasicTape<T>& tape, std::uint32_t, const void* data) {
    using std::exp;
    const SoftmaxNode& n = *static_cast<const SoftmaxNode*>(data);
    const bool add = n.dx.claim(tape) == Write::add;
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
        const T contribution = n.log ? n.dy[k] - exp(n.y[k]) * s : n.y[k] * (n.dy[k] - s);
        n.dx.data[k] = add ? n.dx.data[k] + contribution : contribution;
      }
    }
  }
};

template <class T>
BasicTensor<T> softmax_impl(const char* op, const BasicTensor<T>& x, bool log) {
  BasicTape<T>& tape = x.check(op);
  const Eigen::Index rows = x.rows(), cols = x.cols();
  const NewTensor<T> out = allocate_tensor(tape, rows, cols, x.requires_grad());
  T* lse = tape.arena().template allocate<T>(static_cast<std::size_t>(rows));
  const SoftmaxNode<T> node{out.value, x.adjoint_target(), out.adjoint, rows, cols, log, x.data(), lse};
  node.forward(tape);
  return finish_tensor(tape, out, node, op, {x});
}

template <class T, class Label>
T softmax_cross_entropy_value(const LossNode<T>& n) {
  const auto* labels = static_cast<const Label*>(n.labels);
  for (Eigen::Index i = 0; i < n.rows; ++i)
    if (labels[i] < 0 || static_cast<Eigen::Index>(labels[i]) >= n.cols)
      throw Error("softmax_cross_entropy: label " + std::to_string(labels[i]) + " at row " +
                  std::to_string(i) + " is not a class of the " + std::to_string(n.cols) + " columns");
  T* lse = n.gx + n.size;
  row_log_sum_exp(n.x, n.rows, n.cols, lse, n.dx ? n.gx : nullptr, T(1) / static_cast<T>(n.rows));
  T value = 0;
  for (Eigen::Index i = 0; i < n.rows; ++i)
    value += lse[i] - n.x[i + static_cast<Eigen::Index>(labels[i]) * n.rows];
  if (n.dx) {
    for (Eigen::Index i = 0; i < n.rows; ++i)
      n.gx[i + static_cast<Eigen::Index>(labels[i]) * n.rows] -= T(1) / static_cast<T>(n.rows);
  }
  return value / static_cast<T>(n.rows);
}

}  // namespace detail

/// mean((prediction − target)²).
template <class T>
BasicVar<T> mse(const BasicTensor<T>& prediction, const BasicTensor<T>& target) {
  return detail::pairwise_loss("mse", prediction, target, T(-1), detail::TargetPartials::SameAsInput,
                               &detail::mse_value<T>);
}

/// Binary cross-entropy on probabilities p ∈ [0, 1]: mean(−(y log p + (1 − y) log(1 − p))).
/// As PyTorch's BCELoss: each log is clamped at −100, and the gradient
/// (p − y) / max(p (1 − p), 1e−12) stays finite at p = 0 and p = 1. When y is itself
/// computed, ∂/∂y = −(log p − log(1 − p)) / n with the same clamps.
template <class T>
BasicVar<T> binary_cross_entropy(const BasicTensor<T>& p, const BasicTensor<T>& y) {
  return detail::pairwise_loss("binary_cross_entropy", p, y, T(1),
                               y.requires_grad() ? detail::TargetPartials::Own : detail::TargetPartials::None,
                               &detail::binary_cross_entropy_value<T>);
}

/// Binary cross-entropy on raw scores x (probability sigmoid(x)), computed as
/// mean(max(x, 0) − x·y + log(1 + e^(−|x|))): finite for any x, gradient sigmoid(x) − y.
template <class T>
BasicVar<T> bce_with_logits(const BasicTensor<T>& x, const BasicTensor<T>& y) {
  y.check("bce_with_logits");
  if (y.requires_grad())
    throw Error("bce_with_logits: the target must be data (a constant tensor), not a computed tensor");
  return detail::pairwise_loss("bce_with_logits", x, y, T(0), detail::TargetPartials::None,
                               &detail::bce_with_logits_value<T>);
}

/// Row-wise softmax and log-softmax.
template <class T>
BasicTensor<T> softmax(const BasicTensor<T>& x) {
  return detail::softmax_impl("softmax", x, false);
}
/// log(softmax(x)) by rows, computed stably (the row maximum subtracted first).
template <class T>
BasicTensor<T> log_softmax(const BasicTensor<T>& x) {
  return detail::softmax_impl("log_softmax", x, true);
}

/// mean over rows of −log softmax(logits)[row, label[row]]; the backward is the fused
/// (softmax − one_hot(labels)) / rows. The labels are read again at each replay (a new
/// minibatch's), so they must stay alive and in place as long as the recording is used.
template <class T, class Label>
requires std::is_integral_v<Label> BasicVar<T> softmax_cross_entropy(const BasicTensor<T>& logits,
                                                                     std::span<const Label> labels) {
  BasicTape<T>& tape = logits.check("softmax_cross_entropy");
  const Eigen::Index rows = logits.rows(), cols = logits.cols();
  if (static_cast<Eigen::Index>(labels.size()) != rows)
    throw Error("softmax_cross_entropy: " + std::to_string(labels.size()) + " labels for " + logits.shape() +
                " logits (one label per row)");
  if (rows == 0) throw Error("softmax_cross_entropy: no rows");
  // gx holds the row log-sum-exps first, then the partials.
  T* g = tape.arena().template allocate<T>(static_cast<std::size_t>(rows * cols + rows));
  const detail::LossNode<T> node{logits.data(),
                                 logits.adjoint_target(),
                                 g,
                                 nullptr,
                                 {},
                                 nullptr,
                                 T(0),
                                 rows * cols,
                                 rows,
                                 cols,
                                 labels.data(),
                                 &detail::softmax_cross_entropy_value<T, Label>};
  const T value = node.forward(tape);
  if (tape.checking_finite()) [[unlikely]]
    detail::check_reduction_finite("softmax_cross_entropy", value, logits.requires_grad() ? g : nullptr,
                                   rows * cols, {logits});
  return detail::finish_scalar(tape, node, value, logits.requires_grad());
}
/// softmax_cross_entropy() with the labels as a std::vector.
template <class T, class Label>
requires std::is_integral_v<Label> BasicVar<T> softmax_cross_entropy(const BasicTensor<T>& logits,
                                                                     const std::vector<Label>& labels) {
  return softmax_cross_entropy(logits, std::span<const Label>(labels));
}

}  // namespace tapegrad
