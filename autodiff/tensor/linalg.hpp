/// \file
/// Matrix products. matmul(a, b) is a·b; wrap an operand in transposed() to use its
/// transpose without copying it (x·Wᵀ is matmul(x, transposed(W))). The backward of
/// C = op(A)·op(B) is two more products (gemm.hpp chooses where each runs):
/// (each = on the sweep's first write into that gradient, scalar/tensor_adjoints.hpp):
///     C = A B:    dA += dC Bᵀ,   dB += Aᵀ dC
///     C = Aᵀ B:   dA += B dCᵀ,   dB += A dC
///     C = A Bᵀ:   dA += dC B,    dB += dCᵀ A
///     C = Aᵀ Bᵀ:  dA += Bᵀ dCᵀ,  dB += dCᵀ Aᵀ
#pragma once

#include "gemm.hpp"
#include "tensor.hpp"

namespace tapegrad {

/// A tensor used transposed in a product; see matmul.
template <class T>
struct Transposed {
  /// The tensor.
  BasicTensor<T> tensor;
};
/// `t` marked for use transposed in matmul() (no copy: the product reads it transposed).
template <class T>
Transposed<T> transposed(const BasicTensor<T>& t) {
  return {t};
}

namespace detail {

template <class T>
struct MatmulNode {
  const T* a;
  AdjointTarget<T> da;
  Eigen::Index a_rows, a_cols;  // as stored
  const T* b;
  AdjointTarget<T> db;
  Eigen::Index b_rows, b_cols;
  T* c;
  const T* dc;
  Eigen::Index c_rows, c_cols;
  bool transpose_a, transpose_b;

  GemmOperand<T> a_operand(const T* data, bool transposed) const {
    return {data, a_rows, a_cols, transposed};
  }
  GemmOperand<T> b_operand(const T* data, bool transposed) const {
    return {data, b_rows, b_cols, transposed};
  }
  GemmOperand<T> c_operand(const T* data, bool transposed) const {
    return {data, c_rows, c_cols, transposed};
  }

  void forward(BasicTape<T>&) const { gemm(a_operand(a, transpose_a), b_operand(b, transpose_b), c, false); }

  static void backward(BasicTape<T>& tape, std::uint32_t, const void* data) {
    const MatmulNode& n = *static_cast<const MatmulNode*>(data);
    // The table at the top of this file, as products of stored matrices; the first
    // write into a gradient runs with β = 0.
    if (n.da) {
      const bool add = n.da.claim(tape) == Write::add;
      if (!n.transpose_a)
        gemm(n.c_operand(n.dc, false), n.b_operand(n.b, !n.transpose_b), n.da.data, add);
      else
        gemm(n.b_operand(n.b, n.transpose_b), n.c_operand(n.dc, true), n.da.data, add);
    }
    if (n.db) {
      const bool add = n.db.claim(tape) == Write::add;
      if (!n.transpose_b)
        gemm(n.a_operand(n.a, !n.transpose_a), n.c_operand(n.dc, false), n.db.data, add);
      else
        gemm(n.c_operand(n.dc, true), n.a_operand(n.a, n.transpose_a), n.db.data, add);
    }
  }
};

template <class T>
BasicTensor<T> matmul(const BasicTensor<T>& a, bool transpose_a, const BasicTensor<T>& b, bool transpose_b) {
  BasicTape<T>& tape = a.check("matmul");
  b.check("matmul");
  const Eigen::Index m = transpose_a ? a.cols() : a.rows();
  const Eigen::Index k = transpose_a ? a.rows() : a.cols();
  const Eigen::Index k_b = transpose_b ? b.cols() : b.rows();
  const Eigen::Index n = transpose_b ? b.rows() : b.cols();
  if (k != k_b)
    throw Error("matmul: shapes " + a.shape() + (transpose_a ? "ᵀ" : "") + " and " + b.shape() +
                (transpose_b ? "ᵀ" : "") + " do not multiply: inner dimensions " + std::to_string(k) +
                " and " + std::to_string(k_b) + " differ");
  const NewTensor<T> out = allocate_tensor(tape, m, n, a.requires_grad() || b.requires_grad());
  const MatmulNode<T> node{
      a.data(), a.adjoint_target(), a.rows(),    a.cols(), b.data(), b.adjoint_target(), b.rows(),
      b.cols(), out.value,          out.adjoint, m,        n,        transpose_a,        transpose_b};
  node.forward(tape);
  return finish_tensor(tape, out, node, "matmul", {a, b});
}

}  // namespace detail

/// The matrix product a·b (a: m × k, b: k × n), recorded as one statement; its backward is two products.
/// Large float and double products go to OpenBLAS (gemm.hpp). Throws tapegrad::Error naming both shapes when
/// they do not fit.
template <class T>
BasicTensor<T> matmul(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return detail::matmul(a, false, b, false);
}
/// aᵀ·b.
template <class T>
BasicTensor<T> matmul(const Transposed<T>& a, const BasicTensor<T>& b) {
  return detail::matmul(a.tensor, true, b, false);
}
/// a·bᵀ.
template <class T>
BasicTensor<T> matmul(const BasicTensor<T>& a, const Transposed<T>& b) {
  return detail::matmul(a, false, b.tensor, true);
}
/// aᵀ·bᵀ.
template <class T>
BasicTensor<T> matmul(const Transposed<T>& a, const Transposed<T>& b) {
  return detail::matmul(a.tensor, true, b.tensor, true);
}

}  // namespace tapegrad
