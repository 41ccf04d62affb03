// Running an Expression's program on plain doubles (the function alone, with domain
// checks) or on tape Vars (recording for the gradient). Both go through the rules of
// the C++ API (functions.hpp), so the text and the C++ form of an expression give the
// same values and the same gradient.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "../autodiff/replay/detail/program_statement.hpp"
#include "../autodiff/scalar/dual.hpp"
#include "../autodiff/scalar/var.hpp"
#include "expression.hpp"
#include "functions.hpp"
#include "sum_terms.hpp"

namespace tapegrad::cli {

// An operation whose result is NaN or infinite although its inputs are finite.
class DomainError : public ColumnError {
 public:
  using ColumnError::ColumnError;
};

// Evaluating on Dual Vars with checks: an operation whose derivative is NaN or infinite
// although its inputs and their derivatives are finite. The message is DomainError's,
// with the derivative in place of the result ("domain error: sqrt(0) is infinite");
// calculus.cpp words it for the derivative.
class DerivativeError : public DomainError {
 public:
  using DomainError::DomainError;
};

// The values an Expression reads: one per scalar, and one vector per vector variable
// (in the Expression's name order).
template <class T>
struct Inputs {
  std::span<const T> scalars;
  std::span<const std::vector<T>> vectors;
};

namespace detail {

inline double plain(double x) { return x; }
template <class V>
double plain(const V& x) {
  return primal(x.value());  // a Var's double, a FloatVar's float, a DualVar's value part
}

std::string describe(const Instruction& instruction, std::span<const double> operands, double result);

// One value on an Evaluator's stack: a number, or a T. On Vars, the expression's
// constants, the sums' indices and whatever they alone make stay numbers until they meet
// a Var, and then enter the tape as Constant nodes of the statement that uses them
// (functions.hpp: apply_with_number), rather than as a leaf each. On plain numbers
// everything is a T.
template <class T>
struct StackValue {
  T var{};
  double number = 0;
  bool is_number = false;
};

}  // namespace detail

// What is wrong with `index` as an index of the vector `name` of length n: out of range,
// or not a whole number.
inline std::string index_problem(double index, const std::string& name, std::size_t n) {
  char shown[32];
  std::snprintf(shown, sizeof shown, "%.17g", index);
  const std::string range = " (indices 0 to " + std::to_string(n - 1) + ")";
  if (index != std::floor(index))
    return "the index " + std::string(shown) + " of " + name + " is not a whole number";
  return "the index " + std::string(shown) + " is out of range: " + name + " has dimension " +
         std::to_string(n) + range;
}

// Evaluates `e` on `inputs`. With check_domain, the first operation (in evaluation
// order) that turns finite inputs into NaN or infinity throws DomainError at its
// column, naming the operation and its input values. An index out of range or not a
// whole number, or a sum bound that is not one, throws DomainError whatever
// check_domain, naming the indices of the indexed sums it is in. Sums run their body
// once per index in a plain loop: nothing is allocated per term once the stacks have
// their size. On Vars, a body that compiles (sum_terms.hpp) records each term as one
// statement, `total + term` (or `total * term`) after the first; any other records its
// own statements and then one `total + term`.
template <class T>
class Evaluator {
 public:
  T operator()(const Expression& e, const Inputs<T>& inputs, bool check_domain = false);

 private:
  void run(std::size_t begin, std::size_t end);
  void run_sum(const Instruction& sum, std::size_t at, double first, double last);
  // The terms of the sum at `at` recorded one statement each (sum_terms.hpp); false, having
  // done nothing, when its body does not compile or the tape annotates its statements.
  bool run_compiled_sum(const Instruction& sum, std::size_t at, double first, double last);
  // The variable a Scalar, SumElement, Entry or FormEntry instruction reads.
  const T& read(const Instruction& i);
  double bound(const Instruction& sum, bool upper);
  [[noreturn]] void index_error(const Instruction& i, double index, std::size_t n) const;
  // ", at i = 3, j = 0": the indices of the indexed sums running below nesting level
  // `depth`, or "" when there are none.
  std::string where(std::size_t depth) const;
  static void check_result(const Instruction& i, std::span<const double> operands, double result);
  using Value = detail::StackValue<T>;
  // Built in place: a Value written field by field and then copied whole would be read
  // back before its stores complete (the store-forwarding stall of Var copies).
  void push(const T& x) { stack_.emplace_back().var = x; }
  void push_number(double x) {
    if constexpr (std::is_arithmetic_v<T>) {
      push(T(x));
    } else {
      Value& v = stack_.emplace_back();
      v.number = x;
      v.is_number = true;
    }
  }
  static double plain_of(const Value& x) { return x.is_number ? x.number : detail::plain(x.var); }
  // The operation applied to the stack's last `arity` values, its result written over the
  // first of them (the stack is then popped by the caller).
  static void apply_in_place(std::uint8_t function, std::size_t arity, Value* arguments);

  const Expression* e_ = nullptr;
  const Inputs<T>* in_ = nullptr;
  bool check_ = false;
  std::vector<Value> stack_;
  std::vector<double> levels_;          // the index of the sum running at each nesting level
  std::vector<std::uint32_t> running_;  // the instruction of the sum running at each level
  std::size_t depth_ = 0;               // how many sums are running
  std::vector<double> scratch_;         // for index forms kept as code
  // The sums' term programs by instruction position (compiled at first use), and the
  // statement being recorded.
  struct CompiledSum {
    bool known = false;
    SumTermProgram program;
  };
  std::uint64_t compiled_for_ = 0;  // the serial() of the expression compiled_ is for
  std::vector<CompiledSum> compiled_;
  std::vector<std::uint32_t> term_index_, term_generation_;  // the leaves' Vars, the total first
  std::vector<double> term_value_, term_numbers_;
  tapegrad::detail::ProgramStatementScratch<double> term_scratch_;
};

// The members are defined outside the class so that they are not inline: the value
// types the commands use are then instantiated once, in evaluate.cpp (every rule on
// every type, optimized, was most of each command file's compile time).
template <class T>
T Evaluator<T>::operator()(const Expression& e, const Inputs<T>& inputs, bool check_domain) {
  e_ = &e;
  in_ = &inputs;
  check_ = check_domain;
  stack_.clear();
  // At least one level: a constant index form reads level 0 times 0.
  levels_.assign(std::max<std::size_t>(1, e.sum_depth()), 0.0);
  running_.assign(levels_.size(), 0);
  depth_ = 0;
  run(0, e.program().size());
  const Value& result = stack_.back();
  return result.is_number ? T(result.number) : result.var;
}

template <class T>
void Evaluator<T>::apply_in_place(std::uint8_t function, std::size_t arity, Value* arguments) {
  static_assert(std::is_trivially_destructible_v<T>);
  Value& out = arguments[0];
  bool numbers = true;
  for (std::size_t a = 0; a < arity; ++a) numbers = numbers && arguments[a].is_number;
  if (numbers) {  // constants alone: folded
    std::array<double, max_arity> x{};
    for (std::size_t a = 0; a < arity; ++a) x[a] = arguments[a].number;
    out.number = apply<double>(function, x.data());
    return;
  }
  // The result is constructed in its slot (placement new of the returned value, elided):
  // a Var built elsewhere and copied in would be read back before its stores complete,
  // the store-forwarding stall that once dominated recording.
  if constexpr (!std::is_arithmetic_v<T>) {
    if (arity == 2 && (arguments[0].is_number || arguments[1].is_number)) {
      const bool number_first = arguments[0].is_number;
      const T var = arguments[number_first ? 1 : 0].var;  // read before `out` is written
      const double number = arguments[number_first ? 0 : 1].number;
      ::new (static_cast<void*>(&out.var)) T(apply_with_number(function, var, number, number_first));
      out.is_number = false;
      return;
    }
  }
  // Vars (or plain numbers) throughout; a number among three operands becomes a leaf.
  std::array<T, max_arity> x{};
  for (std::size_t a = 0; a < arity; ++a)
    x[a] = arguments[a].is_number ? T(arguments[a].number) : arguments[a].var;
  ::new (static_cast<void*>(&out.var)) T(apply(function, x.data()));
  out.is_number = false;
}

template <class T>
void Evaluator<T>::run(std::size_t begin, std::size_t end) {
  const std::vector<Instruction>& program = e_->program();
  for (std::size_t k = begin; k < end; ++k) {
    const Instruction& i = program[k];
    switch (i.op) {
      case Instruction::Op::Constant:
        push_number(i.constant);
        break;
      case Instruction::Op::IndexValue:
        push_number(levels_[i.slot]);
        break;
      case Instruction::Op::Scalar:
      case Instruction::Op::SumElement:
      case Instruction::Op::Entry:
      case Instruction::Op::FormEntry:
        push(read(i));
        break;
      case Instruction::Op::Indexed: {
        const double index = plain_of(stack_.back());
        // On a replay tape the comparison is recorded, so a replay at a point where
        // the index would pick another entry is caught rather than reading the old one.
        if constexpr (!std::is_arithmetic_v<T>)
          if (!stack_.back().is_number) (void)(stack_.back().var == index);
        stack_.pop_back();
        const std::vector<T>& v = in_->vectors[i.slot];
        if (!(index >= 0 && index < static_cast<double>(v.size()) && index == std::floor(index)))
          index_error(i, index, v.size());
        push(v[static_cast<std::size_t>(index)]);
        break;
      }
      case Instruction::Op::Apply: {
        const std::size_t arity = operation_table[i.function].arity;
        Value* arguments = stack_.data() + stack_.size() - arity;
        std::array<double, max_arity> plain_arguments{};
        bool tangents_finite = true;  // of the arguments, on Dual Vars
        if (check_) {
          for (std::size_t a = 0; a < arity; ++a) plain_arguments[a] = plain_of(arguments[a]);
          if constexpr (std::is_same_v<T, BasicVar<Dual<double>>>)
            for (std::size_t a = 0; a < arity; ++a)
              tangents_finite = tangents_finite &&
                                (arguments[a].is_number || std::isfinite(arguments[a].var.value().tangent()));
        }
        apply_in_place(i.function, arity, arguments);
        if (check_) {
          const Value& result = arguments[0];
          check_result(i, std::span<const double>(plain_arguments.data(), arity), plain_of(result));
          // On Dual Vars the tangent is the derivative along the seeded direction: the
          // first operation whose derivative is not finite though its inputs' are is
          // where a gradient stops being finite (sqrt at 0). Numbers have none.
          if constexpr (std::is_same_v<T, BasicVar<Dual<double>>>)
            if (!result.is_number && tangents_finite && !std::isfinite(result.var.value().tangent()))
              throw DerivativeError(
                  i.column, detail::describe(i, std::span<const double>(plain_arguments.data(), arity),
                                             result.var.value().tangent()));
        }
        stack_.resize(stack_.size() - arity + 1);
        break;
      }
      case Instruction::Op::Sum:
        run_sum(i, k, 0, static_cast<double>(i.count) - 1);
        k = i.end - 1;
        break;
      case Instruction::Op::RangeSum: {
        const double first = bound(i, false), last = bound(i, true);
        run_sum(i, k, first, last);
        k = i.end - 1;
        break;
      }
    }
  }
}

template <class T>
const T& Evaluator<T>::read(const Instruction& i) {
  switch (i.op) {
    case Instruction::Op::SumElement:
      return in_->vectors[i.slot][static_cast<std::size_t>(levels_[i.end])];
    case Instruction::Op::Entry: {
      const std::vector<T>& v = in_->vectors[i.slot];
      const double index = i.scale * levels_[i.end] + i.constant;  // a whole number
      if (!(index >= 0 && index < static_cast<double>(v.size()))) index_error(i, index, v.size());
      return v[static_cast<std::size_t>(index)];
    }
    case Instruction::Op::FormEntry: {
      const std::vector<T>& v = in_->vectors[i.slot];
      const IndexForm& form = e_->index_forms()[i.count];
      const double index = e_->index_value(form, levels_.data(), scratch_);
      if (!(index >= 0 && index < static_cast<double>(v.size()) &&
            (form.affine || index == std::floor(index))))
        index_error(i, index, v.size());
      return v[static_cast<std::size_t>(index)];
    }
    default:  // Scalar
      return in_->scalars[i.slot];
  }
}

// The body of the sum at instruction `at` for each index from `first` to `last` (whole
// numbers), its total pushed: the first term itself, then total + term (or total · term)
// for each further one; none gives 0 (or 1).
template <class T>
void Evaluator<T>::run_sum(const Instruction& sum, std::size_t at, double first, double last) {
  if (last < first) {
    push_number(sum.function == Instruction::Multiply ? 1.0 : 0.0);
    return;
  }
  if constexpr (std::is_same_v<T, Var>)
    if (!check_ && run_compiled_sum(sum, at, first, last)) return;
  const std::size_t outer_depth = depth_;
  depth_ = sum.slot + 1;
  running_[sum.slot] = static_cast<std::uint32_t>(at);
  double& index = levels_[sum.slot];
  index = first;
  run(at + 1, sum.end);  // the first term, the total from now on, stays on the stack
  const std::uint8_t combine =
      sum.function == Instruction::Multiply ? operation_index<rules::Mul>() : operation_index<rules::Add>();
  while (index < last) {
    index += 1;
    run(at + 1, sum.end);
    apply_in_place(combine, 2, stack_.data() + stack_.size() - 2);
    stack_.pop_back();
  }
  depth_ = outer_depth;
}

template <class T>
bool Evaluator<T>::run_compiled_sum(const Instruction& sum, std::size_t at, double first, double last) {
  if constexpr (!std::is_same_v<T, Var>) {
    return false;
  } else {
    BasicTape<double>& tape = BasicTape<double>::active_or_throw("evaluating an expression on Vars");
    if (tape.annotating()) return false;  // annotations label the statements of operations
    if (e_->serial() == 0 || compiled_for_ != e_->serial()) {  // 0: not parsed, so never known to be the same
      compiled_.assign(e_->program().size(), {});
      compiled_for_ = e_->serial();
    }
    CompiledSum& compiled = compiled_[at];
    if (!compiled.known) compiled = {true, compile_sum_term(*e_, at)};
    const SumTermProgram& p = compiled.program;
    if (!p.usable) return false;

    const std::size_t outer_depth = depth_;
    depth_ = sum.slot + 1;
    running_[sum.slot] = static_cast<std::uint32_t>(at);
    const std::vector<Instruction>& program = e_->program();
    const std::size_t num_leaves = p.leaves.size();
    term_index_.resize(num_leaves + 1);  // [0]: the total so far
    term_generation_.resize(num_leaves + 1);
    term_value_.resize(num_leaves + 1);
    term_numbers_.resize(p.numbers.size());
    double& index = levels_[sum.slot];
    for (index = first;; index += 1) {
      for (std::size_t k = 0; k < num_leaves; ++k) {
        const Var& leaf = read(program[p.leaves[k]]);
        term_index_[k + 1] = leaf.index();
        term_generation_[k + 1] = leaf.generation();
        term_value_[k + 1] = leaf.value();
      }
      for (std::size_t k = 0; k < p.numbers.size(); ++k) {
        if (p.numbers[k] == SumTermProgram::piece_number)
          continue;  // the last term's, or found when recorded
        const Instruction& i = program[p.numbers[k]];
        term_numbers_[k] = i.op == Instruction::Op::Constant ? i.constant : levels_[i.slot];
      }
      const std::size_t skip = index == first ? 1 : 0;  // the first term has no total
      const std::size_t leaves = num_leaves + 1 - skip;
      const tapegrad::detail::ProgramStatement<double> statement{
          skip != 0 ? std::span<const tapegrad::detail::ProgramNode>(p.first)
                    : std::span<const tapegrad::detail::ProgramNode>(p.next),
          std::span<double>(term_numbers_), std::span<const std::uint32_t>(term_index_.data() + skip, leaves),
          std::span<const std::uint32_t>(term_generation_.data() + skip, leaves),
          std::span<const double>(term_value_.data() + skip, leaves)};
      term_index_[0] =
          tapegrad::detail::record_program_statement(tape, statement, term_scratch_, term_value_[0]);
      term_generation_[0] = tape.generation();
      if (!(index < last)) break;
    }
    push(Var(Var::Recorded{}, term_value_[0], term_index_[0], term_generation_[0]));
    depth_ = outer_depth;
    return true;
  }
}

template <class T>
double Evaluator<T>::bound(const Instruction& sum, bool upper) {
  const IndexedSum& s = e_->indexed_sums()[sum.count];
  const IndexForm& form = e_->index_forms()[upper ? s.upper : s.lower];
  const double value = e_->index_value(form, levels_.data(), scratch_);
  if (std::string problem = bound_problem(value, upper ? "upper" : "lower", s, sum.function);
      !problem.empty())
    throw DomainError(form.column, problem + where(sum.slot));
  return value;
}

template <class T>
void Evaluator<T>::index_error(const Instruction& i, double index, std::size_t n) const {
  throw DomainError(i.column, index_problem(index, e_->vectors()[i.slot], n) + where(depth_));
}

template <class T>
std::string Evaluator<T>::where(std::size_t depth) const {
  std::string at;
  for (std::size_t level = 0; level < depth; ++level) {
    const Instruction& sum = e_->program()[running_[level]];
    if (sum.op != Instruction::Op::RangeSum) continue;
    char shown[32];
    std::snprintf(shown, sizeof shown, "%.17g", levels_[level]);
    at += (at.empty() ? ", at " : ", ") + e_->indexed_sums()[sum.count].index + " = " + shown;
  }
  return at;
}

template <class T>
void Evaluator<T>::check_result(const Instruction& i, std::span<const double> operands, double result) {
  if (std::isfinite(result)) return;
  for (double x : operands)
    if (!std::isfinite(x)) return;  // not where it started
  throw DomainError(i.column, detail::describe(i, operands, result));
}

extern template class Evaluator<double>;
extern template class Evaluator<Var>;
extern template class Evaluator<BasicVar<Dual<double>>>;

}  // namespace tapegrad::cli
