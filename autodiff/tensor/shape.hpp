/// \file
/// Operations that move entries without arithmetic: transpose, rows (gather a
/// minibatch), concat and reshape.
#pragma once

#include <initializer_list>
#include <span>
#include <vector>

#include "reduce.hpp"
#include "tensor.hpp"

namespace tapegrad {

namespace detail {

template <class T>
struct TransposeNode {
  const T* x;
  AdjointTarget<T> dx;
  Eigen::Index rows, cols;  // of x
  T* out;
  const T* dout;
  void forward(BasicTape<T>&) const {
    MutableMap<T>(out, cols, rows) = ConstMap<T>(x, rows, cols).transpose();
  }
  static void backward(BasicTape<T>& tape, std::uint32_t, const void* data) {
    const TransposeNode& n = *static_cast<const TransposeNode*>(data);
    store(n.dx.claim(tape), MutableMap<T>(n.dx.data, n.rows, n.cols),
          ConstMap<T>(n.dout, n.cols, n.rows).transpose());
  }
};

// out(k, j) = x(indices[k], j) for a column-major rows × cols x and indices.size() × cols
// out, column by column: each column of x is one contiguous stretch that stays in the
// L1 cache while the rows are picked from it (row by row, every row touches one cache
// line per column). The Trainer gathers its minibatches with it too.
template <class T>
void gather_rows(const T* x, Eigen::Index rows, Eigen::Index cols, std::span<const Eigen::Index> indices,
                 T* out) {
  const auto count = static_cast<Eigen::Index>(indices.size());
  for (Eigen::Index j = 0; j < cols; ++j)
    for (Eigen::Index k = 0; k < count; ++k)
      out[k + j * count] = x[indices[static_cast<std::size_t>(k)] + j * rows];
}

template <class T>
struct GatherRowsNode {
  const T* x;
  AdjointTarget<T> dx;
  Eigen::Index rows, cols;  // of x
  const Eigen::Index* indices;
  Eigen::Index count;
  T* out;
  const T* dout;
  void forward(BasicTape<T>&) const {
    gather_rows(x, rows, cols, std::span<const Eigen::Index>(indices, static_cast<std::size_t>(count)), out);
  }
  static void backward(BasicTape<T>& tape, std::uint32_t, const void* data) {
    const GatherRowsNode& n = *static_cast<const GatherRowsNode*>(data);
    T* dx = n.dx.accumulate(tape, n.rows * n.cols);  // scattered: rows not taken get nothing
    for (Eigen::Index j = 0; j < n.cols; ++j)
      for (Eigen::Index k = 0; k < n.count; ++k) dx[n.indices[k] + j * n.rows] += n.dout[k + j * n.count];
  }
};

template <class T>
struct ConcatPart {
  const T* x;
  AdjointTarget<T> dx;  // empty for constant parts
  Eigen::Index rows, cols;
  Eigen::Index offset;  // first row (Axis::Rows) or column (Axis::Cols) in the output
};

template <class T>
struct ConcatNode {
  const ConcatPart<T>* parts;
  std::size_t count;
  Axis axis;
  T* out;
  const T* dout;
  Eigen::Index out_rows, out_cols;
  void forward(BasicTape<T>&) const {
    MutableMap<T> Out(out, out_rows, out_cols);
    for (std::size_t p = 0; p < count; ++p) {
      const ConstMap<T> X(parts[p].x, parts[p].rows, parts[p].cols);
      if (axis == Axis::Rows)
        Out.middleRows(parts[p].offset, parts[p].rows) = X;
      else
        Out.middleCols(parts[p].offset, parts[p].cols) = X;
    }
  }
  static void backward(BasicTape<T>& tape, std::uint32_t, const void* data) {
    const ConcatNode& n = *static_cast<const ConcatNode*>(data);
    const ConstMap<T> dOut(n.dout, n.out_rows, n.out_cols);
    for (std::size_t p = 0; p < n.count; ++p) {
      const ConcatPart<T>& part = n.parts[p];
      if (!part.dx) continue;
      MutableMap<T> dX(part.dx.data, part.rows, part.cols);
      // Each part's write covers its whole buffer, so a part given twice adds the second time.
      const Write write = part.dx.claim(tape);
      if (n.axis == Axis::Rows)
        store(write, dX, dOut.middleRows(part.offset, part.rows));
      else
        store(write, dX, dOut.middleCols(part.offset, part.cols));
    }
  }
};

}  // namespace detail

/// xᵀ, as a new tensor. (To multiply by a transpose, matmul(a, transposed(b)) avoids the copy.)
template <class T>
BasicTensor<T> transpose(const BasicTensor<T>& x) {
  BasicTape<T>& tape = x.check("transpose");
  const detail::NewTensor<T> out = detail::allocate_tensor(tape, x.cols(), x.rows(), x.requires_grad());
  const detail::TransposeNode<T> node{x.data(), x.adjoint_target(), x.rows(),
                                      x.cols(), out.value,          out.adjoint};
  node.forward(tape);
  return detail::finish_tensor(tape, out, node, "transpose", {x});
}

/// The rows of x at `indices`, in that order (repeats allowed): a minibatch of a data
/// set. Gradients scatter back, adding where a row was taken twice.
template <class T, class Index>
requires std::is_integral_v<Index> BasicTensor<T> rows(const BasicTensor<T>& x,
                                                       std::span<const Index> indices) {
  BasicTape<T>& tape = x.check("rows");
  Eigen::Index* copied = tape.arena().template allocate<Eigen::Index>(indices.size());
  for (std::size_t k = 0; k < indices.size(); ++k) {
    if (indices[k] < 0 || static_cast<Eigen::Index>(indices[k]) >= x.rows())
      throw Error("rows: index " + std::to_string(indices[k]) + " at position " + std::to_string(k) +
                  " is outside the " + std::to_string(x.rows()) + " rows of a " + x.shape() + " tensor");
    copied[k] = static_cast<Eigen::Index>(indices[k]);
  }
  const auto count = static_cast<Eigen::Index>(indices.size());
  const detail::NewTensor<T> out = detail::allocate_tensor(tape, count, x.cols(), x.requires_grad());
  const detail::GatherRowsNode<T> node{x.data(), x.adjoint_target(), x.rows(),   x.cols(), copied,
                                       count,    out.value,          out.adjoint};
  node.forward(tape);
  return detail::finish_tensor(tape, out, node, "rows", {x});
}
/// rows() with the row indices as a std::vector.
template <class T, class Index>
requires std::is_integral_v<Index> BasicTensor<T> rows(const BasicTensor<T>& x,
                                                       const std::vector<Index>& indices) {
  return rows(x, std::span<const Index>(indices));
}

/// The parts stacked along `axis`: Axis::Rows puts them one below another (equal column
/// counts), Axis::Cols side by side (equal row counts).
///@{
template <class T>
BasicTensor<T> concat(std::span<const BasicTensor<T>> parts, Axis axis) {
  if (parts.empty()) throw Error("concat: no tensors to concatenate");
  BasicTape<T>& tape = parts[0].check("concat");
  Eigen::Index rows = 0, cols = 0;
  bool requires_grad = false;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const BasicTensor<T>& t = parts[p];
    t.check("concat");
    const bool fits = axis == Axis::Rows ? t.cols() == parts[0].cols() : t.rows() == parts[0].rows();
    if (!fits)
      throw Error("concat: part " + std::to_string(p) + " is " + t.shape() + " but part 0 is " +
                  parts[0].shape() +
                  (axis == Axis::Rows ? " (stacking rows needs equal column counts)"
                                      : " (stacking columns needs equal row counts)"));
    rows = axis == Axis::Rows ? rows + t.rows() : t.rows();
    cols = axis == Axis::Rows ? t.cols() : cols + t.cols();
    requires_grad = requires_grad || t.requires_grad();
  }
  const detail::NewTensor<T> out = detail::allocate_tensor(tape, rows, cols, requires_grad);
  auto* records = tape.arena().template allocate<detail::ConcatPart<T>>(parts.size());
  Eigen::Index offset = 0;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const BasicTensor<T>& t = parts[p];
    records[p] = {t.data(), t.adjoint_target(), t.rows(), t.cols(), offset};
    offset += axis == Axis::Rows ? t.rows() : t.cols();
  }
  const detail::ConcatNode<T> node{records, parts.size(), axis, out.value, out.adjoint, rows, cols};
  node.forward(tape);
  return detail::finish_tensor(tape, out, node, "concat", {});
}
template <class T>
BasicTensor<T> concat(std::initializer_list<BasicTensor<T>> parts, Axis axis) {
  return concat(std::span<const BasicTensor<T>>(parts.begin(), parts.size()), axis);
}
///@}

/// The same entries as a rows × cols tensor, in column-major order (as Eigen stores
/// them). It shares x's values and adjoint, so it costs nothing and needs no backward.
template <class T>
BasicTensor<T> reshape(const BasicTensor<T>& x, Eigen::Index rows, Eigen::Index cols) {
  x.check("reshape");
  if (rows < 0 || cols < 0 || rows * cols != x.size())
    throw Error("reshape: cannot view a " + x.shape() + " tensor (" + std::to_string(x.size()) +
                " entries) as " + std::to_string(rows) + "×" + std::to_string(cols));
  return BasicTensor<T>(typename BasicTensor<T>::Recorded{}, x.data(), x.adjoint_target(), rows, cols,
                        x.statement(), x.generation());
}

}  // namespace tapegrad
