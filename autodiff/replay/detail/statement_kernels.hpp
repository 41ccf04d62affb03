/// \file
/// The compiled kernels of a replay: a statement's expression type E rebuilt in place
/// from its leaves' new values (ReplaySource, the RebuildTag constructors of
/// scalar/expr.hpp) and swept by E's own propagate(), statement by statement
/// (replay_statements, bit-identical to a fresh recording). The sum-run kernels are
/// sum_run_kernels.hpp. The kernels know an expression only through that protocol
/// (value(), propagate(), the RebuildTag constructor, max_operands), never its types, so
/// nothing here includes var.hpp and var.hpp may include this. ReplayRecord
/// (replay_record.hpp) keeps the kernels of each program and calls them.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <type_traits>

#include "../../scalar/expr.hpp"
#include "../../scalar/operand_store.hpp"
#include "interpreter.hpp"
#include "kernel_args.hpp"

namespace tapegrad::detail {

// Where a replay stopped: the comparison or the statement whose kink changed piece.
struct ReplayChange {
  bool changed = false;
  bool in_comparison = false;
  std::uint32_t where = 0;  // the guard's position in guards(), or the statement
  PieceChange piece{};
};

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
  // The next leaf: its statement and that statement's current value.
  void next_leaf(std::uint32_t& index, T& value) {
    ++next_node;
    const std::uint16_t slot = next_slot++;
    index = slot == zero_slot ? 0 : operands[slot];
    value = values[index];
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

// Replays statements first, first + stride, … before last, which all have expression
// type E (stride 1: a run of them; more: one column of a periodic block,
// periodic_blocks.hpp): each is rebuilt from its leaves' current values by E's own
// constructors (the rules, as recording ran them) and its partials written by E's own
// propagate(), so the result is a fresh recording's, bit for bit, at compiled speed
// rather than one op code at a time.
template <class E, class T>
bool replay_statements(const KernelArgs<T>& a, std::uint32_t first, std::uint32_t last, std::uint32_t stride,
                       ReplayChange& change) {
  for (std::uint32_t s = first; s < last; s += stride) {
    const std::uint32_t begin = a.statement_end[s - 1];
    ReplaySource<T> source{a.values, a.operand_index + begin, a.numbers + a.numbers_begin[s], a.generation};
    const E e(RebuildTag{}, source);
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
using StatementKernel = bool (*)(const KernelArgs<T>&, std::uint32_t first, std::uint32_t last,
                                 std::uint32_t stride, ReplayChange&);

}  // namespace tapegrad::detail
