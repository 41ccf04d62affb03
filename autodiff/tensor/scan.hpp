/// \file
/// linear_recurrence: the first-order linear filter y_t = x_t + φ·y_{t−1} (y_0 = x_0),
/// run down the rows of every column of x. It is the AR(1) / exponential-smoothing step
/// of time-series models, which elementwise operations cannot express: each output
/// depends on the one before it.
///
/// Backward, with a_t the adjoint reaching x_t through every later output:
///   a_t = ȳ_t + φ·a_{t+1}   (a past the end is 0),   x̄_t += a_t,   φ̄ += Σ_{t≥1} a_t·y_{t−1}.
#pragma once

#include "tensor.hpp"

namespace tapegrad {

namespace detail {

template <class T>
struct LinearRecurrenceNode {
  T* y;
  AdjointTarget<T> dx;  // empty when x is a constant
  const T* dy;
  std::uint32_t phi_statement;  // 0 when φ is a constant
  T phi;
  Eigen::Index rows, cols;
  const T* x;

  void forward_at(T phi_now) const {
    for (Eigen::Index j = 0; j < cols; ++j) {
      const T* xs = x + j * rows;
      T* ys = y + j * rows;
      T previous = 0;
      for (Eigen::Index t = 0; t < rows; ++t) ys[t] = previous = xs[t] + phi_now * previous;
    }
  }
  // Replays read φ as replayed; the backward then uses that φ.
  void forward(BasicTape<T>& tape) const {
    if (phi_statement != 0)
      const_cast<LinearRecurrenceNode*>(this)->phi = tape.observer()->value(phi_statement);
    forward_at(phi);
  }

  static void backward(BasicTape<T>& tape, std::uint32_t, const void* data) {
    const LinearRecurrenceNode& n = *static_cast<const LinearRecurrenceNode*>(data);
    T dphi = 0;
    const bool add = n.dx && n.dx.claim(tape) == Write::add;
    for (Eigen::Index j = 0; j < n.cols; ++j) {
      const T* y = n.y + j * n.rows;
      const T* dy = n.dy + j * n.rows;
      T a = 0;
      for (Eigen::Index t = n.rows; t-- > 0;) {
        a = dy[t] + n.phi * a;
        if (n.dx) n.dx.data[t + j * n.rows] = add ? n.dx.data[t + j * n.rows] + a : a;
        if (t > 0) dphi += a * y[t - 1];
      }
    }
    if (n.phi_statement != 0) tape.adjoint_at(n.phi_statement) += dphi;
  }
};

template <class T>
BasicTensor<T> linear_recurrence(const BasicTensor<T>& x, T phi, std::uint32_t phi_statement) {
  BasicTape<T>& tape = x.check("linear_recurrence");
  const NewTensor<T> out = allocate_tensor(tape, x.rows(), x.cols(), x.requires_grad() || phi_statement != 0);
  const LinearRecurrenceNode<T> node{out.value, x.adjoint_target(), out.adjoint, phi_statement,
                                     phi,       x.rows(),           x.cols(),    x.data()};
  node.forward_at(phi);
  return finish_tensor(tape, out, node, "linear_recurrence", {x});
}

}  // namespace detail

/// The linear recurrence y_t = x_t + φ·y_{t−1} down the rows of x (y_0 = x_0), with φ a Var, recorded as one
/// statement whose backward runs the recurrence backwards: O(rows × cols) in both directions.
template <class T>
BasicTensor<T> linear_recurrence(const BasicTensor<T>& x, const BasicVar<T>& phi) {
  BasicTape<T>& tape = x.check("linear_recurrence");
  tape.check_var(phi.index(), phi.generation(), "linear_recurrence");
  return detail::linear_recurrence(x, phi.value(), phi.is_recorded() ? phi.index() : 0u);
}

/// φ given as a scalar expression (recorded as a Var first) or a number.
template <class T, Expression E>
requires std::is_same_v<typename E::value_type, T> BasicTensor<T> linear_recurrence(const BasicTensor<T>& x,
                                                                                    const E& phi) {
  return linear_recurrence(x, BasicVar<T>(phi));
}
/// linear_recurrence() with a constant φ.
template <class T, Number S>
BasicTensor<T> linear_recurrence(const BasicTensor<T>& x, S phi) {
  return detail::linear_recurrence(x, static_cast<T>(phi), 0u);
}

}  // namespace tapegrad
