// Matrix products. matmul(a, b) is a·b; wrap an operand in transposed() to use its
// transpose without copying it (x·Wᵀ is matmul(x, transposed(W))). The backward of
// C = op(A)·op(B) is two more products, written with Eigen's transposed views:
//     C = A B:    dA += dC Bᵀ,   dB += Aᵀ dC
//     C = Aᵀ B:   dA += B dCᵀ,   dB += A dC
//     C = A Bᵀ:   dA += dC B,    dB += dCᵀ A
//     C = Aᵀ Bᵀ:  dA += Bᵀ dCᵀ,  dB += dCᵀ Aᵀ
#pragma once

#include "tensor.hpp"

namespace tapegrad {

// A tensor used transposed in a product; see matmul.
template <class T>
struct Transposed {
  BasicTensor<T> tensor;
};
template <class T>
Transposed<T> transposed(const BasicTensor<T>& t) {
  return {t};
}

namespace detail {

template <class T>
struct MatmulNode {
  const T* a;
  T* da;
  Eigen::Index a_rows, a_cols;  // as stored
  const T* b;
  T* db;
  Eigen::Index b_rows, b_cols;
  T* c;
  const T* dc;
  Eigen::Index c_rows, c_cols;
  bool transpose_a, transpose_b;

  void forward(BasicTape<T>&) const {
    const ConstMap<T> A(a, a_rows, a_cols), B(b, b_rows, b_cols);
    MutableMap<T> C(c, c_rows, c_cols);
    if (!transpose_a && !transpose_b) C.noalias() = A * B;
    if (transpose_a && !transpose_b) C.noalias() = A.transpose() * B;
    if (!transpose_a && transpose_b) C.noalias() = A * B.transpose();
    if (transpose_a && transpose_b) C.noalias() = A.transpose() * B.transpose();
  }

  static void backward(BasicTape<T>&, std::uint32_t, const void* data) {
    const MatmulNode& n = *static_cast<const MatmulNode*>(data);
    const ConstMap<T> A(n.a, n.a_rows, n.a_cols), B(n.b, n.b_rows, n.b_cols), dC(n.dc, n.c_rows, n.c_cols);
    if (n.da != nullptr) {
      MutableMap<T> dA(n.da, n.a_rows, n.a_cols);
      if (!n.transpose_a && !n.transpose_b) dA.noalias() += dC * B.transpose();
      if (n.transpose_a && !n.transpose_b) dA.noalias() += B * dC.transpose();
      if (!n.transpose_a && n.transpose_b) dA.noalias() += dC * B;
      if (n.transpose_a && n.transpose_b) dA.noalias() += B.transpose() * dC.transpose();
    }
    if (n.db != nullptr) {
      MutableMap<T> dB(n.db, n.b_rows, n.b_cols);
      if (!n.transpose_a && !n.transpose_b) dB.noalias() += A.transpose() * dC;
      if (n.transpose_a && !n.transpose_b) dB.noalias() += A * dC;
      if (!n.transpose_a && n.transpose_b) dB.noalias() += dC.transpose() * A;
      if (n.transpose_a && n.transpose_b) dB.noalias() += dC.transpose() * A.transpose();
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
    throw Error("tapegrad: matmul: shapes " + a.shape() + (transpose_a ? "ᵀ" : "") + " and " + b.shape() +
                (transpose_b ? "ᵀ" : "") + " do not multiply: inner dimensions " + std::to_string(k) +
                " and " + std::to_string(k_b) + " differ");
  const NewTensor<T> out = allocate_tensor(tape, m, n, a.requires_grad() || b.requires_grad());
  const MatmulNode<T> node{a.data(),    a.adjoint_data(), a.rows(),  a.cols(),    b.data(), b.adjoint_data(),
                           b.rows(),    b.cols(),         out.value, out.adjoint, m,        n,
                           transpose_a, transpose_b};
  node.forward(tape);
  return finish_tensor(tape, out, node, "matmul", {a, b});
}

}  // namespace detail

template <class T>
BasicTensor<T> matmul(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return detail::matmul(a, false, b, false);
}
template <class T>
BasicTensor<T> matmul(const Transposed<T>& a, const BasicTensor<T>& b) {
  return detail::matmul(a.tensor, true, b, false);
}
template <class T>
BasicTensor<T> matmul(const BasicTensor<T>& a, const Transposed<T>& b) {
  return detail::matmul(a, false, b.tensor, true);
}
template <class T>
BasicTensor<T> matmul(const Transposed<T>& a, const Transposed<T>& b) {
  return detail::matmul(a.tensor, true, b.tensor, true);
}

}  // namespace tapegrad
