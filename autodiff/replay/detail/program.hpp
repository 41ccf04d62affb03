/// \file
/// The program of one recorded expression. A replay tape (replay_tape.hpp) keeps, for
/// each statement, its expression tree as a short program of nodes in postfix order: the
/// leaves (the statement's operands, in the order they were written), the numbers, and
/// one node per rule with the positions of its children. ProgramEncoder builds it: each
/// expression node's encode() (scalar/expr.hpp) calls it, children first. How a program
/// runs again is interpreter.hpp.
///
/// The op codes are generated from rules.hpp's lists, so a new rule replays with no edit
/// here. A rule with a `piece` (a kink: abs, relu, max, …) also keeps, in the program's
/// numbers, which piece it was on when recorded; running it on another piece is
/// reported (see replay_record.hpp). So are comparisons of Vars (`if (x > 0)`), which
/// are programs ending in a Compare node.
#pragma once

#include <concepts>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "../../scalar/dual.hpp"
#include "../../scalar/rules.hpp"
#include "../../support/error.hpp"

// Every rule in op-code order, the order of rules.hpp's tuples: U(Rule, name) for each
// unary rule, B(Rule, name) for each binary one, T(Rule, name) for each ternary one.
#define TAPEGRAD_EVERY_RULE(U, B, T) \
  U(Neg, neg)                        \
  TAPEGRAD_UNARY_FUNCTIONS(U)        \
  B(Add, +) B(Sub, -) B(Mul, *) B(Div, /) TAPEGRAD_BINARY_FUNCTIONS(B) TAPEGRAD_TERNARY_FUNCTIONS(T)

namespace tapegrad {
template <class T>
class BasicTape;
}  // namespace tapegrad

namespace tapegrad::detail {

// Every rule, in the order of rules.hpp's tuples: unary, binary, ternary; then the
// nodes that are no rule.
// clang-format off
enum class OpCode : std::uint8_t {
#define TAPEGRAD_OP_CODE(Rule, function) Rule,
  TAPEGRAD_EVERY_RULE(TAPEGRAD_OP_CODE, TAPEGRAD_OP_CODE, TAPEGRAD_OP_CODE)
#undef TAPEGRAD_OP_CODE
  Leaf,          // the next operand of the statement: arg[0] is its slot
  LeafConstant,  // an operand that is a constant Var (on no tape): slot arg[0], number arg[1]
  Constant,      // a number of the expression: arg[0] indexes the statement's numbers
  Compare,       // a comparison of Vars: arg[0] and arg[1] compared by `relation`
};
// clang-format on

inline constexpr std::size_t num_unary_ops = std::tuple_size_v<rules::UnaryRules>;
inline constexpr std::size_t num_binary_ops = std::tuple_size_v<rules::BinaryRules>;
inline constexpr std::size_t num_rule_ops =
    num_unary_ops + num_binary_ops + std::tuple_size_v<rules::TernaryRules>;
static_assert(static_cast<std::size_t>(OpCode::Leaf) == num_rule_ops,
              "the op codes must follow rules.hpp's tuples exactly");

template <class Rule, class Tuple>
struct IndexOf;
template <class Rule, class... Rules>
struct IndexOf<Rule, std::tuple<Rules...>> {
  static constexpr std::size_t value = [] {
    std::size_t i = 0;
    (void)((std::is_same_v<Rule, Rules> ? true : (++i, false)) || ...);
    return i;
  }();
};

template <class Rule>
constexpr OpCode op_code_of() {
  if constexpr (IndexOf<Rule, rules::UnaryRules>::value < num_unary_ops)
    return static_cast<OpCode>(IndexOf<Rule, rules::UnaryRules>::value);
  else if constexpr (IndexOf<Rule, rules::BinaryRules>::value < num_binary_ops)
    return static_cast<OpCode>(num_unary_ops + IndexOf<Rule, rules::BinaryRules>::value);
  else
    return static_cast<OpCode>(num_unary_ops + num_binary_ops + IndexOf<Rule, rules::TernaryRules>::value);
}

// A rule with pieces (rules.hpp) also says what each piece is.
template <class Rule>
concept HasPiece = requires(int p) {
  &Rule::piece;
  { Rule::describe_piece(p) } -> std::convertible_to<const char*>;
};

// How a comparison was written; Order is `<=>` itself.
enum class Relation : std::uint8_t { Less, LessEqual, Greater, GreaterEqual, Equal, NotEqual, Order };

inline const char* relation_symbol(Relation r) {
  static constexpr const char* symbols[] = {"<", "<=", ">", ">=", "==", "!=", "<=>"};
  return symbols[static_cast<int>(r)];
}

// The outcome of a comparison as a small integer: 0 or 1 for the bool relations,
// -1 / 0 / 1 / 2 (unordered) for Order.
inline int compare_outcome(Relation r, double a, double b) {
  switch (r) {
    case Relation::Less:
      return a < b;
    case Relation::LessEqual:
      return a <= b;
    case Relation::Greater:
      return a > b;
    case Relation::GreaterEqual:
      return a >= b;
    case Relation::Equal:
      return a == b;
    case Relation::NotEqual:
      return a != b;
    case Relation::Order:
      return a < b ? -1 : (a > b ? 1 : (a == b ? 0 : 2));
  }
  return 0;
}

// One node of a program. Children always precede their parent.
struct ProgramNode {
  OpCode op;
  std::uint8_t needs;  // bit k: child k has operands below it, so its partial is needed
                       // (for Compare: the Relation)
  std::uint16_t arg[3];
  std::uint16_t piece;  // kinks and Compare: the number holding the recorded piece
};

inline constexpr std::size_t num_op_codes = static_cast<std::size_t>(OpCode::Compare) + 1;

// The rule's name (rules.hpp), for messages and for the file format, which stores op
// codes by name so that adding a rule never breaks a saved recording.
inline const char* op_name(OpCode op) {
  static constexpr const char* names[] = {
#define TAPEGRAD_OP_NAME(Rule, function) rules::Rule::name,
      TAPEGRAD_EVERY_RULE(TAPEGRAD_OP_NAME, TAPEGRAD_OP_NAME, TAPEGRAD_OP_NAME)
#undef TAPEGRAD_OP_NAME
          "leaf",
      "constant leaf", "constant", "compare"};
  static_assert(std::size(names) == num_op_codes);
  return names[static_cast<int>(op)];
}

// How many children a node of this op has (Leaf, LeafConstant and Constant none).
inline int op_arity(OpCode op) {
  const auto k = static_cast<std::size_t>(op);
  if (k < num_unary_ops) return 1;
  if (k < num_unary_ops + num_binary_ops) return 2;
  if (k < num_rule_ops) return 3;
  return op == OpCode::Compare ? 2 : 0;
}
// Whether a node of this op keeps a recorded piece in its `piece` number.
inline bool op_has_piece(OpCode op) {
  static constexpr bool table[] = {
#define TAPEGRAD_OP_PIECE(Rule, function) HasPiece<rules::Rule>,
      TAPEGRAD_EVERY_RULE(TAPEGRAD_OP_PIECE, TAPEGRAD_OP_PIECE, TAPEGRAD_OP_PIECE)
#undef TAPEGRAD_OP_PIECE
          false,  // Leaf
      false,      // LeafConstant
      false,      // Constant
      true};      // Compare
  static_assert(std::size(table) == num_op_codes);
  return table[static_cast<std::size_t>(op)];
}

// Builds the program of one expression: each expression node's encode() calls it
// children first and gets back its node's position. BasicTape is only named here: the
// tape is complete wherever an encoder is used.
template <class T>
class ProgramEncoder {
 public:
  // For a comparison, `operands` receives its Vars' indices and `tape` says which Vars
  // are its own (a Var of another tape is a number to this recording).
  ProgramEncoder(std::vector<ProgramNode>& nodes, std::vector<T>& numbers,
                 std::vector<std::uint32_t>* operands, const BasicTape<T>* tape = nullptr)
      : nodes_(nodes), numbers_(numbers), operands_(operands), tape_(tape) {}

  // A Var leaf: the statement's next operand (a constant Var, on no tape, keeps its slot
  // but replays as its number). For a comparison, `index` is kept as its operand.
  std::uint16_t leaf(std::uint32_t index, std::uint32_t generation, const T& value) {
    const std::uint16_t slot = next_slot_++;
    const bool constant = generation == 0 || (tape_ != nullptr && !tape_->is_valid_index(index, generation));
    if (operands_ != nullptr) operands_->push_back(constant ? 0 : index);
    if (constant) return add({OpCode::LeafConstant, 0, {slot, number(value), 0}, 0});
    return add({OpCode::Leaf, 0, {slot, 0, 0}, 0});
  }
  std::uint16_t constant(const T& value) { return add({OpCode::Constant, 0, {number(value), 0, 0}, 0}); }

  template <class Rule>
  std::uint16_t unary(std::uint16_t a, bool a_needed, const T& x) {
    ProgramNode n{op_code_of<Rule>(), static_cast<std::uint8_t>(a_needed), {a, 0, 0}, 0};
    if constexpr (HasPiece<Rule>) n.piece = number(T(Rule::piece(primal(x))));
    return add(n);
  }
  template <class Rule>
  std::uint16_t binary(std::uint16_t a, std::uint16_t b, std::uint8_t needs, const T& xa, const T& xb) {
    ProgramNode n{op_code_of<Rule>(), needs, {a, b, 0}, 0};
    if constexpr (HasPiece<Rule>) n.piece = number(T(Rule::piece(primal(xa), primal(xb))));
    return add(n);
  }
  template <class Rule>
  std::uint16_t ternary(std::uint16_t a, std::uint16_t b, std::uint16_t c, std::uint8_t needs, const T& xa,
                        const T& xb, const T& xc) {
    ProgramNode n{op_code_of<Rule>(), needs, {a, b, c}, 0};
    if constexpr (HasPiece<Rule>) n.piece = number(T(Rule::piece(primal(xa), primal(xb), primal(xc))));
    return add(n);
  }
  // A rule's node of a program built at run time (program_statement.hpp), its children added before it:
  // `piece` is the piece it was on, for a rule with pieces.
  std::uint16_t rule_node(ProgramNode n, const T& piece) {
    n.piece = op_has_piece(n.op) ? number(piece) : 0;
    return add(n);
  }
  std::uint16_t compare(Relation relation, std::uint16_t a, std::uint16_t b, int outcome) {
    return add({OpCode::Compare, static_cast<std::uint8_t>(relation), {a, b, 0}, number(T(outcome))});
  }

 private:
  std::uint16_t number(const T& value) {
    numbers_.push_back(value);
    return checked(numbers_.size() - 1 - numbers_begin_);
  }
  std::uint16_t add(const ProgramNode& n) {
    nodes_.push_back(n);
    return checked(nodes_.size() - 1);
  }
  static std::uint16_t checked(std::size_t i) {
    if (i > 0xffff) throw Error("a replayable tape: an expression of more than 65535 nodes");
    return static_cast<std::uint16_t>(i);
  }

  std::vector<ProgramNode>& nodes_;
  std::vector<T>& numbers_;
  std::vector<std::uint32_t>* operands_;
  const BasicTape<T>* tape_;
  std::size_t numbers_begin_ = numbers_.size();
  std::uint16_t next_slot_ = 0;
};

// Encodes a number or an expression on one side of a comparison.
template <class T, class X>
std::uint16_t encode_side(ProgramEncoder<T>& e, const X& x) {
  if constexpr (requires { x.encode(e); })
    return x.encode(e);
  else
    return e.constant(static_cast<T>(x));
}

}  // namespace tapegrad::detail
