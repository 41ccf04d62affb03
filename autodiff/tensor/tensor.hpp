/// \file
/// Tensor: a 2-D array of values recorded on the same tape as scalar Vars. A tensor
/// operation is one statement of the tape whose backward (a hook) runs Eigen code on
/// whole buffers, so a matrix product costs two matrix products in the sweep, not one
/// statement per multiply. Values and adjoints live in the tape's arena.
///
/// Shapes follow PyTorch's habits: a batch is rows × features (one sample per row), a
/// column vector is n×1, and storage is column-major as in Eigen.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <new>
#include <string>

#include "../scalar/var.hpp"
#include "dual_scalar.hpp"

namespace tapegrad {

/// A dynamic-size Eigen matrix of T.
template <class T>
using MatrixX = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

namespace detail {

// Where a backward writes an input's adjoint: the buffer (null when the input needs no
// gradient) and its state (scalar/tensor_adjoints.hpp). claim() before writing; the
// first claim of a sweep assigns.
template <class T>
struct AdjointTarget {
  T* data = nullptr;
  AdjointState* state = nullptr;

  explicit operator bool() const noexcept { return data != nullptr; }
  Write claim(const BasicTape<T>& tape) const noexcept { return detail::claim(*state, tape.sweep_number()); }
  // For a backward that adds into scattered entries: the buffer, zeroed first if this is
  // the sweep's first write.
  T* accumulate(const BasicTape<T>& tape, Eigen::Index size) const {
    if (claim(tape) == Write::assign) std::fill_n(data, size, T(0));
    return data;
  }
};

}  // namespace detail

/// A recorded matrix: the handle of one tensor statement of the active tape, whose values (and adjoints, when
/// it needs a gradient) live in the tape's arena. Operations on tensors record one statement each, with a
/// backward written on whole matrices. Make one from data with constant() or constant_view(), or from a
/// Parameter with tensor().
///
/// \snippet test_doc_examples.cpp tensor
template <class T>
class BasicTensor {
 public:
  /// The scalar type.
  using value_type = T;
  /// The matrix type.
  using Matrix = MatrixX<T>;
  /// A read-only view of the values or adjoints.
  using ConstMap = Eigen::Map<const Matrix>;

  /// An empty handle, on no tape; using it in an operation throws.
  BasicTensor() = default;

  /// For code that records tensor statements itself (operations, Parameters).
  struct Recorded {};
  /// A handle to a tensor statement: for code that records tensor statements itself.
  BasicTensor(Recorded, const T* value, detail::AdjointTarget<T> adjoint, Eigen::Index rows,
              Eigen::Index cols, std::uint32_t statement, std::uint32_t generation)
      : value_(value),
        adjoint_(adjoint.data),
        adjoint_state_(adjoint.state),
        rows_(static_cast<std::uint32_t>(rows)),
        cols_(static_cast<std::uint32_t>(cols)),
        statement_(statement),
        generation_(generation) {}

  /// Rows.
  Eigen::Index rows() const noexcept { return rows_; }
  /// Columns.
  Eigen::Index cols() const noexcept { return cols_; }
  /// Entries.
  Eigen::Index size() const noexcept { return Eigen::Index{rows_} * cols_; }
  /// "3×4", for error messages.
  std::string shape() const { return std::to_string(rows_) + "×" + std::to_string(cols_); }

  /// The values (valid while the recording that holds them is).
  ConstMap value() const {
    check("Tensor::value");
    return ConstMap(value_, rows_, cols_);
  }
  /// d(output)/d(this) after tape.backward(output) (zero where the sweep did not reach).
  ConstMap adjoint() const {
    const BasicTape<T>& tape = check("Tensor::adjoint");
    if (adjoint_ == nullptr)
      throw Error("Tensor::adjoint: this " + shape() +
                  " tensor is a constant (nothing it depends on needs a gradient)");
    adjoint_target().accumulate(tape, size());  // zeroes a buffer no sweep wrote
    return ConstMap(adjoint_, rows_, cols_);
  }
  /// False for constants (data, and results that depend only on data).
  bool requires_grad() const noexcept { return adjoint_ != nullptr; }
  /// False for the empty handle.
  bool is_recorded() const noexcept { return generation_ != 0; }

  /// Raw access for operations; check() first.
  const T* data() const noexcept { return value_; }
  /// The adjoint buffer, for operations' backward functions (null when it needs no gradient).
  T* adjoint_data() const noexcept { return adjoint_; }
  /// Where an operation's backward writes into this tensor's adjoint.
  detail::AdjointTarget<T> adjoint_target() const noexcept { return {adjoint_, adjoint_state_}; }
  /// The statement's index on its tape.
  std::uint32_t statement() const noexcept { return statement_; }
  /// The generation of the tape that recorded it.
  std::uint32_t generation() const noexcept { return generation_; }

  /// Throws unless this tensor belongs to the active tape's current recording.
  BasicTape<T>& check(const char* operation) const {
    BasicTape<T>& tape = BasicTape<T>::active_or_throw(operation);
    if (generation_ == 0)
      throw Error(std::string("") + operation + ": the tensor is empty (default-constructed)");
    tape.check_var(statement_, generation_, operation);
    return tape;
  }

 private:
  const T* value_ = nullptr;
  T* adjoint_ = nullptr;  // null for constants
  detail::AdjointState* adjoint_state_ = nullptr;
  std::uint32_t rows_ = 0;
  std::uint32_t cols_ = 0;
  std::uint32_t statement_ = 0;
  std::uint32_t generation_ = 0;
};

/// A tensor of doubles.
using Tensor = BasicTensor<double>;
/// A tensor of floats.
using FloatTensor = BasicTensor<float>;

namespace detail {

template <class T>
using MutableMap = Eigen::Map<MatrixX<T>>;
template <class T>
using ConstMap = Eigen::Map<const MatrixX<T>>;

// A tensor's values as a matrix, for operations that have already checked it.
template <class T>
ConstMap<T> values(const BasicTensor<T>& t) {
  return ConstMap<T>(t.data(), t.rows(), t.cols());
}

// Buffers of a tensor being recorded: fill `value` (and give `adjoint` to the backward
// data), then finish_tensor() records its statement.
template <class T>
struct NewTensor {
  T* value;
  T* adjoint;  // null unless requires_grad
  AdjointState* adjoint_state;
  Eigen::Index rows;
  Eigen::Index cols;
  AdjointTarget<T> adjoint_target() const noexcept { return {adjoint, adjoint_state}; }
  Eigen::Map<MatrixX<T>> value_map() const { return {value, rows, cols}; }
};

template <class T>
NewTensor<T> allocate_tensor(BasicTape<T>& tape, Eigen::Index rows, Eigen::Index cols, bool requires_grad) {
  const auto size = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
  T* value = tape.arena().template allocate<T>(size);
  T* adjoint = nullptr;
  AdjointState* state = nullptr;
  if (requires_grad) {
    adjoint = tape.arena().template allocate<T>(size);
    state = ::new (static_cast<void*>(tape.arena().template allocate<AdjointState>(1))) AdjointState{};
  }
  return {value, adjoint, state, rows, cols};
}

// Backward data of an operation, allocated in the arena (no destructor ever runs).
template <class Node, class T>
Node* new_node(BasicTape<T>& tape, const Node& node) {
  Node* p = tape.arena().template allocate<Node>(1);
  return ::new (static_cast<void*>(p)) Node(node);  // copy-constructed: a lambda has no assignment
}

// What a tape's observer runs to recompute a tensor operation's statement (a replay),
// and a reduction to a Var.
template <class Node, class T>
void replay_tensor(BasicTape<T>& tape, std::uint32_t, const void* node) {
  static_cast<const Node*>(node)->forward(tape);
}
template <class Node, class T>
void replay_scalar(BasicTape<T>& tape, std::uint32_t statement, const void* node) {
  tape.observer()->set_value(statement, static_cast<const Node*>(node)->forward(tape));
}

// Records the statement of a tensor computed by `node` (its values already filled in by
// node.forward(tape)). With an adjoint, Node::backward distributes it during the sweep;
// on a tape with an observer (a replay tape), node.forward recomputes the values when the
// tape is replayed.
// `operation` and `inputs` are what check_finite mode reports if the values are not
// finite. The node is copied into the arena only when one of the two needs it.
template <class Node, class T>
BasicTensor<T> finish_tensor(BasicTape<T>& tape, const NewTensor<T>& t, const Node& node,
                             const char* operation, std::initializer_list<BasicTensor<T>> inputs) {
  if (tape.checking_finite()) [[unlikely]]
    check_tensor_finite(operation, t.value, t.rows, t.cols, inputs);
  detail::RecordingObserver<T>* const observer = tape.observer();
  const Node* kept = t.adjoint != nullptr || observer != nullptr ? new_node(tape, node) : nullptr;
  std::uint32_t statement;
  if (t.adjoint != nullptr) {
    statement = tape.record_hook(&Node::backward, kept, t.adjoint_state);
    if (tape.checking_finite()) [[unlikely]]
      tape.checked_tensors().add(statement, operation, static_cast<std::uint32_t>(t.rows),
                                 static_cast<std::uint32_t>(t.cols), t.adjoint, t.adjoint_state);
  } else {
    statement = tape.record_operands({}, {}, {});
  }
  if (observer != nullptr) [[unlikely]]
    observer->forward(statement, &replay_tensor<Node, T>, kept, T(0));
  return BasicTensor<T>(typename BasicTensor<T>::Recorded{}, t.value, t.adjoint_target(), t.rows, t.cols,
                        statement, tape.generation());
}

// Records a tensor of numbers fixed when recorded (a replay keeps them).
template <class T>
BasicTensor<T> finish_constant(BasicTape<T>& tape, const NewTensor<T>& t, const char* operation) {
  if (tape.checking_finite()) [[unlikely]]
    check_tensor_finite<T>(operation, t.value, t.rows, t.cols, {});
  const std::uint32_t statement = tape.record_operands({}, {}, {});
  return BasicTensor<T>(typename BasicTensor<T>::Recorded{}, t.value, {}, t.rows, t.cols, statement,
                        tape.generation());
}

// Records a reduction to a scalar computed by `node` (value = node.forward(tape)) as a
// Var: a statement whose backward is Node::backward. With nothing that needs a gradient
// it is a constant on no tape — except on a tape with an observer (a replay tape), where
// its value must be recomputed at each replay.
template <class Node, class T>
BasicVar<T> finish_scalar(BasicTape<T>& tape, const Node& node, const T& value, bool requires_grad) {
  detail::RecordingObserver<T>* const observer = tape.observer();
  if (!requires_grad && observer == nullptr)
    return BasicVar<T>(typename BasicVar<T>::Recorded{}, value, 0, 0);
  const Node* kept = new_node(tape, node);
  const std::uint32_t statement = tape.record_hook(&Node::backward, kept);
  if (observer != nullptr) observer->forward(statement, &replay_scalar<Node, T>, kept, value);
  return BasicVar<T>(typename BasicVar<T>::Recorded{}, value, statement, tape.generation());
}

}  // namespace detail

/// A constant tensor holding a copy of `m` (data: inputs, targets). A replayed recording
/// keeps the copy; data that changes between replays goes in through constant_view.
template <class Derived>
BasicTensor<typename Derived::Scalar> constant(const Eigen::MatrixBase<Derived>& m) {
  using T = typename Derived::Scalar;
  BasicTape<T>& tape = BasicTape<T>::active_or_throw("constant");
  const detail::NewTensor<T> t = detail::allocate_tensor(tape, m.rows(), m.cols(), false);
  t.value_map() = m;
  return detail::finish_constant(tape, t, "constant");
}

/// A constant tensor that reads `m`'s storage without copying it (a data set, a
/// minibatch buffer): `m` must stay alive and unchanged while the recording is in use.
/// A replay reads what `m` holds then (a new minibatch of the same shape).
template <class T>
BasicTensor<T> constant_view(const MatrixX<T>& m) {
  BasicTape<T>& tape = BasicTape<T>::active_or_throw("constant_view");
  if (tape.checking_finite()) [[unlikely]]
    detail::check_tensor_finite<T>("constant_view", m.data(), m.rows(), m.cols(), {});
  const std::uint32_t statement = tape.record_operands({}, {}, {});
  return BasicTensor<T>(typename BasicTensor<T>::Recorded{}, m.data(), {}, m.rows(), m.cols(), statement,
                        tape.generation());
}

/// A constant rows × cols tensor with every entry `value`.
template <class T>
BasicTensor<T> full(Eigen::Index rows, Eigen::Index cols, const T& value) {
  BasicTape<T>& tape = BasicTape<T>::active_or_throw("full");
  const detail::NewTensor<T> t = detail::allocate_tensor(tape, rows, cols, false);
  t.value_map().setConstant(value);
  return detail::finish_constant(tape, t, "full");
}

}  // namespace tapegrad
