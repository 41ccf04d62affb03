// A sum's body compiled, once per expression, to the program of one tape statement per term
// (autodiff/replay/detail/program_statement.hpp): the first term is the body alone, every
// later one `total + body` (or `total * body`), so `sum(i = 0..n-2: 100*(x[i+1]-x[i]^2)^2 +
// (1-x[i])^2)` records n − 1 statements where evaluating it operation by operation records
// nine per term, and every sweep, replay and Hessian product after it does a ninth of the
// work. The evaluator (evaluate.hpp) fills each term's leaves and numbers from the same
// instructions it would run, so values and index errors are the same; the gradient may
// differ in the last bits (partials multiplied within the statement, not summed across
// statements).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../autodiff/replay/detail/program.hpp"
#include "expression.hpp"

namespace tapegrad::cli {

struct SumTermProgram {
  // Only a body of numbers, the sums' indices, variables read at indices that do not
  // depend on a variable, and operations compiles; one with a nested sum, an index read
  // from a variable's value (x[y]) or no variable at all is evaluated operation by operation.
  bool usable = false;
  std::vector<tapegrad::detail::ProgramNode> first;  // the body alone: leaf k is leaves[k]
  std::vector<tapegrad::detail::ProgramNode> next;  // total ⊕ body: leaf 0 the total, leaf k + 1 is leaves[k]
  // Per leaf of the body, in order: the instruction that reads its Var (Scalar, SumElement,
  // Entry or FormEntry).
  std::vector<std::uint32_t> leaves;
  // Per number of the programs, in order: the instruction it is (Constant or IndexValue), or
  // piece_number for the piece a kink was on (found when recorded).
  std::vector<std::uint32_t> numbers;
  static constexpr std::uint32_t piece_number = 0xffffffff;
};

// The term program of the Sum or RangeSum instruction at position `at` of e's program.
SumTermProgram compile_sum_term(const Expression& e, std::size_t at);

}  // namespace tapegrad::cli
