/// \file
/// Var: a recorded scalar. It is a small value-type handle (value, index on the tape,
/// tape generation), so copying a Var copies the handle, never the graph. Assigning an
/// expression records one statement on the active tape; assigning a number records a
/// new independent variable (a leaf).
///
/// BasicVar<T> is written once over its value type: Var is double, FloatVar is float,
/// and any type with arithmetic, comparisons and the math functions (found by ADL) can
/// be dropped in.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

#include "../check/finite_forward.hpp"
#include "../replay/detail/statement_type.hpp"
#include "expr.hpp"
#include "tape.hpp"

namespace tapegrad {

/// A recorded scalar: the handle (value, index on the tape, tape generation) of one statement of the active
/// tape. Copying it copies the handle, never the graph. Arithmetic and the math functions on Vars build
/// expressions; assigning one to a Var records it. T is the value type (double for Var, float for FloatVar, a
/// Dual for second derivatives).
///
/// \snippet test_doc_examples.cpp gradient
template <class T = double>
class BasicVar {
 public:
  /// The value type.
  using value_type = T;
  /// A Var is one leaf of an expression.
  static constexpr std::size_t max_operands = 1;

  /// A constant zero that is on no tape. `Var sum; sum += x;` needs no leaf for the 0.
  BasicVar() = default;

  /// A new independent variable with this value, recorded on the active tape.
  ///@{
  BasicVar(const T& value) : value_(value) { record_leaf(); }  // NOLINT: implicit by design
  template <Number S>
  requires(!std::is_same_v<S, T>) BasicVar(S value)
      : value_(static_cast<T>(value)) {  // NOLINT: implicit by design
    record_leaf();
  }
  ///@}

  /// `x = 1.5` on an existing Var records a new leaf in place (see assign()).
  ///@{
  BasicVar& operator=(const T& value) {
    value_ = value;
    record_leaf();
    return *this;
  }
  template <Number S>
  requires(!std::is_same_v<S, T>) BasicVar& operator=(S value) {
    value_ = static_cast<T>(value);
    record_leaf();
    return *this;
  }
  ///@}

  /// Records `expression` as one statement on the active tape.
  template <Expression E>
  requires(!std::is_same_v<E, BasicVar> && std::is_same_v<typename E::value_type, T>)
      BasicVar(const E& expression) {  // NOLINT: implicit by design
    assign(expression);
  }
  /// Records `expression` as one statement on the active tape and makes this Var its handle.
  template <Expression E>
  requires(!std::is_same_v<E, BasicVar> && std::is_same_v<typename E::value_type, T>) BasicVar& operator=(
      const E& expression) {
    assign(expression);
    return *this;
  }

  /// For code that records statements itself (user-defined operations).
  struct Recorded {};
  /// A handle to statement `index` of the tape of generation `generation` with this value: for code that
  /// records statements itself.
  BasicVar(Recorded, const T& value, std::uint32_t index, std::uint32_t generation)
      : value_(value), index_(index), generation_(generation) {}

  /// Compound assignments record one statement and overwrite this handle field by field
  /// (see assign()).
  template <class R>
  BasicVar& operator+=(const R& r) {
    assign(*this + r);
    return *this;
  }
  /// Records this − r.
  template <class R>
  BasicVar& operator-=(const R& r) {
    assign(*this - r);
    return *this;
  }
  /// Records this · r.
  template <class R>
  BasicVar& operator*=(const R& r) {
    assign(*this * r);
    return *this;
  }
  /// Records this / r.
  template <class R>
  BasicVar& operator/=(const R& r) {
    assign(*this / r);
    return *this;
  }

  /// The value.
  const T& value() const noexcept { return value_; }
  /// The statement's index on its tape.
  std::uint32_t index() const noexcept { return index_; }
  /// The generation of the tape that recorded it (0 for a constant).
  std::uint32_t generation() const noexcept { return generation_; }
  /// False for a default-constructed Var, which is a constant on no tape.
  bool is_recorded() const noexcept { return generation_ != 0; }

  /// d(output)/d(this) after tape.backward(output) on the active tape.
  T adjoint() const {
    if (generation_ == 0) throw Error("Var::adjoint: this Var is a constant, not recorded on a tape");
    return BasicTape<T>::active_or_throw("Var::adjoint").adjoint(index_, generation_);
  }

  /// \cond INTERNAL
  /// Expression interface: a Var is a leaf.
  template <std::size_t Slot>
  void propagate(const OperandSink<T>& sink, const T& adjoint) const {
    sink.write(Slot, index_, generation_, adjoint);
  }
  template <class Encoder>
  std::uint16_t encode(Encoder& e) const {
    return e.leaf(index_, generation_, value_);
  }
  /// Inside an expression rebuilt over new leaf values: the next operand, at its value.
  template <class Source>
  BasicVar(detail::RebuildTag, Source& s) : generation_(s.generation) {
    s.next_leaf(index_, value_);
  }
  static constexpr bool cheap_to_recompute = true;
  static constexpr bool is_var_leaf = true;
  void describe(std::string& out) const {
    if (generation_ == 0) {
      detail::describe_number(out, value_);
      return;
    }
    out += 'v';
    out += std::to_string(index_);
  }
  /// \endcond

 private:
  // Records `expression` as one statement and makes this Var its handle. The fields are
  // written one at a time, never by building a temporary Var and copying it: in a
  // `sum += …` loop that copy is a 16-byte load of two 8-byte stores just made, which
  // the CPU cannot forward from its store buffer and which then stalls every iteration.
  template <Expression E>
  void assign(const E& expression) {
    BasicTape<T>& tape = BasicTape<T>::active_or_throw("assigning an expression to a Var");
    const std::uint32_t index = tape.template record<E::max_operands>(
        [&](const OperandSink<T>& sink) { expression.template propagate<0>(sink, T(1)); });
    // The copy keeps the expression's address from escaping on the hot path: the tree
    // then stays in registers instead of being written to the stack.
    if (tape.observing()) [[unlikely]] {
      const E copy = expression;
      observe(tape, index, copy);
    }
    value_ = expression.value();
    index_ = index;
    generation_ = tape.generation();
  }

  // Annotation, check_finite's checks and the tape's observer.
  template <Expression E>
  [[gnu::noinline]] static void observe(BasicTape<T>& tape, std::uint32_t index, const E& expression) {
    if (detail::RecordingObserver<T>* observer = tape.observer())
      observer->expression(index, detail::statement_type<E, T>, &expression, expression.value());
    if (!tape.annotating()) return;
    std::string label;
    expression.describe(label);
    tape.annotations().annotate(index, expression.value(), std::move(label));
    if (tape.checking_finite()) detail::check_statement_finite(tape, index, expression);
  }

  void record_leaf() {
    BasicTape<T>& tape = BasicTape<T>::active_or_throw("creating a Var");
    const std::uint32_t index = tape.template record<0>([](const OperandSink<T>&) {});
    if (tape.observing()) [[unlikely]] {
      if (detail::RecordingObserver<T>* observer = tape.observer()) observer->input(index, value_);
      if (tape.annotating()) {
        tape.annotations().annotate(index, value_, "");  // an input: to_dot labels it so
        if (tape.checking_finite()) detail::check_input_finite(value_, "a new Var's value");
      }
    }
    index_ = index;
    generation_ = tape.generation();
  }

  T value_{};
  std::uint32_t index_ = 0;
  std::uint32_t generation_ = 0;
};

/// A recorded double.
using Var = BasicVar<double>;
/// A recorded float.
using FloatVar = BasicVar<float>;

}  // namespace tapegrad
