/// \file
/// Elementwise tensor operations: + - * / with broadcasting, with numbers and with Vars,
/// and the unary functions. Values and partials come from the scalar rules table
/// (rules.hpp), in their vectorized array form where one exists (array_rules.hpp),
/// and are computed a column at a time.
///
/// Broadcasting: two shapes are compatible when each dimension is equal or 1 in one of
/// them; a 1×c row is repeated down the rows, an r×1 column across the columns, a 1×1
/// everywhere. The backward sums the output adjoint over the repeated dimension.
#pragma once

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "../scalar/rules.hpp"
#include "array_rules.hpp"
#include "tensor.hpp"

namespace tapegrad {

namespace detail {

// Where an operand's (i, j) lives given its shape inside a broadcast: strides of 0
// along a repeated dimension.
struct Broadcast {
  Eigen::Index row_stride;
  Eigen::Index col_stride;
  template <class T>
  static Broadcast of(const BasicTensor<T>& t) {
    return {t.rows() == 1 ? 0 : 1, t.cols() == 1 ? 0 : t.rows()};
  }
  Eigen::Index at(Eigen::Index i, Eigen::Index j) const { return i * row_stride + j * col_stride; }
  // The operand's own size inside a rows × cols broadcast.
  Eigen::Index size_in(Eigen::Index rows, Eigen::Index cols) const {
    return (row_stride != 0 ? rows : 1) * (col_stride != 0 ? cols : 1);
  }
};

inline Eigen::Index broadcast_dim(Eigen::Index a, Eigen::Index b) {
  return a == b || b == 1 ? a : (a == 1 ? b : -1);
}

template <class T>
std::pair<Eigen::Index, Eigen::Index> broadcast_shape(const char* op, const BasicTensor<T>& a,
                                                      const BasicTensor<T>& b) {
  const Eigen::Index rows = broadcast_dim(a.rows(), b.rows());
  const Eigen::Index cols = broadcast_dim(a.cols(), b.cols());
  if (rows < 0 || cols < 0)
    throw Error(std::string("") + op + ": shapes " + a.shape() + " and " + b.shape() +
                " do not broadcast (each dimension must match or be 1)");
  return {rows, cols};
}

template <class T>
using ArrayColumn = Eigen::Array<T, Eigen::Dynamic, 1>;
template <class T>
using ConstColumn = Eigen::Map<const ArrayColumn<T>>;
template <class T>
using MutableColumn = Eigen::Map<ArrayColumn<T>>;

// Calls visit(column) with column j of an operand inside a rows-tall broadcast: its
// own column when it has rows, else its one value repeated (an Eigen constant, which
// vectorizes like a real column).
template <class T, class Visit>
void visit_column(const T* values, Broadcast s, Eigen::Index j, Eigen::Index rows, Visit&& visit) {
  if (s.row_stride != 0)
    visit(ConstColumn<T>(values + j * s.col_stride, rows));
  else
    visit(ArrayColumn<T>::Constant(rows, values[j * s.col_stride]));
}

// Writes column j's contribution into an operand's adjoint: into its own column, or
// summed into its one entry when it was repeated down the rows. `write` is the
// operand's for the whole node (claimed once); an operand repeated across the columns
// receives every column after the first into the same place, so those add.
template <class T, class Contribution>
void write_column(Write write, T* adjoint, Broadcast s, Eigen::Index j, Eigen::Index rows,
                  const Contribution& c) {
  if (j > 0 && s.col_stride == 0) write = Write::add;
  if (s.row_stride != 0)
    store(write, MutableColumn<T>(adjoint + j * s.col_stride, rows), c);
  else if (write == Write::assign)
    adjoint[j * s.col_stride] = c.sum();
  else
    adjoint[j * s.col_stride] += c.sum();
}

template <class Rule, class T>
struct BinaryNode {
  const T* a;
  AdjointTarget<T> da;
  Broadcast sa;
  const T* b;
  AdjointTarget<T> db;
  Broadcast sb;
  T* out;
  const T* dout;
  Eigen::Index rows;
  Eigen::Index cols;

  void forward(BasicTape<T>&) const {
    if constexpr (HasArrayRule<Rule>) {
      for (Eigen::Index j = 0; j < cols; ++j)
        visit_column(a, sa, j, rows, [&](const auto& x_a) {
          visit_column(b, sb, j, rows, [&](const auto& x_b) {
            MutableColumn<T>(out + j * rows, rows) = ArrayRule<Rule>::value(x_a, x_b);
          });
        });
    } else {
      for (Eigen::Index j = 0; j < cols; ++j)
        for (Eigen::Index i = 0; i < rows; ++i)
          out[i + j * rows] = Rule::value(a[sa.at(i, j)], b[sb.at(i, j)]);
    }
  }

  static void backward(BasicTape<T>& tape, std::uint32_t, const void* data) {
    const BinaryNode& n = *static_cast<const BinaryNode*>(data);
    if constexpr (HasArrayRule<Rule>) {
      using Array = ArrayRule<Rule>;
      // Claimed before the loop. When a and b share a buffer (x * x, or x and a reshape
      // of it) the first write may not cover it before the second adds: zero it then.
      Write wa = Write::add, wb = Write::add;
      if (n.da && n.db && n.da.data == n.db.data)
        n.da.accumulate(tape, n.sa.size_in(n.rows, n.cols));
      else if (n.da)
        wa = n.da.claim(tape);
      if (n.db) wb = n.db.claim(tape);
      for (Eigen::Index j = 0; j < n.cols; ++j) {
        const ConstColumn<T> dout(n.dout + j * n.rows, n.rows), y(n.out + j * n.rows, n.rows);
        visit_column(n.a, n.sa, j, n.rows, [&](const auto& x_a) {
          visit_column(n.b, n.sb, j, n.rows, [&](const auto& x_b) {
            if (n.da) write_column(wa, n.da.data, n.sa, j, n.rows, Array::to_a(dout, x_a, x_b, y));
            if (n.db) write_column(wb, n.db.data, n.sb, j, n.rows, Array::to_b(dout, x_a, x_b, y));
          });
        });
      }
    } else {
      T* da = n.da ? n.da.accumulate(tape, n.sa.size_in(n.rows, n.cols)) : nullptr;
      T* db = n.db ? n.db.accumulate(tape, n.sb.size_in(n.rows, n.cols)) : nullptr;
      for (Eigen::Index j = 0; j < n.cols; ++j) {
        for (Eigen::Index i = 0; i < n.rows; ++i) {
          const Eigen::Index o = i + j * n.rows;
          const T& x = n.a[n.sa.at(i, j)];
          const T& y = n.b[n.sb.at(i, j)];
          if (da != nullptr) da[n.sa.at(i, j)] += n.dout[o] * Rule::d_a(x, y, n.out[o]);
          if (db != nullptr) db[n.sb.at(i, j)] += n.dout[o] * Rule::d_b(x, y, n.out[o]);
        }
      }
    }
  }
};

// check_finite mode: the local derivatives the backward will use, checked as the values
// are recorded, so that sqrt at 0 (finite value, infinite derivative) is caught here.
template <class Rule, class T>
void check_binary_derivatives(const char* op, const BasicTensor<T>& a, const BasicTensor<T>& b,
                              const NewTensor<T>& out) {
  const Broadcast sa = Broadcast::of(a), sb = Broadcast::of(b);
  for (Eigen::Index j = 0; j < out.cols; ++j)
    for (Eigen::Index i = 0; i < out.rows; ++i) {
      const Eigen::Index k = i + j * out.rows;
      const T& x = a.data()[sa.at(i, j)];
      const T& y = b.data()[sb.at(i, j)];
      if (a.requires_grad() && !is_finite(Rule::d_a(x, y, out.value[k])))
        throw_non_finite_tensor(op, "a derivative with respect to #1 of ", Rule::d_a(x, y, out.value[k]), k,
                                out.rows, out.cols, {a, b});
      if (b.requires_grad() && !is_finite(Rule::d_b(x, y, out.value[k])))
        throw_non_finite_tensor(op, "a derivative with respect to #2 of ", Rule::d_b(x, y, out.value[k]), k,
                                out.rows, out.cols, {a, b});
    }
}
template <class Rule, class T>
void check_unary_derivatives(const BasicTensor<T>& x, const NewTensor<T>& out) {
  if (!x.requires_grad()) return;
  for (Eigen::Index k = 0; k < x.size(); ++k)
    if (!is_finite(Rule::partial(x.data()[k], out.value[k])))
      throw_non_finite_tensor(Rule::name, "a derivative of ", Rule::partial(x.data()[k], out.value[k]), k,
                              out.rows, out.cols, {x});
}

template <class Rule, class T>
BasicTensor<T> tensor_binary(const char* op, const BasicTensor<T>& a, const BasicTensor<T>& b) {
  BasicTape<T>& tape = a.check(op);
  b.check(op);
  const auto [rows, cols] = broadcast_shape(op, a, b);
  const NewTensor<T> out = allocate_tensor(tape, rows, cols, a.requires_grad() || b.requires_grad());
  const BinaryNode<Rule, T> node{
      a.data(),         a.adjoint_target(), Broadcast::of(a), b.data(), b.adjoint_target(),
      Broadcast::of(b), out.value,          out.adjoint,      rows,     cols};
  node.forward(tape);
  // finish_tensor checks the values first: a bad value is the first symptom.
  const BasicTensor<T> result = finish_tensor(tape, out, node, op, {a, b});
  if (tape.checking_finite()) [[unlikely]]
    check_binary_derivatives<Rule>(op, a, b, out);
  return result;
}

template <class Rule, class T>
struct UnaryNode {
  const T* x;
  AdjointTarget<T> dx;
  T* out;
  const T* dout;
  Eigen::Index size;
  void forward(BasicTape<T>&) const {
    if constexpr (HasArrayRule<Rule>) {
      MutableColumn<T>(out, size) = ArrayRule<Rule>::value(ConstColumn<T>(x, size));
      fix_below_normal_range<Rule>(ConstColumn<T>(x, size), MutableColumn<T>(out, size));
    } else {
      for (Eigen::Index k = 0; k < size; ++k) out[k] = Rule::value(x[k]);
    }
  }
  static void backward(BasicTape<T>& tape, std::uint32_t, const void* data) {
    const UnaryNode& n = *static_cast<const UnaryNode*>(data);
    const Write write = n.dx.claim(tape);
    if constexpr (HasArrayRule<Rule>) {
      const ConstColumn<T> x(n.x, n.size), y(n.out, n.size), dout(n.dout, n.size);
      store(write, MutableColumn<T>(n.dx.data, n.size), ArrayRule<Rule>::contribution(dout, x, y));
    } else if (write == Write::assign) {
      for (Eigen::Index k = 0; k < n.size; ++k) n.dx.data[k] = n.dout[k] * Rule::partial(n.x[k], n.out[k]);
    } else {
      for (Eigen::Index k = 0; k < n.size; ++k) n.dx.data[k] += n.dout[k] * Rule::partial(n.x[k], n.out[k]);
    }
  }
};

template <class Rule, class T>
BasicTensor<T> tensor_unary(const BasicTensor<T>& x) {
  BasicTape<T>& tape = x.check(Rule::name);
  const NewTensor<T> out = allocate_tensor(tape, x.rows(), x.cols(), x.requires_grad());
  const UnaryNode<Rule, T> node{x.data(), x.adjoint_target(), out.value, out.adjoint, x.size()};
  node.forward(tape);
  // finish_tensor checks the values first: a bad value is the first symptom.
  const BasicTensor<T> result = finish_tensor(tape, out, node, Rule::name, {x});
  if (tape.checking_finite()) [[unlikely]]
    check_unary_derivatives<Rule>(x, out);
  return result;
}

// A Var as a 1×1 tensor, so that Var ∘ Tensor is a broadcast.
template <class T>
struct VarAsTensorNode {
  std::uint32_t var;  // 0 for a constant Var
  T* out;
  const T* dout;
  // Only replays call it: the Var's value as replayed.
  void forward(BasicTape<T>& tape) const {
    if (var != 0) *out = tape.observer()->value(var);
  }
  static void backward(BasicTape<T>& tape, std::uint32_t, const void* data) {
    const VarAsTensorNode& n = *static_cast<const VarAsTensorNode*>(data);
    tape.adjoint_at(n.var) += *n.dout;
  }
};

}  // namespace detail

/// A Var as a 1×1 tensor (gradients flow back into the Var).
template <class T>
BasicTensor<T> as_tensor(const BasicVar<T>& v) {
  BasicTape<T>& tape = BasicTape<T>::active_or_throw("as_tensor");
  tape.check_var(v.index(), v.generation(), "as_tensor");
  const detail::NewTensor<T> out = detail::allocate_tensor(tape, 1, 1, v.is_recorded());
  out.value[0] = v.value();
  return detail::finish_tensor(tape, out, detail::VarAsTensorNode<T>{v.index(), out.value, out.adjoint},
                               "as_tensor", {});
}

// Tensors, Vars (or scalar expressions, recorded as a Var first) and numbers mix freely;
// a scalar is a 1×1 tensor, broadcast.
#define TAPEGRAD_TENSOR_BINARY(op, rule, name)                                                    \
  template <class T>                                                                              \
  BasicTensor<T> op(const BasicTensor<T>& a, const BasicTensor<T>& b) {                           \
    return detail::tensor_binary<rules::rule>(name, a, b);                                        \
  }                                                                                               \
  template <class T, Expression E>                                                                \
  requires std::is_same_v<typename E::value_type, T> BasicTensor<T> op(const BasicTensor<T>& a,   \
                                                                       const E& b) {              \
    return detail::tensor_binary<rules::rule>(name, a, as_tensor(BasicVar<T>(b)));                \
  }                                                                                               \
  template <class T, Expression E>                                                                \
  requires std::is_same_v<typename E::value_type, T> BasicTensor<T> op(const E& a,                \
                                                                       const BasicTensor<T>& b) { \
    return detail::tensor_binary<rules::rule>(name, as_tensor(BasicVar<T>(a)), b);                \
  }                                                                                               \
  template <class T, Number S>                                                                    \
  BasicTensor<T> op(const BasicTensor<T>& a, S b) {                                               \
    return detail::tensor_binary<rules::rule>(name, a, full<T>(1, 1, static_cast<T>(b)));         \
  }                                                                                               \
  template <class T, Number S>                                                                    \
  BasicTensor<T> op(S a, const BasicTensor<T>& b) {                                               \
    return detail::tensor_binary<rules::rule>(name, full<T>(1, 1, static_cast<T>(a)), b);         \
  }

TAPEGRAD_TENSOR_BINARY(operator+, Add, "+")
TAPEGRAD_TENSOR_BINARY(operator-, Sub, "-")
TAPEGRAD_TENSOR_BINARY(operator*, Mul, "*")
TAPEGRAD_TENSOR_BINARY(operator/, Div, "/")

/// Records −x.
template <class T>
BasicTensor<T> operator-(const BasicTensor<T>& x) {
  return detail::tensor_unary<rules::Neg>(x);
}

// Every named rule of rules.hpp's lists works on tensors too: the unary ones
// elementwise, the binary ones with broadcasting (pow(x, 2.5), max(x, 0.0), atan2(y, x)).
#define TAPEGRAD_TENSOR_UNARY(rule, function)        \
  template <class T>                                 \
  BasicTensor<T> function(const BasicTensor<T>& x) { \
    return detail::tensor_unary<rules::rule>(x);     \
  }
#define TAPEGRAD_TENSOR_BINARY_FUNCTION(rule, function) TAPEGRAD_TENSOR_BINARY(function, rule, #function)
TAPEGRAD_UNARY_FUNCTIONS(TAPEGRAD_TENSOR_UNARY)
TAPEGRAD_BINARY_FUNCTIONS(TAPEGRAD_TENSOR_BINARY_FUNCTION)
#undef TAPEGRAD_TENSOR_UNARY
#undef TAPEGRAD_TENSOR_BINARY_FUNCTION
#undef TAPEGRAD_TENSOR_BINARY

}  // namespace tapegrad
