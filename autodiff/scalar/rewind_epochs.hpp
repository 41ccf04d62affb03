/// \file
/// Where Tape::rewind() returns to (TapePosition) and what keeps Vars valid across it.
/// Every Var carries the tape *generation* it was recorded in; clear() and rewind() start
/// a new one, so a stale Var is caught by one integer comparison, cheap enough to stay on
/// in release builds. The earlier generations live on as *epochs*, each valid only below
/// the rewind points that came after it, so a Var recorded before a rewind stays usable
/// while one recorded after it is caught as stale.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "../support/arena.hpp"
#include "../support/generation.hpp"
#include "custom_functions.hpp"

namespace tapegrad {

/// A point in a recording, to return to with Tape::rewind().
struct TapePosition {
  /// Statements recorded, slot 0 included.
  std::uint32_t statements = 0;
  /// Operands recorded.
  std::uint32_t operands = 0;
  /// Hooks recorded.
  std::uint32_t hooks = 0;
  /// The tape's generation at that point.
  std::uint32_t generation = 0;
  /// What the tape's recording observer kept by then (RecordingObserver::mark()).
  std::uint32_t observer_mark = 0;
  /// The user-defined backward functions recorded.
  detail::CustomFunctionsMark custom;
  /// The arena's memory in use.
  detail::Arena::Mark arena;
};

namespace detail {

class RewindEpochs {
 public:
  // The recording of `generation`, whose first statement is `start`, is cut back to
  // `position` statements: it joins the history, and every epoch keeps only Vars below
  // `position` (an epoch with none left is dropped).
  void rewind(std::uint32_t generation, std::uint32_t start, std::uint32_t position) {
    epochs_.push_back({generation, start, std::numeric_limits<std::uint32_t>::max()});
    std::erase_if(epochs_, [&](Epoch& e) {
      e.limit = std::min(e.limit, position);
      return e.start >= e.limit;
    });
  }
  // Out of line: only Vars of an earlier generation come here.
  [[gnu::noinline]] bool contains(std::uint32_t index, std::uint32_t generation) const noexcept {
    for (const Epoch& e : epochs_)
      if (e.generation == generation) return index < e.limit;
    return false;
  }
  void clear() noexcept { epochs_.clear(); }

 private:
  struct Epoch {
    std::uint32_t generation;
    std::uint32_t start;  // first statement recorded in this generation
    std::uint32_t limit;  // statements at or past it were discarded by a rewind
  };
  std::vector<Epoch> epochs_;
};

[[noreturn]] void throw_stale_var(const char* operation, std::uint32_t index, std::uint32_t var_generation,
                                  bool from_this_tape);

// A tape's generations: the current one, where it started, and the earlier ones still
// partly valid after a rewind.
class Generations {
 public:
  std::uint32_t current() const noexcept { return current_; }
  // A new recording (clear()).
  void reset() {
    epochs_.clear();
    current_ = next_generation();
    if (first_ == 0) first_ = current_;
    start_ = 1;
  }
  // The recording is cut back to `statements` statements and goes on in a new generation.
  void rewind(std::uint32_t statements) {
    epochs_.rewind(current_, start_, statements);
    current_ = next_generation();
    start_ = statements;
  }
  // Whether a Var of an earlier generation is still valid.
  bool contains(std::uint32_t index, std::uint32_t generation) const noexcept {
    return epochs_.contains(index, generation);
  }
  // Throws: a Var not on this tape's recording (or recorded before a clear or rewind).
  [[noreturn]] void throw_stale(const char* operation, std::uint32_t index, std::uint32_t generation) const {
    throw_stale_var(operation, index, generation, generation >= first_);
  }

 private:
  RewindEpochs epochs_;
  std::uint32_t current_ = 0;
  std::uint32_t start_ = 1;  // the current generation's first statement
  std::uint32_t first_ = 0;  // this tape's first generation: later ones are its own too
};

}  // namespace detail
}  // namespace tapegrad
