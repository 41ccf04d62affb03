/// \file
/// Fused elementwise expressions: a chain of elementwise operations and broadcasts
/// recorded as one node, evaluated and differentiated in one pass over the data.
///
///     // log N(y | mu, sigma) up to constants, one pass instead of one per operation:
///     Var z2 = fused_sum([](auto y, auto mu, auto s) { return square((y - mu) / s); },
///                        constant_view(y), mu, sigma);
///
/// Written with the unfused operations, `sum(square((y - mu) / sigma))` runs one pass per
/// operation forward, one or two per operation backward, and keeps an intermediate
/// tensor and its adjoint for each. Here the function is called on blocks of entries
/// (Lanes, lanes.hpp) that carry forward-mode tangents for the inputs that need a
/// gradient, so each block's values and partials come out of one evaluation while the
/// block is in the L1 cache:
///  - fused(f, inputs…) is the tensor f(inputs…) entry by entry (shapes broadcast as
///    for + and *); it keeps one partial per entry and input that needs a gradient, and
///    its backward is one multiply-add pass per such input;
///  - fused_sum(f, inputs…) is Σ f(inputs…) as a Var; the forward also sums the partials
///    over each input's broadcast (for a scalar input, to one number), so its backward is
///    a scaled copy per input, and nothing of the size of the expression is kept for
///    inputs that are scalars.
/// Inputs are tensors, Vars (or scalar expressions) and numbers, at least one a tensor;
/// the function takes one argument per input, all `auto`, and returns their expression.
/// Float and double only. The function is kept with the recording (a replay calls it
/// again), so it must capture nothing that needs a destructor: capture by reference.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <type_traits>
#include <utility>

#include "../support/inline.hpp"
#include "elementwise.hpp"
#include "lanes.hpp"
#include "tensor.hpp"

namespace tapegrad {

namespace detail {

template <class T, std::size_t N>
struct FusedInputs {
  std::array<const T*, N> values;
  std::array<AdjointTarget<T>, N> adjoints;  // empty where input k needs no gradient
  std::array<Broadcast, N> layout;
  std::array<Eigen::Index, N> sizes;
};

template <class T, std::size_t N, class F, std::size_t... K>
Lanes<T, N> call_on_lanes(const F& f, const std::array<Lanes<T, N>, N>& args, std::index_sequence<K...>) {
  return f(args[K]...);
}

// Calls f on every block of the rows × cols broadcast of the inputs — column by column,
// Lanes::entries rows at a time — and visit(j, first_row, count, result) with each
// result, of which the first `count` entries are real (the last block of a column is
// padded with copies of its last entry, so that no function sees made-up arguments);
// end_column(j) after each column. With `tangents`, each input that needs a gradient
// enters with tangent 1. Flattened: the function and every Lanes operation in it are
// inlined into this loop, where their fixed-size intermediates stay in registers (called,
// each returned its Lanes through memory, and the step cost 7× the plain code).
template <class T, std::size_t N, class F, class Visit, class EndColumn>
TAPEGRAD_FLATTEN void for_each_block(const F& f, const FusedInputs<T, N>& in, Eigen::Index rows,
                                     Eigen::Index cols, bool tangents, Visit&& visit,
                                     EndColumn&& end_column) {
  using L = Lanes<T, N>;
  using Block = typename L::Block;
  constexpr Eigen::Index W = L::entries;
  std::array<L, N> args;
  for (std::size_t k = 0; k < N; ++k) {
    args[k].active = 0;
    if (tangents && in.adjoints[k]) {
      args[k].tangent[k].setOnes();
      args[k].active = std::uint32_t{1} << k;
    }
  }
  for (Eigen::Index j = 0; j < cols; ++j) {
    std::array<const T*, N> column;
    for (std::size_t k = 0; k < N; ++k) {
      column[k] = in.values[k] + j * in.layout[k].col_stride;
      if (in.layout[k].row_stride == 0) args[k].value.setConstant(*column[k]);
    }
    Eigen::Index i0 = 0;
    for (; i0 + W <= rows; i0 += W) {
      for (std::size_t k = 0; k < N; ++k)
        if (in.layout[k].row_stride != 0) args[k].value = Eigen::Map<const Block>(column[k] + i0);
      visit(j, i0, W, call_on_lanes(f, args, std::make_index_sequence<N>()));
    }
    if (i0 < rows) {
      const Eigen::Index count = rows - i0;
      for (std::size_t k = 0; k < N; ++k) {
        if (in.layout[k].row_stride == 0) continue;
        args[k].value.head(count) = Eigen::Map<const ArrayColumn<T>>(column[k] + i0, count);
        args[k].value.tail(W - count).setConstant(column[k][rows - 1]);
      }
      visit(j, i0, count, call_on_lanes(f, args, std::make_index_sequence<N>()));
    }
    end_column(j);
  }
}

template <class T, std::size_t N>
bool any_gradient(const FusedInputs<T, N>& in) {
  for (const AdjointTarget<T>& a : in.adjoints)
    if (a) return true;
  return false;
}

// fused(): the tensor, and for each input k that needs a gradient the partial of each
// entry with respect to input k's entry there.
template <class T, std::size_t N, class F>
struct FusedNode {
  F f;
  FusedInputs<T, N> in;
  Eigen::Index rows, cols;
  T* out;
  const T* dout;              // null when nothing needs a gradient
  std::array<T*, N> partial;  // rows × cols, where in.adjoints[k] is set

  void forward(BasicTape<T>&) const {
    const bool tangents = dout != nullptr;
    for_each_block(
        f, in, rows, cols, tangents,
        [&](Eigen::Index j, Eigen::Index i0, Eigen::Index count, const Lanes<T, N>& y) {
          const Eigen::Index at = j * rows + i0;
          MutableColumn<T>(out + at, count) = y.value.head(count);
          if (!tangents) return;
          for (std::size_t k = 0; k < N; ++k) {
            if (partial[k] == nullptr) continue;
            if (y.has(k))
              MutableColumn<T>(partial[k] + at, count) = y.tangent[k].head(count);
            else
              MutableColumn<T>(partial[k] + at, count).setZero();  // f does not read input k
          }
        },
        [](Eigen::Index) {});
  }

  // Input by input, each over all its columns: two inputs sharing a buffer (x given
  // twice) find it wholly written by the first.
  static void backward(BasicTape<T>& tape, std::uint32_t, const void* data) {
    const FusedNode& n = *static_cast<const FusedNode*>(data);
    for (std::size_t k = 0; k < N; ++k) {
      if (n.partial[k] == nullptr) continue;
      const Write write = n.in.adjoints[k].claim(tape);
      for (Eigen::Index j = 0; j < n.cols; ++j) {
        const ConstColumn<T> dout(n.dout + j * n.rows, n.rows), p(n.partial[k] + j * n.rows, n.rows);
        write_column(write, n.in.adjoints[k].data, n.in.layout[k], j, n.rows, dout * p);
      }
    }
  }
};

// fused_sum(): Σ f, and for each input k that needs a gradient d(Σ f)/d(input k) in
// input k's own shape.
template <class T, std::size_t N, class F>
struct FusedSumNode {
  F f;
  FusedInputs<T, N> in;
  Eigen::Index rows, cols;
  std::array<T*, N> gradient;  // input k's size, where in.adjoints[k] is set

  // Sums run in one accumulator per lane (Lanes::entries partial sums, added at the
  // end), as a vectorized plain sum does.
  T forward(BasicTape<T>&) const {
    using Block = typename Lanes<T, N>::Block;
    // An input with one entry per entry of the expression gets each partial once, by
    // assignment; one repeated by the broadcast sums its partials, from zero.
    std::array<bool, N> repeated{};
    for (std::size_t k = 0; k < N; ++k) {
      repeated[k] = in.sizes[k] < rows * cols;
      if (gradient[k] != nullptr && repeated[k]) std::fill_n(gradient[k], in.sizes[k], T(0));
    }
    Block total = Block::Zero();
    // Partials of the inputs repeated down the rows, summed over the current column.
    std::array<Block, N> down_column;
    for (Block& b : down_column) b.setZero();
    for_each_block(
        f, in, rows, cols, any_gradient(in),
        [&](Eigen::Index j, Eigen::Index i0, Eigen::Index count, const Lanes<T, N>& y) {
          if (count == Lanes<T, N>::entries) [[likely]]
            total += y.value;
          else
            total.head(count) += y.value.head(count);
          for (std::size_t k = 0; k < N; ++k) {
            if (gradient[k] == nullptr) continue;
            if (!repeated[k]) {
              MutableColumn<T> g(gradient[k] + j * rows + i0, count);
              if (y.has(k))
                g = y.tangent[k].head(count);
              else
                g.setZero();  // f does not read input k
              continue;
            }
            if (!y.has(k)) continue;
            if (in.layout[k].row_stride == 0)
              down_column[k].head(count) += y.tangent[k].head(count);
            else
              MutableColumn<T>(gradient[k] + j * in.layout[k].col_stride + i0, count) +=
                  y.tangent[k].head(count);
          }
        },
        [&](Eigen::Index j) {
          for (std::size_t k = 0; k < N; ++k) {
            if (gradient[k] == nullptr || !repeated[k] || in.layout[k].row_stride != 0) continue;
            gradient[k][j * in.layout[k].col_stride] += down_column[k].sum();
            down_column[k].setZero();
          }
        });
    return total.sum();
  }

  static void backward(BasicTape<T>& tape, std::uint32_t statement, const void* data) {
    const FusedSumNode& n = *static_cast<const FusedSumNode*>(data);
    const T g = tape.adjoint_at(statement);
    for (std::size_t k = 0; k < N; ++k)
      if (n.gradient[k] != nullptr)
        store(n.in.adjoints[k].claim(tape), MutableColumn<T>(n.in.adjoints[k].data, n.in.sizes[k]),
              g * ConstColumn<T>(n.gradient[k], n.in.sizes[k]));
  }
};

template <class X>
struct TensorValueType {
  using type = void;
};
template <class T>
struct TensorValueType<BasicTensor<T>> {
  using type = T;
};
template <class... Xs>
struct FirstTensorType {
  using type = void;
};
template <class X, class... Xs>
struct FirstTensorType<X, Xs...> {
  using type = std::conditional_t<std::is_void_v<typename TensorValueType<X>::type>,
                                  typename FirstTensorType<Xs...>::type, typename TensorValueType<X>::type>;
};

// An input of fused() as a tensor: a Var joins as a 1×1 tensor, a number as a constant.
template <class T, class X>
BasicTensor<T> fused_input(const X& x) {
  if constexpr (std::is_same_v<X, BasicTensor<T>>)
    return x;
  else if constexpr (Number<X>)
    return full<T>(1, 1, static_cast<T>(x));
  else
    return as_tensor(BasicVar<T>(x));
}

// X once per index of a pack. A struct, not an alias: clang drops a pack expansion
// through an alias template that ignores its parameter.
template <std::size_t, class X>
struct Repeat {
  using type = X;
};

template <class T, std::size_t N, class F>
void check_fused_function() {
  static_assert(std::is_floating_point_v<T>, "fused: float and double tensors only");
  static_assert(std::is_trivially_destructible_v<F> && std::is_copy_constructible_v<F>,
                "fused: the function is kept with the recording, which never runs destructors: "
                "capture by reference (or plain numbers), not containers");
  using L = Lanes<T, N>;
  static_assert(
      []<std::size_t... K>(std::index_sequence<K...>) {
        return std::is_same_v<std::invoke_result_t<const F&, typename Repeat<K, const L&>::type...>, L>;
      }(std::make_index_sequence<N>()),
      "fused: the function must take one `auto` argument per input and return an expression of "
      "them (not a plain number)");
}

// What fused() and fused_sum() start from: the inputs as tensors on the active tape,
// checked, and the shape they broadcast to.
template <class T, std::size_t N>
struct FusedCall {
  const char* op;
  BasicTape<T>& tape;
  std::array<BasicTensor<T>, N> x;
  FusedInputs<T, N> in{};
  Eigen::Index rows = 1, cols = 1;

  FusedCall(const char* operation, const std::array<BasicTensor<T>, N>& inputs)
      : op(operation), tape(BasicTape<T>::active_or_throw(operation)), x(inputs) {
    for (std::size_t k = 0; k < N; ++k) {
      x[k].check(op);
      const Eigen::Index r = broadcast_dim(rows, x[k].rows()), c = broadcast_dim(cols, x[k].cols());
      if (r < 0 || c < 0)
        throw Error(std::string("") + op + ": input #" + std::to_string(k + 1) + " (" + x[k].shape() +
                    ") does not broadcast with the inputs before it (" + std::to_string(rows) + "×" +
                    std::to_string(cols) + "; each dimension must match or be 1)");
      rows = r;
      cols = c;
      in.values[k] = x[k].data();
      in.adjoints[k] = x[k].adjoint_target();
      in.layout[k] = Broadcast::of(x[k]);
      in.sizes[k] = x[k].size();
    }
  }

  // An arena buffer of partials for each input that needs a gradient: the expression's
  // size (`per_entry`) or the input's own.
  std::array<T*, N> partial_buffers(bool per_entry) const {
    std::array<T*, N> buffers{};
    for (std::size_t k = 0; k < N; ++k)
      if (in.adjoints[k])
        buffers[k] = tape.arena().template allocate<T>(
            static_cast<std::size_t>(per_entry ? rows * cols : in.sizes[k]));
    return buffers;
  }

  // check_finite mode: the partials the backward will use (sqrt at 0 has a finite value
  // and an infinite derivative), laid out as partial_buffers(per_entry) made them.
  void check_partials(const std::array<T*, N>& buffers, bool per_entry) const {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      for (std::size_t k = 0; k < N; ++k) {
        if (buffers[k] == nullptr) continue;
        const Eigen::Index r = per_entry ? rows : x[k].rows(), c = per_entry ? cols : x[k].cols();
        const std::string what = "a derivative with respect to #" + std::to_string(k + 1) + " of ";
        for (Eigen::Index e = 0; e < r * c; ++e)
          if (!is_finite(buffers[k][e]))
            throw_non_finite_tensor(op, what.c_str(), buffers[k][e], e, r, c, {x[K]...});
      }
    }
    (std::make_index_sequence<N>());
  }
};

template <class T, class F, class... Inputs>
FusedCall<T, sizeof...(Inputs)> begin_fused(const char* op, const Inputs&... inputs) {
  check_fused_function<T, sizeof...(Inputs), F>();
  return FusedCall<T, sizeof...(Inputs)>(op, {fused_input<T>(inputs)...});
}

}  // namespace detail

/// The tensor f(inputs…), entry by entry, as one node (see the top of this file).
template <class F, class... Inputs, class T = typename detail::FirstTensorType<Inputs...>::type>
requires(!std::is_void_v<T>) BasicTensor<T> fused(F f, const Inputs&... inputs) {
  constexpr std::size_t N = sizeof...(Inputs);
  const detail::FusedCall<T, N> call = detail::begin_fused<T, F>("fused", inputs...);
  const detail::NewTensor<T> out =
      detail::allocate_tensor(call.tape, call.rows, call.cols, detail::any_gradient(call.in));
  const std::array<T*, N> partial = call.partial_buffers(true);
  const detail::FusedNode<T, N, F> node{f, call.in, call.rows, call.cols, out.value, out.adjoint, partial};
  node.forward(call.tape);
  const BasicTensor<T> result = [&]<std::size_t... K>(std::index_sequence<K...>) {
    return detail::finish_tensor(call.tape, out, node, call.op, {call.x[K]...});
  }
  (std::make_index_sequence<N>());
  if (call.tape.checking_finite()) [[unlikely]]
    call.check_partials(partial, true);
  return result;
}

/// Σ f(inputs…) over every entry, as one node and a Var (see the top of this file).
template <class F, class... Inputs, class T = typename detail::FirstTensorType<Inputs...>::type>
requires(!std::is_void_v<T>) BasicVar<T> fused_sum(F f, const Inputs&... inputs) {
  constexpr std::size_t N = sizeof...(Inputs);
  const detail::FusedCall<T, N> call = detail::begin_fused<T, F>("fused_sum", inputs...);
  const std::array<T*, N> gradient = call.partial_buffers(false);
  const detail::FusedSumNode<T, N, F> node{f, call.in, call.rows, call.cols, gradient};
  const T value = node.forward(call.tape);
  if (call.tape.checking_finite()) [[unlikely]] {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      detail::check_reduction_finite(call.op, value, static_cast<const T*>(nullptr), 0, {call.x[K]...});
    }
    (std::make_index_sequence<N>());
    call.check_partials(gradient, false);
  }
  return detail::finish_scalar(call.tape, node, value, detail::any_gradient(call.in));
}

}  // namespace tapegrad
