/// \file
/// Running a recorded expression's program (program.hpp) again at new values, and
/// describing it in words. Running does what recording did, in the same order and with
/// the same rules: the values bottom-up, then each leaf's partial as the product of the
/// rules' partials from the root down (scalar/expr.hpp's propagate), so a replay gives
/// the same bits as a fresh recording at the same inputs. A kink on another piece than
/// recorded, or a comparison with another outcome, stops it.
#pragma once

#include <cstdint>
#include <string>

#include "program.hpp"

namespace tapegrad::detail {

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
