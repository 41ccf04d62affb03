/// \file
/// Running one program for a run of consecutive statements at once, node by node across the
/// statements: one dispatch on the op code per node and batch instead of per node and
/// statement, as a compiled kernel runs a run of statements of its type. It serves the
/// statements without a compiled kernel: programs an interpreter built
/// (program_statement.hpp: the command line's sum terms), recordings loaded from a file, and
/// Dual values (Hessian-vector products). Each statement's nodes are computed by the rules and
/// in the order run_program uses (interpreter.hpp), so the values and partials are the same bits.
///
/// A statement that reads an earlier statement of its own batch (the running total of a sum:
/// `s + term`) is run in two parts: the nodes below such a read ("dependent") one statement
/// after another, every other node across the batch.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "interpreter.hpp"
#include "program.hpp"

namespace tapegrad::detail {

inline constexpr std::uint32_t batch_width = 32;         // statements a pass covers
inline constexpr std::uint32_t max_batched_nodes = 256;  // a longer program runs statement by statement
inline constexpr std::uint32_t min_batched_run = 4;      // a shorter run gains nothing

// Kept between runs: node values and adjoints, [node][batch_width], and which nodes depend.
template <class V>
struct BatchScratch {
  std::vector<V> value, adjoint;
  std::vector<std::uint8_t> dependent;
  std::vector<std::uint32_t> dependent_nodes;
};

// Whether program `nodes` can run batched: not too long, and no comparison (a guard's program).
inline bool batchable(const ProgramNode* nodes, std::uint32_t count) {
  if (count > max_batched_nodes) return false;
  for (std::uint32_t k = 0; k < count; ++k)
    if (nodes[k].op == OpCode::Compare) return false;
  return true;
}

namespace batch {

// Where the statements of a batch read: statement first + j has its numbers from
// numbers + numbers_begin[j] and its operands' indices and partials from statement_end[j - 1]
// (statement_end and numbers_begin already offset to the batch's first statement).
template <class V, class T>
struct Statements {
  const T* numbers;
  const std::uint32_t* numbers_begin;
  const std::uint32_t* statement_end;
  const std::uint32_t* operand_index;
  const V* values;
  V* partials;
  const V* leaves;  // when not null, leaf k of statement j reads leaves[statement_end[j - 1] + k] instead
};

// False if a kink of some statement j in [begin, end) is on another piece than recorded.
template <class Rule, class V, class T, class... X>
bool same_pieces(const ProgramNode& n, const Statements<V, T>& at, std::uint32_t begin, std::uint32_t end,
                 const X*... x) {
  if constexpr (HasPiece<Rule>) {
    for (std::uint32_t j = begin; j < end; ++j)
      if (Rule::piece(primal(x[j])...) != static_cast<int>(primal(at.numbers[at.numbers_begin[j] + n.piece])))
        return false;
  }
  return true;
}

template <class Rule, class V, class T>
bool unary_forward(const ProgramNode& n, V* out, const V* a, const Statements<V, T>& at, std::uint32_t begin,
                   std::uint32_t end) {
  for (std::uint32_t j = begin; j < end; ++j) out[j] = Rule::value(a[j]);
  return same_pieces<Rule>(n, at, begin, end, a);
}
template <class Rule, class V, class T>
bool binary_forward(const ProgramNode& n, V* out, const V* a, const V* b, const Statements<V, T>& at,
                    std::uint32_t begin, std::uint32_t end) {
  for (std::uint32_t j = begin; j < end; ++j) out[j] = Rule::value(a[j], b[j]);
  return same_pieces<Rule>(n, at, begin, end, a, b);
}
template <class Rule, class V, class T>
bool ternary_forward(const ProgramNode& n, V* out, const V* a, const V* b, const V* c,
                     const Statements<V, T>& at, std::uint32_t begin, std::uint32_t end) {
  for (std::uint32_t j = begin; j < end; ++j) out[j] = Rule::value(a[j], b[j], c[j]);
  return same_pieces<Rule>(n, at, begin, end, a, b, c);
}

// Node k's values for statements begin … end-1: value[k·W + j]. False on a changed piece.
template <class V, class T>
bool forward(const ProgramNode& n, std::uint32_t k, V* value, const Statements<V, T>& at, std::uint32_t begin,
             std::uint32_t end) {
  V* out = value + std::size_t{k} * batch_width;
  // A child's column (a leaf's arg[0] is its slot, no node: taken only for rules).
  const auto column = [value](std::uint16_t child) -> const V* {
    return value + std::size_t{child} * batch_width;
  };
  switch (n.op) {
#define TAPEGRAD_UNARY_CASE(Rule, f) \
  case op_code_of<rules::Rule>():    \
    return unary_forward<rules::Rule>(n, out, column(n.arg[0]), at, begin, end);
#define TAPEGRAD_BINARY_CASE(Rule, f) \
  case op_code_of<rules::Rule>():     \
    return binary_forward<rules::Rule>(n, out, column(n.arg[0]), column(n.arg[1]), at, begin, end);
#define TAPEGRAD_TERNARY_CASE(Rule, f)                                                                    \
  case op_code_of<rules::Rule>():                                                                         \
    return ternary_forward<rules::Rule>(n, out, column(n.arg[0]), column(n.arg[1]), column(n.arg[2]), at, \
                                        begin, end);
    TAPEGRAD_EVERY_RULE(TAPEGRAD_UNARY_CASE, TAPEGRAD_BINARY_CASE, TAPEGRAD_TERNARY_CASE)
#undef TAPEGRAD_UNARY_CASE
#undef TAPEGRAD_BINARY_CASE
#undef TAPEGRAD_TERNARY_CASE
    case OpCode::Leaf:
      if (at.leaves != nullptr)
        for (std::uint32_t j = begin; j < end; ++j)
          out[j] = at.leaves[at.statement_end[static_cast<std::ptrdiff_t>(j) - 1] + n.arg[0]];
      else
        for (std::uint32_t j = begin; j < end; ++j)
          out[j] =
              at.values[at.operand_index[at.statement_end[static_cast<std::ptrdiff_t>(j) - 1] + n.arg[0]]];
      return true;
    case OpCode::LeafConstant:
      for (std::uint32_t j = begin; j < end; ++j) out[j] = V(at.numbers[at.numbers_begin[j] + n.arg[1]]);
      return true;
    case OpCode::Constant:
      for (std::uint32_t j = begin; j < end; ++j) out[j] = V(at.numbers[at.numbers_begin[j] + n.arg[0]]);
      return true;
    case OpCode::Compare:
      return false;  // not batchable()
  }
  return true;
}

template <class Rule, class V, class Column, class AdjointColumn>
void unary_reverse(const ProgramNode& n, const V* x, const V* adj, Column a, AdjointColumn adj_of,
                   std::uint32_t begin, std::uint32_t end) {
  if (!(n.needs & 1)) return;
  const V* a0 = a(0);
  V* out = adj_of(0);
  for (std::uint32_t j = begin; j < end; ++j) out[j] = adj[j] * Rule::partial(a0[j], x[j]);
}
template <class Rule, class V, class Column, class AdjointColumn>
void binary_reverse(const ProgramNode& n, const V* x, const V* adj, Column a, AdjointColumn adj_of,
                    std::uint32_t begin, std::uint32_t end) {
  const V* a0 = a(0);
  const V* a1 = a(1);
  if (n.needs & 1) {
    V* out = adj_of(0);
    for (std::uint32_t j = begin; j < end; ++j) out[j] = adj[j] * Rule::d_a(a0[j], a1[j], x[j]);
  }
  if (n.needs & 2) {
    V* out = adj_of(1);
    for (std::uint32_t j = begin; j < end; ++j) out[j] = adj[j] * Rule::d_b(a0[j], a1[j], x[j]);
  }
}
template <class Rule, class V, class Column, class AdjointColumn>
void ternary_reverse(const ProgramNode& n, const V* x, const V* adj, Column a, AdjointColumn adj_of,
                     std::uint32_t begin, std::uint32_t end) {
  const V* a0 = a(0);
  const V* a1 = a(1);
  const V* a2 = a(2);
  if (n.needs & 1) {
    V* out = adj_of(0);
    for (std::uint32_t j = begin; j < end; ++j) out[j] = adj[j] * Rule::d_a(a0[j], a1[j], a2[j], x[j]);
  }
  if (n.needs & 2) {
    V* out = adj_of(1);
    for (std::uint32_t j = begin; j < end; ++j) out[j] = adj[j] * Rule::d_b(a0[j], a1[j], a2[j], x[j]);
  }
  if (n.needs & 4) {
    V* out = adj_of(2);
    for (std::uint32_t j = begin; j < end; ++j) out[j] = adj[j] * Rule::d_c(a0[j], a1[j], a2[j], x[j]);
  }
}

// Node k hands its adjoint times its rule's partials to the children that need it (a leaf:
// into its statement's partial), for statements begin … end-1, as run_program does.
template <class V, class T>
void reverse(const ProgramNode& n, std::uint32_t k, const V* value, V* adjoint, const Statements<V, T>& at,
             std::uint32_t begin, std::uint32_t end) {
  const V* x = value + std::size_t{k} * batch_width;
  const V* adj = adjoint + std::size_t{k} * batch_width;
  // A child's values and adjoints (taken only for rules: a leaf's arg[0] is its slot).
  const auto a = [&](int i) -> const V* { return value + std::size_t{n.arg[i]} * batch_width; };
  const auto adj_of = [&](int i) -> V* { return adjoint + std::size_t{n.arg[i]} * batch_width; };
  switch (n.op) {
#define TAPEGRAD_UNARY_CASE(Rule, f)                              \
  case op_code_of<rules::Rule>():                                 \
    unary_reverse<rules::Rule>(n, x, adj, a, adj_of, begin, end); \
    return;
#define TAPEGRAD_BINARY_CASE(Rule, f)                              \
  case op_code_of<rules::Rule>():                                  \
    binary_reverse<rules::Rule>(n, x, adj, a, adj_of, begin, end); \
    return;
#define TAPEGRAD_TERNARY_CASE(Rule, f)                              \
  case op_code_of<rules::Rule>():                                   \
    ternary_reverse<rules::Rule>(n, x, adj, a, adj_of, begin, end); \
    return;
    TAPEGRAD_EVERY_RULE(TAPEGRAD_UNARY_CASE, TAPEGRAD_BINARY_CASE, TAPEGRAD_TERNARY_CASE)
#undef TAPEGRAD_UNARY_CASE
#undef TAPEGRAD_BINARY_CASE
#undef TAPEGRAD_TERNARY_CASE
    case OpCode::Leaf:
    case OpCode::LeafConstant:
      for (std::uint32_t j = begin; j < end; ++j)
        at.partials[at.statement_end[static_cast<std::ptrdiff_t>(j) - 1] + n.arg[0]] = adj[j];
      return;
    case OpCode::Constant:
    case OpCode::Compare:
      return;
  }
}

}  // namespace batch

// Runs program `nodes` (count nodes, batchable()) for statements first … last-1: each
// statement's value into values[s] and, when `partials` is not null, its operands' partials
// (indexed like the tape's operands), as run_program would one statement at a time. Returns
// false when a kink of some statement came out on another piece than recorded; the caller
// then runs the statements one by one to say which was first. With `leaves`, each leaf reads
// leaves[its operand's position] rather than its operand's value (Dual numbers seeded per
// slot: local_hessians.hpp), and `values` may be null.
template <class V, class T>
bool run_program_batch(const ProgramNode* nodes, std::uint32_t count, const T* numbers,
                       const std::uint32_t* numbers_begin, const std::uint32_t* statement_end,
                       const std::uint32_t* operand_index, V* values, V* partials, std::uint32_t first,
                       std::uint32_t last, BatchScratch<V>& scratch, const V* leaves = nullptr) {
  scratch.value.resize(std::size_t{count} * batch_width);
  scratch.adjoint.resize(std::size_t{count} * batch_width);
  scratch.dependent.resize(count);
  V* value = scratch.value.data();
  V* adjoint = scratch.adjoint.data();
  std::uint8_t* dependent = scratch.dependent.data();
  const std::uint32_t root = count - 1;
  for (std::uint32_t c0 = first; c0 < last; c0 += batch_width) {
    const std::uint32_t m = std::min(batch_width, last - c0);
    const batch::Statements<V, T> at{
        numbers, numbers_begin + c0, statement_end + c0, operand_index, values, partials, leaves};
    // A leaf depends when, in some statement of the batch, it reads a statement of the batch.
    scratch.dependent_nodes.clear();
    for (std::uint32_t k = 0; k < count; ++k) {
      const ProgramNode& n = nodes[k];
      bool d = false;
      if (n.op == OpCode::Leaf) {
        for (std::uint32_t j = 1; j < m && !d && leaves == nullptr; ++j)
          d = operand_index[at.statement_end[static_cast<std::ptrdiff_t>(j) - 1] + n.arg[0]] >= c0;
      } else {
        for (int a = 0; a < op_arity(n.op); ++a) d = d || dependent[n.arg[a]] != 0;
      }
      dependent[k] = d;
      if (d) scratch.dependent_nodes.push_back(k);
    }
    // The dependent nodes, ascending: run one statement at a time (a sum's running total and the
    // additions above it: a few of the program's nodes).
    const std::span<const std::uint32_t> chain(scratch.dependent_nodes);

    for (std::uint32_t k = 0; k < count; ++k)
      if (!dependent[k] && !batch::forward(nodes[k], k, value, at, 0, m)) return false;
    for (std::uint32_t j = 0; j < m; ++j) {
      for (const std::uint32_t k : chain)
        if (!batch::forward(nodes[k], k, value, at, j, j + 1)) return false;
      // Read by the next statements' dependent leaves.
      if (values != nullptr) values[c0 + j] = value[std::size_t{root} * batch_width + j];
    }
    if (partials == nullptr) continue;

    std::fill_n(adjoint + std::size_t{root} * batch_width, m, V(1));
    for (std::uint32_t j = 0; j < m; ++j)
      for (auto k = chain.rbegin(); k != chain.rend(); ++k)
        batch::reverse(nodes[*k], *k, value, adjoint, at, j, j + 1);
    for (std::uint32_t k = count; k-- > 0;)
      if (!dependent[k]) batch::reverse(nodes[k], k, value, adjoint, at, 0, m);
  }
  return true;
}

}  // namespace tapegrad::detail
