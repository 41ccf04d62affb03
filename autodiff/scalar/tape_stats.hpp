/// \file
/// What a tape holds, part by part (BasicTape::stats()), and the memory budget a tape
/// may be given (BasicTape::Options::max_bytes): the budget's check runs only when the
/// recording passes the limits the last check set, so a tape without a budget, or far
/// below it, pays nothing per statement beyond the capacity test it always makes.
#pragma once

#include <cstddef>

namespace tapegrad {

/// What a tape holds now, by part, in bytes unless said otherwise; see BasicTape::stats().
struct TapeStats {
  /// Recorded Vars (statements), slot 0 not counted.
  std::size_t statements = 0;
  /// (index, partial) operands of the statements.
  std::size_t operands = 0;
  /// The statements' ends and the operands' indices and partials.
  std::size_t operand_bytes = 0;
  /// Tensor values, their adjoints and the operations' backward data (the arena).
  std::size_t tensor_bytes = 0;
  /// Statements with a backward of their own, user-defined backward functions and what they keep alive
  /// (a checkpointed loop's states, a checkpoint's inputs).
  std::size_t custom_bytes = 0;
  /// The adjoints of the last sweep.
  std::size_t adjoint_bytes = 0;
  /// Values and texts kept by Options::annotate or check_finite.
  std::size_t annotation_bytes = 0;
  /// What the tape's recording observer keeps (recording_observer.hpp), if it has one.
  std::size_t observer_bytes = 0;
  /// All of the above: BasicTape::bytes_in_use().
  std::size_t bytes_in_use = 0;
  /// The most bytes_in_use has been since the tape was made or reset_peak() was called.
  std::size_t peak_bytes = 0;
  /// Memory the tape holds, with capacity kept from earlier recordings (BasicTape::bytes_reserved()).
  std::size_t bytes_reserved = 0;
};

namespace detail {
// Refuses a statement that would take a tape past its budget (tape.cpp: the message).
[[noreturn]] void throw_over_budget(std::size_t statement, std::size_t bytes_after, std::size_t max_bytes);

// How far the recording may grow before the budget is checked again, with `room` bytes
// left: a quarter of the room at a conservative cost per operand and per statement (so
// that what an observer or annotations add per statement cannot overshoot), and every
// statement once the room is small.
struct BudgetAllowance {
  std::size_t operands;
  std::size_t statements;
};
inline BudgetAllowance budget_allowance(std::size_t room, std::size_t operand_bytes) noexcept {
  constexpr std::size_t exact_room = std::size_t{1} << 16;
  constexpr std::size_t statement_bytes = 64;
  if (room < exact_room) return {0, 1};
  return {room / 4 / operand_bytes, room / 4 / statement_bytes};
}
}  // namespace detail

}  // namespace tapegrad
