/// \file
/// The program of one recorded expression, and how to run it again at new values. A
/// replayable tape (Tape::Options::replayable) keeps, for each statement, its expression
/// tree as a short program of nodes in postfix order: the leaves (the statement's
/// operands, in the order they were written), the numbers, and one node per rule with
/// the positions of its children. Running it again does what recording did, in the same
/// order and with the same rules: the values bottom-up, then each leaf's partial as the
/// product of the rules' partials from the root down (expr.hpp's propagate). So a replay
/// gives the same bits as a fresh recording at the same inputs.
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

#include "dual.hpp"
#include "rules.hpp"

// Every rule in op-code order, the order of rules.hpp's tuples: U(Rule, name) for each
// unary rule, B(Rule, name) for each binary one, T(Rule, name) for each ternary one.
#define TAPEGRAD_EVERY_RULE(U, B, T) \
  U(Neg, neg)                        \
  TAPEGRAD_UNARY_FUNCTIONS(U)        \
  B(Add, +) B(Sub, -) B(Mul, *) B(Div, /) TAPEGRAD_BINARY_FUNCTIONS(B) TAPEGRAD_TERNARY_FUNCTIONS(T)

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

// Where a kink or a comparison came out differently from the recording.
struct PieceChange {
  OpCode op;
  std::uint32_t node;
  int recorded;
  int now;
};

// False, with `change` filled in, if a kink is on another piece than recorded.
template <class Rule, class T, class... X>
bool same_piece(const ProgramNode& n, std::uint32_t k, const T* numbers, PieceChange& change, const X&... x) {
  if constexpr (HasPiece<Rule>) {
    const int now = Rule::piece(primal(x)...);
    const auto recorded = static_cast<int>(primal(numbers[n.piece]));
    if (now != recorded) [[unlikely]] {
      change = {n.op, k, recorded, now};
      return false;
    }
  }
  return true;
}

// Runs one program. `values` holds every statement's value (what Leaf reads through the
// operand indices), `numbers` the program's numbers, `node_value` and `node_adjoint`
// scratch of the program's length. Writes each leaf's partial into partials[slot] when
// `partials` is not null. Returns false at the first kink or comparison whose piece
// differs from the recorded one, with `change` saying which.
template <class V, class T>
bool run_program(const ProgramNode* nodes, std::uint32_t count, const T* numbers,
                 const std::uint32_t* operands, const V* values, V* partials, V* node_value, V* node_adjoint,
                 PieceChange& change) {
  for (std::uint32_t k = 0; k < count; ++k) {
    const ProgramNode& n = nodes[k];
    const V* x = node_value;
    switch (n.op) {
#define TAPEGRAD_UNARY_CASE(Rule, f)                                                \
  case op_code_of<rules::Rule>():                                                   \
    node_value[k] = rules::Rule::value(x[n.arg[0]]);                                \
    if (!same_piece<rules::Rule>(n, k, numbers, change, x[n.arg[0]])) return false; \
    break;
#define TAPEGRAD_BINARY_CASE(Rule, f)                                                            \
  case op_code_of<rules::Rule>():                                                                \
    node_value[k] = rules::Rule::value(x[n.arg[0]], x[n.arg[1]]);                                \
    if (!same_piece<rules::Rule>(n, k, numbers, change, x[n.arg[0]], x[n.arg[1]])) return false; \
    break;
#define TAPEGRAD_TERNARY_CASE(Rule, f)                                                          \
  case op_code_of<rules::Rule>():                                                               \
    node_value[k] = rules::Rule::value(x[n.arg[0]], x[n.arg[1]], x[n.arg[2]]);                  \
    if (!same_piece<rules::Rule>(n, k, numbers, change, x[n.arg[0]], x[n.arg[1]], x[n.arg[2]])) \
      return false;                                                                             \
    break;
      TAPEGRAD_EVERY_RULE(TAPEGRAD_UNARY_CASE, TAPEGRAD_BINARY_CASE, TAPEGRAD_TERNARY_CASE)
#undef TAPEGRAD_UNARY_CASE
#undef TAPEGRAD_BINARY_CASE
#undef TAPEGRAD_TERNARY_CASE
      case OpCode::Leaf:
        node_value[k] = values[operands[n.arg[0]]];
        break;
      case OpCode::LeafConstant:
        node_value[k] = V(numbers[n.arg[1]]);
        break;
      case OpCode::Constant:
        node_value[k] = V(numbers[n.arg[0]]);
        break;
      case OpCode::Compare: {
        const int now =
            compare_outcome(static_cast<Relation>(n.needs), primal(x[n.arg[0]]), primal(x[n.arg[1]]));
        if (now != static_cast<int>(primal(numbers[n.piece]))) {
          change = {n.op, k, static_cast<int>(primal(numbers[n.piece])), now};
          return false;
        }
        node_value[k] = V(now);
        break;
      }
    }
  }
  if (partials == nullptr) return true;

  // The partials, root first: each node hands its adjoint times its rule's partial to
  // the children that have operands below them, as propagate() does.
  node_adjoint[count - 1] = V(1);
  for (std::uint32_t k = count; k-- > 0;) {
    const ProgramNode& n = nodes[k];
    const V& a = node_adjoint[k];
    const V* x = node_value;
    switch (n.op) {
#define TAPEGRAD_UNARY_CASE(Rule, f)                                                       \
  case op_code_of<rules::Rule>():                                                          \
    if (n.needs & 1) node_adjoint[n.arg[0]] = a * rules::Rule::partial(x[n.arg[0]], x[k]); \
    break;
#define TAPEGRAD_BINARY_CASE(Rule, f)                                                               \
  case op_code_of<rules::Rule>():                                                                   \
    if (n.needs & 1) node_adjoint[n.arg[0]] = a * rules::Rule::d_a(x[n.arg[0]], x[n.arg[1]], x[k]); \
    if (n.needs & 2) node_adjoint[n.arg[1]] = a * rules::Rule::d_b(x[n.arg[0]], x[n.arg[1]], x[k]); \
    break;
#define TAPEGRAD_TERNARY_CASE(Rule, f)                                                            \
  case op_code_of<rules::Rule>():                                                                 \
    if (n.needs & 1)                                                                              \
      node_adjoint[n.arg[0]] = a * rules::Rule::d_a(x[n.arg[0]], x[n.arg[1]], x[n.arg[2]], x[k]); \
    if (n.needs & 2)                                                                              \
      node_adjoint[n.arg[1]] = a * rules::Rule::d_b(x[n.arg[0]], x[n.arg[1]], x[n.arg[2]], x[k]); \
    if (n.needs & 4)                                                                              \
      node_adjoint[n.arg[2]] = a * rules::Rule::d_c(x[n.arg[0]], x[n.arg[1]], x[n.arg[2]], x[k]); \
    break;
      TAPEGRAD_EVERY_RULE(TAPEGRAD_UNARY_CASE, TAPEGRAD_BINARY_CASE, TAPEGRAD_TERNARY_CASE)
#undef TAPEGRAD_UNARY_CASE
#undef TAPEGRAD_BINARY_CASE
#undef TAPEGRAD_TERNARY_CASE
      case OpCode::Leaf:
      case OpCode::LeafConstant:
        partials[n.arg[0]] = a;
        break;
      case OpCode::Constant:
      case OpCode::Compare:
        break;
    }
  }
  return true;
}

// The program as text, with operands named by `operand_name(slot)` ("v12"), for
// messages about a comparison or kink that changed.
// Deeper than `depth` nodes, a subexpression is written "…".
template <class T, class OperandName>
std::string describe_program(const ProgramNode* nodes, std::uint32_t k, const T* numbers,
                             OperandName&& operand_name, int depth = 12) {
  const ProgramNode& n = nodes[k];
  if (depth == 0) return "…";
  auto child = [&](int i) { return describe_program(nodes, n.arg[i], numbers, operand_name, depth - 1); };
  const auto op = static_cast<std::size_t>(n.op);
  switch (n.op) {
    case OpCode::Leaf:
      return operand_name(n.arg[0]);
    case OpCode::LeafConstant:
    case OpCode::Constant: {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%.6g",
                    static_cast<double>(numbers[n.op == OpCode::Constant ? n.arg[0] : n.arg[1]]));
      return buffer;
    }
    case OpCode::Compare: {
      std::string out = child(0);
      out += ' ';
      out += relation_symbol(static_cast<Relation>(n.needs));
      out += ' ';
      out += child(1);
      return out;
    }
    default:
      break;
  }
  const std::string name = op_name(n.op);
  if (n.op == OpCode::Neg) return "-" + child(0);
  if (op >= num_unary_ops && op < num_unary_ops + 4) {  // + - * /
    std::string out = "(";
    out += child(0);
    out += ' ';
    out += name;
    out += ' ';
    out += child(1);
    out += ')';
    return out;
  }
  std::string out = name;
  out += '(';
  const int arity = op < num_unary_ops ? 1 : (op < num_unary_ops + num_binary_ops ? 2 : 3);
  for (int i = 0; i < arity; ++i) {
    if (i > 0) out += ", ";
    out += child(i);
  }
  out += ')';
  return out;
}

// The words of a rule's pieces (its describe_piece), or null for a rule without pieces.
template <class Rule>
constexpr auto piece_words() -> const char* (*)(int) {
  if constexpr (HasPiece<Rule>)
    return &Rule::describe_piece;
  else
    return nullptr;
}

// What a kink's or comparison's recorded integer means, in words.
inline std::string describe_piece(const ProgramNode& n, int piece) {
  if (n.op == OpCode::Compare) {
    if (static_cast<Relation>(n.needs) != Relation::Order) return piece != 0 ? "true" : "false";
    static constexpr const char* orders[] = {"less", "equal", "greater", "unordered"};
    return orders[piece + 1];
  }
  static constexpr const char* (*words[])(int) = {
#define TAPEGRAD_PIECE_WORDS(Rule, function) piece_words<rules::Rule>(),
      TAPEGRAD_EVERY_RULE(TAPEGRAD_PIECE_WORDS, TAPEGRAD_PIECE_WORDS, TAPEGRAD_PIECE_WORDS)
#undef TAPEGRAD_PIECE_WORDS
  };
  const auto op = static_cast<std::size_t>(n.op);
  return op < std::size(words) && words[op] != nullptr ? words[op](piece) : "piece " + std::to_string(piece);
}

}  // namespace tapegrad::detail
