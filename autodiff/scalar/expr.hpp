/// \file
/// Expression nodes. `x * y + exp(z)` builds a small tree of these on the stack; nothing
/// touches the tape until the tree is assigned to a Var, which records it as one
/// statement whose operands are the tree's leaves, each with its local partial computed
/// by walking the tree once (propagate). That is what makes a statement cost a few
/// bytes per operation instead of a node per operation.
///
/// Nodes hold their children by value, so `auto e = x * y;` is safe to keep and use
/// later (it refers to the Vars' recorded nodes, not to temporaries). Values are
/// computed when a node is built, so `e.value()` and comparisons cost nothing extra.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdio>
#include <string>
#include <type_traits>

#include "tape.hpp"

namespace tapegrad {

/// Every expression type E provides:
///   value_type, max_operands (how many leaves it has), value(),
///   propagate<Slot>(sink, adjoint) (writes adjoint·∂E/∂leaf for each leaf, the leaves
///   taking the slots Slot, Slot + 1, …),
///   describe(out) (text form, for graph export),
///   encode(encoder) (the tree as nodes, numbers and kink pieces, for a recording
///   observer: each node calls the encoder's leaf/constant/unary/binary/ternary),
///   a constructor (RebuildTag, source): the same expression over new leaf values taken
///   from `source` (next_leaf, number, op per node), to recompute a statement,
///   cheap_to_recompute (all its rules are `cheap`, rules.hpp); binary nodes also name
///   rule, left_type and right_type, and a Var leaf says is_var_leaf.
/// One order rules them all: children in member order (a, then b, then c), depth first,
/// each node after its children. propagate numbers the leaves in it (operand slots),
/// encode writes the nodes, leaves and numbers (constants, kink pieces) in it, and the
/// RebuildTag constructor takes them back from the source in it; a node that visited its
/// children in another order would rebuild another expression. tests/property/ checks,
/// bit for bit, that every statement rebuilt this way equals a fresh recording.
template <class E>
concept Expression = requires(const E& e) {
  typename E::value_type;
  { E::max_operands } -> std::convertible_to<std::size_t>;
  e.value();
};

/// A plain number (anything arithmetic) that can appear in an expression.
template <class S>
concept Number = std::is_arithmetic_v<S>;

namespace detail {
/// Selects an expression's constructor that rebuilds it over new leaf values (see
/// Expression).
struct RebuildTag {};

/// Whether a rule is marked cheap to compute twice rather than store (rules.hpp).
template <class Rule>
inline constexpr bool cheap_rule = requires {
  requires Rule::cheap;
};

template <class T>
void describe_number(std::string& out, const T& v) {
  if constexpr (std::is_arithmetic_v<T>) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.6g", static_cast<double>(v));
    out += buffer;
  } else {
    out += "c";
  }
}

// "name(a, b, …)": the text form of an operation called as a function.
template <class... Operands>
void describe_call(std::string& out, const char* name, const Operands&... operands) {
  out += name;
  out += '(';
  const char* separator = "";
  ((out += separator, operands.describe(out), separator = ", "), ...);
  out += ')';
}
}  // namespace detail

/// A number inside an expression: no operands, nothing to propagate.
template <class T>
class Constant {
 public:
  /// The scalar type.
  using value_type = T;
  /// No leaves.
  static constexpr std::size_t max_operands = 0;
  /// The number `v`.
  explicit Constant(const T& v) : value_(v) {}
  /// The number.
  const T& value() const noexcept { return value_; }
  /// \cond INTERNAL
  template <std::size_t Slot>
  void propagate(const OperandSink<T>&, const T&) const noexcept {}
  void describe(std::string& out) const { detail::describe_number(out, value_); }
  template <class Encoder>
  std::uint16_t encode(Encoder& e) const {
    return e.constant(value_);
  }
  template <class Source>
  Constant(detail::RebuildTag, Source& s) : value_(s.number()) {}
  static constexpr bool cheap_to_recompute = true;
  /// \endcond

 private:
  T value_;
};

/// An operation of one operand: Rule's value and partial (rules.hpp) applied to A, itself an expression. What
/// `exp(x)` and `-x` return; assigning it to a Var records it.
template <class Rule, class A>
class UnaryExpr {
 public:
  /// The scalar type.
  using value_type = typename A::value_type;
  /// The number of leaves (Vars) below this node.
  static constexpr std::size_t max_operands = A::max_operands;

  /// The operation applied to `a`; its value is computed here.
  explicit UnaryExpr(const A& a) : a_(a), value_(Rule::value(a.value())) {}
  /// The value, computed when the node was built.
  const value_type& value() const noexcept { return value_; }
  /// The operand.
  const A& operand() const noexcept { return a_; }
  /// \cond INTERNAL
  template <std::size_t Slot>
  void propagate(const OperandSink<value_type>& sink, const value_type& adjoint) const {
    a_.template propagate<Slot>(sink, adjoint * Rule::partial(a_.value(), value_));
  }
  void describe(std::string& out) const { detail::describe_call(out, Rule::name, a_); }
  template <class Encoder>
  std::uint16_t encode(Encoder& e) const {
    const std::uint16_t a = a_.encode(e);
    return e.template unary<Rule>(a, A::max_operands > 0, a_.value());
  }
  /// The same expression over new leaf values, built in place: the children first, in
  /// member order, as encode() visited them.
  template <class Source>
  UnaryExpr(detail::RebuildTag tag, Source& s) : a_(tag, s), value_(Rule::value(a_.value())) {
    s.template op<Rule>(a_.value());
  }
  static constexpr bool cheap_to_recompute = detail::cheap_rule<Rule> && A::cheap_to_recompute;
  /// \endcond

 private:
  A a_;
  value_type value_;
};

/// An operation of two operands: what `x * y`, `x + 2.0` and `pow(x, y)` return.
template <class Rule, class A, class B>
class BinaryExpr {
 public:
  /// The scalar type.
  using value_type = typename A::value_type;
  static_assert(std::is_same_v<value_type, typename B::value_type>,
                "tapegrad: both operands of an operation must have the same value type");
  /// The number of leaves (Vars) below this node.
  static constexpr std::size_t max_operands = A::max_operands + B::max_operands;

  /// The operation applied to `a` and `b`; its value is computed here.
  BinaryExpr(const A& a, const B& b) : a_(a), b_(b), value_(Rule::value(a.value(), b.value())) {}
  /// The value, computed when the node was built.
  const value_type& value() const noexcept { return value_; }
  /// The left operand.
  const A& left() const noexcept { return a_; }
  /// The right operand.
  const B& right() const noexcept { return b_; }
  /// A side with no leaves (a number) needs no partial; skipping it also avoids calls
  /// such as log() that the compiler could not remove on its own.
  /// \cond INTERNAL
  template <std::size_t Slot>
  void propagate(const OperandSink<value_type>& sink, const value_type& adjoint) const {
    if constexpr (A::max_operands > 0)
      a_.template propagate<Slot>(sink, adjoint * Rule::d_a(a_.value(), b_.value(), value_));
    if constexpr (B::max_operands > 0)
      b_.template propagate<Slot + A::max_operands>(sink,
                                                    adjoint * Rule::d_b(a_.value(), b_.value(), value_));
  }
  void describe(std::string& out) const {
    if constexpr (Rule::infix) {
      out += '(';
      a_.describe(out);
      out += ' ';
      out += Rule::name;
      out += ' ';
      b_.describe(out);
      out += ')';
    } else {
      detail::describe_call(out, Rule::name, a_, b_);
    }
  }
  template <class Encoder>
  std::uint16_t encode(Encoder& e) const {
    const std::uint16_t a = a_.encode(e);
    const std::uint16_t b = b_.encode(e);
    constexpr auto needs = static_cast<std::uint8_t>((A::max_operands > 0) | (B::max_operands > 0) << 1);
    return e.template binary<Rule>(a, b, needs, a_.value(), b_.value());
  }
  template <class Source>
  BinaryExpr(detail::RebuildTag tag, Source& s)
      : a_(tag, s), b_(tag, s), value_(Rule::value(a_.value(), b_.value())) {
    s.template op<Rule>(a_.value(), b_.value());
  }
  using rule = Rule;
  using left_type = A;
  using right_type = B;
  static constexpr bool cheap_to_recompute =
      detail::cheap_rule<Rule> && A::cheap_to_recompute && B::cheap_to_recompute;
  /// \endcond

 private:
  A a_;
  B b_;
  value_type value_;
};

/// A rule of three operands (clamp): what it returns on Vars. Leaves are numbered a's,
/// then b's, then c's.
template <class Rule, class A, class B, class C>
class TernaryExpr {
 public:
  /// The scalar type.
  using value_type = typename A::value_type;
  static_assert(std::is_same_v<value_type, typename B::value_type> &&
                    std::is_same_v<value_type, typename C::value_type>,
                "tapegrad: all operands of an operation must have the same value type");
  /// The number of leaves (Vars) below this node.
  static constexpr std::size_t max_operands = A::max_operands + B::max_operands + C::max_operands;

  /// The operation applied to `a`, `b` and `c`; its value is computed here.
  TernaryExpr(const A& a, const B& b, const C& c)
      : a_(a), b_(b), c_(c), value_(Rule::value(a.value(), b.value(), c.value())) {}
  /// The value, computed when the node was built.
  const value_type& value() const noexcept { return value_; }
  /// The first operand.
  const A& first() const noexcept { return a_; }
  /// The second operand.
  const B& second() const noexcept { return b_; }
  /// The third operand.
  const C& third() const noexcept { return c_; }
  /// \cond INTERNAL
  template <std::size_t Slot>
  void propagate(const OperandSink<value_type>& sink, const value_type& adjoint) const {
    const value_type &a = a_.value(), &b = b_.value(), &c = c_.value();
    if constexpr (A::max_operands > 0)
      a_.template propagate<Slot>(sink, adjoint * Rule::d_a(a, b, c, value_));
    if constexpr (B::max_operands > 0)
      b_.template propagate<Slot + A::max_operands>(sink, adjoint * Rule::d_b(a, b, c, value_));
    if constexpr (C::max_operands > 0)
      c_.template propagate<Slot + A::max_operands + B::max_operands>(sink,
                                                                      adjoint * Rule::d_c(a, b, c, value_));
  }
  void describe(std::string& out) const { detail::describe_call(out, Rule::name, a_, b_, c_); }
  template <class Encoder>
  std::uint16_t encode(Encoder& e) const {
    const std::uint16_t a = a_.encode(e);
    const std::uint16_t b = b_.encode(e);
    const std::uint16_t c = c_.encode(e);
    constexpr auto needs = static_cast<std::uint8_t>((A::max_operands > 0) | (B::max_operands > 0) << 1 |
                                                     (C::max_operands > 0) << 2);
    return e.template ternary<Rule>(a, b, c, needs, a_.value(), b_.value(), c_.value());
  }
  template <class Source>
  TernaryExpr(detail::RebuildTag tag, Source& s)
      : a_(tag, s), b_(tag, s), c_(tag, s), value_(Rule::value(a_.value(), b_.value(), c_.value())) {
    s.template op<Rule>(a_.value(), b_.value(), c_.value());
  }
  static constexpr bool cheap_to_recompute = false;  // no ternary rule is cheap
                                                     /// \endcond

 private:
  A a_;
  B b_;
  C c_;
  value_type value_;
};

}  // namespace tapegrad
