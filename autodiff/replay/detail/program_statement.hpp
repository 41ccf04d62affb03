/// \file
/// A statement whose expression is known only at run time: a program (program.hpp) that an
/// interpreter built. The command line records each term of an indexed sum this way, as one
/// statement, where evaluating its text operation by operation records one statement per
/// operation (a Rosenbrock term: 1 instead of 9), so every later sweep, replay and Hessian
/// product does a ninth of the work. The value and the operands' partials come from running
/// the program (interpreter.hpp): the rules and the order a C++ expression of that shape
/// applies. A replay tape's observer is told the program as it is told any expression's, so
/// replays, linearizations and the sparsity analyses see such a statement as they see one
/// written in C++; having no compiled kernel, it is replayed by the interpreter.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "../../scalar/tape.hpp"
#include "../../support/error.hpp"
#include "interpreter.hpp"
#include "program.hpp"
#include "statement_type.hpp"

namespace tapegrad::detail {

// The program's nodes in postfix order, children before parents: the k-th Leaf node (arg[0]
// = k) reads leaf k, the Var of statement leaf_index[k] of generation leaf_generation[k],
// whose value is leaf_value[k] (a Var's parts: nothing in replay/ names Var); a Constant
// reads numbers[arg[0]], and a rule with pieces (a kink) keeps the piece it is on in
// numbers[piece]. Only rules, Leaf and Constant nodes.
template <class T>
struct ProgramStatement {
  std::span<const ProgramNode> nodes;
  std::span<T> numbers;  // record_program_statement writes the pieces it finds
  std::span<const std::uint32_t> leaf_index, leaf_generation;
  std::span<const T> leaf_value;
};

// The program as the observer's encoder builds it for any expression (statement_type.hpp).
template <class T>
std::uint16_t encode_program_statement(const void* expression, ProgramEncoder<T>& encoder) {
  const auto& s = *static_cast<const ProgramStatement<T>*>(expression);
  std::uint16_t last = 0;
  for (const ProgramNode& n : s.nodes) {
    if (n.op == OpCode::Leaf) {
      const std::uint16_t k = n.arg[0];
      last = encoder.leaf(s.leaf_index[k], s.leaf_generation[k], s.leaf_value[k]);
    } else if (n.op == OpCode::Constant) {
      last = encoder.constant(s.numbers[n.arg[0]]);
    } else {
      last = encoder.rule_node(n, op_has_piece(n.op) ? s.numbers[n.piece] : T(0));
    }
  }
  return last;
}

template <class T>
inline constexpr StatementType<T> program_statement_type{&encode_program_statement<T>, nullptr, {}};

// What recording keeps between statements, so that it allocates nothing once sized.
template <class T>
struct ProgramStatementScratch {
  std::vector<T> node_value, node_adjoint, partials;
  std::vector<std::uint32_t> slots;
};

// Records `s` on `tape` as one statement: returns its index, its value in `value`. A kink's
// piece is found by running the program: a run that meets a piece other than
// numbers[piece] writes it there and runs again (once per kink at most; a caller that
// keeps the numbers between statements of one program rarely runs twice).
template <class T>
std::uint32_t record_program_statement(BasicTape<T>& tape, const ProgramStatement<T>& s,
                                       ProgramStatementScratch<T>& scratch, T& value) {
  const std::size_t count = s.nodes.size(), leaves = s.leaf_index.size();
  if (count == 0 || count > 0xffff) throw Error("a program statement of ", count, " nodes (1 to 65535)");
  if (s.leaf_generation.size() != leaves || s.leaf_value.size() != leaves)
    throw Error("a program statement: ", leaves, " leaf indices, ", s.leaf_generation.size(),
                " generations, ", s.leaf_value.size(), " values");
  scratch.node_value.resize(count);
  scratch.node_adjoint.resize(count);
  scratch.partials.resize(leaves);
  for (std::size_t k = scratch.slots.size(); k < leaves; ++k)
    scratch.slots.push_back(static_cast<std::uint32_t>(k));
  PieceChange change{};
  for (std::size_t runs = 0; !run_program(s.nodes.data(), static_cast<std::uint32_t>(count), s.numbers.data(),
                                          scratch.slots.data(), s.leaf_value.data(), scratch.partials.data(),
                                          scratch.node_value.data(), scratch.node_adjoint.data(), change);
       ++runs) {
    if (runs == count || change.op == OpCode::Compare) throw Error("a program statement: a comparison node");
    s.numbers[s.nodes[change.node].piece] = T(change.now);
  }
  value = scratch.node_value[count - 1];
  return tape.record_expression(s.leaf_index, s.leaf_generation,
                                std::span<const T>(scratch.partials.data(), leaves),
                                program_statement_type<T>, &s, value);
}

}  // namespace tapegrad::detail
