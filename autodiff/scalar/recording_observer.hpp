/// \file
/// The one way anything outside the tape follows a recording as it is made: a tape may
/// have one RecordingObserver, told of every statement, comparison, rewind and clear.
/// The replay engine (replay/) is one: it keeps what running the recording again needs.
/// With no observer the recording's hot path pays one predictable branch (Var's
/// `observing()` test), as with annotations.
///
/// An expression statement reaches the observer type-erased, as the expression's address
/// and a StatementType describing its C++ type (how to encode it, how to recompute a run
/// of statements of that type). StatementType and ComparisonSide are defined by the
/// observer's side (replay/detail/statement_type.hpp), which var.hpp and math.hpp
/// include: an expression's type is only known where it is recorded.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tapegrad {

template <class T>
class BasicTape;

/// What recomputes a statement with a forward function of its own (a tensor operation,
/// a scalar Parameter) when an observer runs the recording again: its tensor's buffer,
/// or its scalar value (RecordingObserver::set_value).
template <class T>
using StatementForward = void (*)(BasicTape<T>& tape, std::uint32_t statement, const void* data);

namespace detail {

template <class T>
struct StatementType;
template <class T>
struct ComparisonSide;
enum class Relation : std::uint8_t;

/// Follows a tape's recording. Every call is made right after the tape recorded what it
/// describes; statements arrive in order, each exactly once.
template <class T>
class RecordingObserver {
 public:
  virtual ~RecordingObserver();

  /// Statement s is a leaf: a Var made from a number, a tensor constant or Parameter.
  virtual void input(std::uint32_t s, const T& value) = 0;
  /// Statement s is `expression` (an expression object of the type `type` describes),
  /// whose value is `value`.
  virtual void expression(std::uint32_t s, const StatementType<T>& type, const void* expression,
                          const T& value) = 0;
  /// Statement s came from code the tape cannot see into (a custom_op's given partials
  /// or backward function); `what` names it, for messages.
  virtual void opaque(std::uint32_t s, const char* what) = 0;
  /// Statement s, just recorded, is recomputed by `forward(tape, s, data)`; its scalar
  /// value (if it has one) is `value`.
  virtual void forward(std::uint32_t s, StatementForward<T> forward, const void* data, const T& value) = 0;
  /// A comparison of Vars (`x > 0`) made now, after the statements recorded so far, with
  /// its outcome (math.hpp's compare_outcome).
  virtual void comparison(Relation relation, const ComparisonSide<T>& a, const ComparisonSide<T>& b,
                          int outcome) = 0;

  /// Statement s's value as the observer last computed it, and setting it (a forward).
  virtual T value(std::uint32_t s) const = 0;
  /// Sets statement s's value (what a scalar forward computed).
  virtual void set_value(std::uint32_t s, const T& value) = 0;

  /// What the observer needs to return to the current point (stored in TapePosition).
  virtual std::uint32_t mark() const = 0;
  /// The tape dropped statements from `statements` on; `mark` is what mark() returned then.
  virtual void rewound(std::uint32_t statements, std::uint32_t mark) = 0;
  /// The tape forgot its recording.
  virtual void cleared() = 0;
  /// Bytes the observer holds for this recording (counted in Tape::bytes_in_use()).
  virtual std::size_t bytes_in_use() const = 0;
};

// Defaulted here, not in the class: see "Virtual destructors" in docs/architecture.md.
template <class T>
RecordingObserver<T>::~RecordingObserver() = default;

}  // namespace detail
}  // namespace tapegrad
