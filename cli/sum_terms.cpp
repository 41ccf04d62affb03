#include "sum_terms.hpp"

#include "functions.hpp"

namespace tapegrad::cli {

// An Apply's operation is the rule of the same position in rules.hpp's lists, and so is a
// program's op code (program.hpp): the operation index is the op code.
static_assert(operation_count == tapegrad::detail::num_rule_ops);
static_assert(static_cast<std::size_t>(tapegrad::detail::op_code_of<rules::Add>()) ==
              operation_index<rules::Add>());
static_assert(static_cast<std::size_t>(tapegrad::detail::op_code_of<rules::Mul>()) ==
              operation_index<rules::Mul>());

namespace {

// Programs index their nodes in 16 bits; a body longer than this is evaluated operation by operation.
constexpr std::size_t max_term_nodes = 0xfff0;

struct StackEntry {
  std::uint16_t node;
  bool has_leaf;  // a Var below it, so its partial is needed
};

}  // namespace

SumTermProgram compile_sum_term(const Expression& e, std::size_t at) {
  SumTermProgram p;
  const std::vector<Instruction>& program = e.program();
  const Instruction& sum = program[at];
  std::vector<StackEntry> stack;
  std::vector<tapegrad::detail::ProgramNode>& nodes = p.first;
  for (std::size_t k = at + 1; k < sum.end; ++k) {
    if (nodes.size() >= max_term_nodes) return {};
    const Instruction& i = program[k];
    const auto position = static_cast<std::uint16_t>(nodes.size());
    switch (i.op) {
      case Instruction::Op::Constant:
      case Instruction::Op::IndexValue:
        nodes.push_back(
            {tapegrad::detail::OpCode::Constant, 0, {static_cast<std::uint16_t>(p.numbers.size()), 0, 0}, 0});
        p.numbers.push_back(static_cast<std::uint32_t>(k));
        stack.push_back({position, false});
        break;
      case Instruction::Op::Scalar:
      case Instruction::Op::SumElement:
      case Instruction::Op::Entry:
      case Instruction::Op::FormEntry:
        nodes.push_back(
            {tapegrad::detail::OpCode::Leaf, 0, {static_cast<std::uint16_t>(p.leaves.size()), 0, 0}, 0});
        p.leaves.push_back(static_cast<std::uint32_t>(k));
        stack.push_back({position, true});
        break;
      case Instruction::Op::Apply: {
        const std::size_t arity = operation_table[i.function].arity;
        tapegrad::detail::ProgramNode n{static_cast<tapegrad::detail::OpCode>(i.function), 0, {0, 0, 0}, 0};
        bool has_leaf = false;
        for (std::size_t a = 0; a < arity; ++a) {
          const StackEntry& child = stack[stack.size() - arity + a];
          n.arg[a] = child.node;
          if (child.has_leaf) n.needs = static_cast<std::uint8_t>(n.needs | (1u << a));
          has_leaf = has_leaf || child.has_leaf;
        }
        if (tapegrad::detail::op_has_piece(n.op)) {
          n.piece = static_cast<std::uint16_t>(p.numbers.size());
          p.numbers.push_back(SumTermProgram::piece_number);
        }
        stack.resize(stack.size() - arity);
        nodes.push_back(n);
        stack.push_back({position, has_leaf});
        break;
      }
      case Instruction::Op::Indexed:
      case Instruction::Op::Sum:
      case Instruction::Op::RangeSum:
        return {};
    }
  }
  if (stack.size() != 1 || !stack.back().has_leaf || p.numbers.size() > max_term_nodes) return {};

  // total ⊕ body: every node one place later, every leaf one slot later, the total first.
  p.next.reserve(nodes.size() + 2);
  p.next.push_back({tapegrad::detail::OpCode::Leaf, 0, {0, 0, 0}, 0});
  for (tapegrad::detail::ProgramNode n : nodes) {
    if (n.op == tapegrad::detail::OpCode::Leaf) {
      ++n.arg[0];
    } else if (n.op != tapegrad::detail::OpCode::Constant) {
      for (int a = 0; a < tapegrad::detail::op_arity(n.op); ++a) ++n.arg[a];
    }
    p.next.push_back(n);
  }
  const tapegrad::detail::OpCode combine = sum.function == Instruction::Multiply
                                               ? tapegrad::detail::op_code_of<rules::Mul>()
                                               : tapegrad::detail::op_code_of<rules::Add>();
  p.next.push_back({combine, 3, {0, static_cast<std::uint16_t>(nodes.size()), 0}, 0});
  p.usable = true;
  return p;
}

}  // namespace tapegrad::cli
