/// \file
/// Reductions: sum and mean of a whole tensor (a Var, joining the scalar part of the
/// graph), or along one axis (a tensor), and dot. Axis::Rows reduces over the rows,
/// leaving one row (1×c, like dim=0 in PyTorch); Axis::Cols reduces over the columns,
/// leaving one column (r×1, like dim=1).
#pragma once

#include "tensor.hpp"

namespace tapegrad {

/// Which way a reduction runs: along Rows (one result per column) or along Cols (one result per row).
enum class Axis {
  Rows,  ///< down the rows: one result per column
  Cols   ///< across the columns: one result per row
};

namespace detail {

// A reduction to a Var: x's adjoint receives scale · (adjoint of the Var) everywhere.
template <class T>
struct SumToVarNode {
  const T* x;
  AdjointTarget<T> dx;  // empty when x is a constant
  Eigen::Index size;
  T scale;
  T forward(BasicTape<T>&) const { return ConstMap<T>(x, size, 1).sum() * scale; }
  static void backward(BasicTape<T>& tape, std::uint32_t statement, const void* data) {
    const SumToVarNode& n = *static_cast<const SumToVarNode*>(data);
    if (!n.dx) return;
    const T g = tape.adjoint_at(statement) * n.scale;
    Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> dx(n.dx.data, n.size);
    if (n.dx.claim(tape) == Write::assign)
      dx.setConstant(g);
    else
      dx += g;
  }
};

template <class T>
BasicVar<T> sum_to_var(const char* op, const BasicTensor<T>& x, T scale) {
  BasicTape<T>& tape = x.check(op);
  const SumToVarNode<T> node{x.data(), x.adjoint_target(), x.size(), scale};
  const T value = node.forward(tape);
  if (tape.checking_finite()) [[unlikely]]
    check_reduction_finite(op, value, static_cast<const T*>(nullptr), 0, {x});
  return finish_scalar(tape, node, value, x.requires_grad());
}

template <class T>
struct SumAxisNode {
  const T* x;
  AdjointTarget<T> dx;
  Eigen::Index rows, cols;
  Axis axis;
  T* out;
  const T* dout;
  T scale;
  void forward(BasicTape<T>&) const {
    const ConstMap<T> X(x, rows, cols);
    if (axis == Axis::Rows)
      MutableMap<T>(out, 1, cols) = X.colwise().sum() * scale;
    else
      MutableMap<T>(out, rows, 1) = X.rowwise().sum() * scale;
  }
  static void backward(BasicTape<T>& tape, std::uint32_t, const void* data) {
    const SumAxisNode& n = *static_cast<const SumAxisNode*>(data);
    MutableMap<T> dX(n.dx.data, n.rows, n.cols);
    const bool assign = n.dx.claim(tape) == Write::assign;
    if (n.axis == Axis::Rows) {
      const Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>> dOut(n.dout, 1, n.cols);
      if (assign)
        dX = (dOut * n.scale).replicate(n.rows, 1);
      else
        dX.rowwise() += dOut * n.scale;
    } else {
      const Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>> dOut(n.dout, n.rows, 1);
      if (assign)
        dX = (dOut * n.scale).replicate(1, n.cols);
      else
        dX.colwise() += dOut * n.scale;
    }
  }
};

template <class T>
BasicTensor<T> sum_axis(const char* op, const BasicTensor<T>& x, Axis axis, T scale) {
  BasicTape<T>& tape = x.check(op);
  const Eigen::Index rows = axis == Axis::Rows ? 1 : x.rows();
  const Eigen::Index cols = axis == Axis::Rows ? x.cols() : 1;
  const NewTensor<T> out = allocate_tensor(tape, rows, cols, x.requires_grad());
  const SumAxisNode<T> node{x.data(), x.adjoint_target(), x.rows(),    x.cols(),
                            axis,     out.value,          out.adjoint, scale};
  node.forward(tape);
  return finish_tensor(tape, out, node, op, {x});
}

template <class T>
struct DotNode {
  const T* a;
  AdjointTarget<T> da;
  const T* b;
  AdjointTarget<T> db;
  Eigen::Index size;
  T forward(BasicTape<T>&) const {
    using Vector = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>;
    return Vector(a, size).dot(Vector(b, size));
  }
  static void backward(BasicTape<T>& tape, std::uint32_t statement, const void* data) {
    const DotNode& n = *static_cast<const DotNode*>(data);
    const T g = tape.adjoint_at(statement);
    using Column = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
    using ConstColumn = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
    // dot(x, x): the second write into the shared buffer adds, as claim() says.
    if (n.da) store(n.da.claim(tape), Column(n.da.data, n.size), g * ConstColumn(n.b, n.size));
    if (n.db) store(n.db.claim(tape), Column(n.db.data, n.size), g * ConstColumn(n.a, n.size));
  }
};

}  // namespace detail

/// Σ of all entries.
template <class T>
BasicVar<T> sum(const BasicTensor<T>& x) {
  return detail::sum_to_var("sum", x, T(1));
}
/// Mean of all entries.
template <class T>
BasicVar<T> mean(const BasicTensor<T>& x) {
  if (x.size() == 0) throw Error("mean: the tensor is empty (" + x.shape() + ")");
  return detail::sum_to_var("mean", x, T(1) / static_cast<T>(x.size()));
}
/// Σ along one axis (see Axis).
template <class T>
BasicTensor<T> sum(const BasicTensor<T>& x, Axis axis) {
  return detail::sum_axis("sum", x, axis, T(1));
}
/// The mean along `axis`.
template <class T>
BasicTensor<T> mean(const BasicTensor<T>& x, Axis axis) {
  const Eigen::Index n = axis == Axis::Rows ? x.rows() : x.cols();
  if (n == 0) throw Error("mean: the tensor is empty (" + x.shape() + ")");
  return detail::sum_axis("mean", x, axis, T(1) / static_cast<T>(n));
}

/// Σ a∘b over two tensors of the same shape (or two vectors of the same length, one a
/// row and one a column).
template <class T>
BasicVar<T> dot(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  BasicTape<T>& tape = a.check("dot");
  b.check("dot");
  const bool same_shape = a.rows() == b.rows() && a.cols() == b.cols();
  const bool vectors =
      (a.rows() == 1 || a.cols() == 1) && (b.rows() == 1 || b.cols() == 1) && a.size() == b.size();
  if (!same_shape && !vectors)
    throw Error("dot: shapes " + a.shape() + " and " + b.shape() +
                " differ (dot needs equal shapes, or two vectors of one length)");
  const detail::DotNode<T> node{a.data(), a.adjoint_target(), b.data(), b.adjoint_target(), a.size()};
  const T value = node.forward(tape);
  if (tape.checking_finite()) [[unlikely]]
    detail::check_reduction_finite("dot", value, static_cast<const T*>(nullptr), 0, {a, b});
  return detail::finish_scalar(tape, node, value, a.requires_grad() || b.requires_grad());
}

}  // namespace tapegrad
