// The compiled kernels of a replay: a statement's expression type E rebuilt in place
// from its leaves' new values (ReplaySource, the ReplayTag constructors of expr.hpp) and
// swept by E's own propagate(), statement by statement (replay_statements, bit-identical
// to a fresh recording) or as one sum (replay_sum_run, sum_runs.hpp). ReplayRecord
// (replay_record.hpp) keeps one of each per program and calls them.
#pragma once

#include <array>
#include <cstdint>
#include <type_traits>

#include "replay_program.hpp"
#include "sum_runs.hpp"

namespace tapegrad {

template <class T>
struct OperandSink;
template <class T>
class BasicVar;
template <class Rule, class A, class B>
class BinaryExpr;

namespace detail {

// Where a replay stopped: the comparison or the statement whose kink changed piece.
struct ReplayChange {
  bool changed = false;
  bool in_comparison = false;
  std::uint32_t where = 0;  // the guard's position in guards(), or the statement
  PieceChange piece{};
};

// Selects the constructors that rebuild an expression from a ReplaySource.
struct ReplayTag {};

// Where a statement's expression, rebuilt by its type (expr.hpp), takes its
// leaves and numbers from when it is replayed by a compiled kernel; it also checks each
// kink's piece, in the order encode() recorded them.
template <class T>
struct ReplaySource {
  const T* values;
  const std::uint32_t* operands;
  const T* numbers;
  std::uint32_t generation;
  std::uint16_t next_slot = 0;
  std::uint16_t next_number = 0;
  std::uint32_t next_node = 0;
  bool changed = false;
  PieceChange change{};
  std::uint16_t zero_slot = 0xffff;  // a slot read as statement 0, whose value is 0 (sum runs)

  // A kink changed piece in statement s: says so in `change`; false, to stop the replay.
  bool report(ReplayChange& out, std::uint32_t s) const {
    out.changed = true;
    out.where = s;
    out.piece = change;
    return false;
  }
  std::uint32_t next_operand() {
    ++next_node;
    const std::uint16_t slot = next_slot++;
    return slot == zero_slot ? 0 : operands[slot];
  }
  T number() {
    ++next_node;
    return numbers[next_number++];
  }
  template <class Rule, class... X>
  void op(const X&... x) {
    const std::uint32_t node = next_node++;
    if constexpr (HasPiece<Rule>) {
      const auto recorded = static_cast<int>(primal(numbers[next_number++]));
      const int now = Rule::piece(primal(x)...);
      if (now != recorded && !changed) [[unlikely]] {
        changed = true;
        change = {op_code_of<Rule>(), node, recorded, now};
      }
    }
  }
};

// What a compiled kernel works on: the tape's arrays.
template <class T>
struct KernelArgs {
  const std::uint32_t* statement_end;
  std::uint32_t* operand_index;
  const T* numbers;
  const std::uint32_t* numbers_begin;
  T* values;
  T* partials;
  std::uint32_t generation;
};

// Replays statements first … last-1, which all have expression type E: each is rebuilt
// from its leaves' current values by E's own constructors (the rules, as recording ran
// them) and its partials written by E's own propagate(), so the result is a fresh
// recording's, bit for bit, at compiled speed rather than one op code at a time.
template <class E, class T>
bool replay_statements(const KernelArgs<T>& a, std::uint32_t first, std::uint32_t last,
                       ReplayChange& change) {
  for (std::uint32_t s = first; s < last; ++s) {
    const std::uint32_t begin = a.statement_end[s - 1];
    ReplaySource<T> source{a.values, a.operand_index + begin, a.numbers + a.numbers_begin[s], a.generation};
    const E e(ReplayTag{}, source);
    if (source.changed) [[unlikely]]
      return source.report(change, s);
    // propagate() writes each operand's index too: the same index back in place.
    e.template propagate<0>(
        OperandSink<T>{a.partials + begin, a.operand_index + begin, a.generation, nullptr}, T(1));
    a.values[s] = e.value();
  }
  return true;
}

template <class T>
using StatementKernel = bool (*)(const KernelArgs<T>&, std::uint32_t, std::uint32_t, ReplayChange&);

// Whether E has the shape of one step of a sum (sum_runs.hpp): `chain + term`,
// `term + chain` or `chain - term` with `chain` a Var leaf; `slots` are the operand
// slots that could be the chain (-1: none).
template <class E>
struct SumShape {
  static constexpr std::array<int, 2> slots{-1, -1};
};
template <class A, class B>
struct SumShape<BinaryExpr<rules::Add, A, B>> {
  static constexpr std::array<int, 2> slots{
      std::is_same_v<A, BasicVar<typename A::value_type>> ? 0 : -1,
      std::is_same_v<B, BasicVar<typename B::value_type>> ? static_cast<int>(A::max_operands) : -1};
};
template <class A, class B>
struct SumShape<BinaryExpr<rules::Sub, A, B>> {
  static constexpr std::array<int, 2> slots{std::is_same_v<A, BasicVar<typename A::value_type>> ? 0 : -1, -1};
};
template <class E>
inline constexpr bool is_sum_shaped = SumShape<E>::slots[0] >= 0 || SumShape<E>::slots[1] >= 0;

// Replays sum run `run` (sum_runs.hpp), whose statements all have expression type E:
// each term is E rebuilt with the chain leaf read as zero; the terms are added in two
// interleaved sums onto the value the run starts from, which becomes the last
// statement's value. The first statement's partials are all stored; after it, the
// partials of the slots that vary are stored and those of the fixed slots summed into
// fixed_sums. The partial sums in between are not computed.
template <class E, class T>
bool replay_sum_run(const KernelArgs<T>& a, const SumRun& run, T* fixed_sums, ReplayChange& change) {
  constexpr std::size_t width = E::max_operands;
  T term[2] = {T(0), T(0)};
  T fixed[2][width] = {};
  // Statements of one program have the same number of operands and of numbers, so
  // statement s's are at a fixed stride from the first's.
  const std::uint32_t operands_begin = a.statement_end[run.first - 1];
  const std::uint32_t numbers_begin = a.numbers_begin[run.first];
  const std::uint32_t numbers_stride = a.numbers_begin[run.first + 1] - numbers_begin;
  // Copies, so that the compiler need not read them again after every store of a partial.
  const std::uint64_t fixed_mask = run.fixed_mask, store_mask = run.store_mask;
  const std::uint16_t chain_slot = run.chain_slot;
  const std::uint32_t first = run.first;
  auto step = [&](std::uint32_t s, T& term_sum, T(&fixed_sum)[width], bool store_all) {
    const std::uint32_t begin = operands_begin + (s - first) * static_cast<std::uint32_t>(width);
    ReplaySource<T> source{a.values, a.operand_index + begin,
                           a.numbers + numbers_begin + (s - first) * numbers_stride, a.generation};
    source.zero_slot = chain_slot;
    const E e(ReplayTag{}, source);
    if (source.changed) [[unlikely]]
      return source.report(change, s);
    T partial[width];
    std::uint32_t index[width];  // propagate() writes the indices too; these are not kept
    e.template propagate<0>(OperandSink<T>{partial, index, a.generation, nullptr}, T(1));
    for (std::size_t k = 0; k < width; ++k) {
      if (store_all || (store_mask >> k & 1))
        a.partials[begin + k] = partial[k];
      else if (fixed_mask >> k & 1)
        fixed_sum[k] += partial[k];
    }
    term_sum += e.value();
    return true;
  };
  if (!step(run.first, term[0], fixed[0], true)) return false;
  std::uint32_t s = run.first + 1;
  for (; s + 1 < run.last; s += 2)
    if (!step(s, term[0], fixed[0], false) || !step(s + 1, term[1], fixed[1], false)) return false;
  if (s < run.last && !step(s, term[1], fixed[1], false)) return false;
  for (std::size_t k = 0; k < width; ++k) fixed_sums[k] = fixed[0][k] + fixed[1][k];
  const T start = a.values[a.operand_index[a.statement_end[run.first - 1] + run.chain_slot]];
  a.values[run.last - 1] = start + (term[0] + term[1]);
  return true;
}

template <class T>
using SumRunKernel = bool (*)(const KernelArgs<T>&, const SumRun&, T*, ReplayChange&);

}  // namespace detail
}  // namespace tapegrad
