/// \file
/// A tape whose recording can be run again at new inputs without recording again: a
/// BasicTape whose recording observer is a ReplayRecord (detail/replay_record.hpp), which
/// keeps each statement's value and its expression as a program, each tensor operation's
/// forward, and every comparison of Vars and kink with its outcome, so that a replay
/// where one comes out differently is caught. RecordedFunction (recorded_function.hpp) is
/// the convenient form; this is the tape itself, for loops that record once and replay
/// many times (a training step, a benchmark).
///
/// \snippet test_doc_examples.cpp replay_tape
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "../scalar/tape.hpp"
#include "../support/error.hpp"
#include "detail/replay_record.hpp"

namespace tapegrad {

/// A tape that records as BasicTape does and also keeps what replay() needs to run the recording again at new
/// inputs: every Var's value and local partials recomputed with the same rules in the same order, so that
/// backward() afterwards gives the gradient at the new inputs, bit for bit as a fresh recording would.
template <class T>
class BasicReplayTape : public BasicTape<T> {
 public:
  BasicReplayTape() : BasicReplayTape(typename BasicTape<T>::Options{}) {}
  /// A replay tape with `options` (annotation, check_finite), active on this thread from now on.
  explicit BasicReplayTape(typename BasicTape<T>::Options options) : BasicTape<T>(options), record_(this) {
    this->set_observer(&record_);
  }

  /// The value of statement s as last recorded or replayed.
  T replayed_value(std::uint32_t s) const { return record_.value(s); }
  /// Sets an input (a leaf Var recorded from a number) to a new value for the next replay.
  void set_input(std::uint32_t s, const T& value) {
    if (s == 0 || s >= record_.statements() || record_.kind(s) != detail::StatementKind::Input)
      throw Error("ReplayTape::set_input: v", s, " is not an input of this tape's recording");
    record_.values()[s] = value;
  }

  /// Runs the whole recording again at the inputs' current values: every Var's value and
  /// every local partial is recomputed (tensor operations rerun, reading Parameters and
  /// constant_view data as they are now), exactly as recording would, so backward()
  /// afterwards gives the gradient at the new inputs. Throws BranchChanged, naming it, at
  /// the first comparison of Vars or kink that comes out differently from the recording;
  /// the caller then records again.
  void replay() {
    const detail::ReplayChange change = try_replay();
    if (change.changed) throw_branch_changed(change);
  }
  /// The same, returning the change instead of throwing (changed == false: all held).
  detail::ReplayChange try_replay() { return try_replay(nullptr); }
  /// Throws BranchChanged describing `change` (what try_replay() returned).
  [[noreturn]] void throw_branch_changed(const detail::ReplayChange& change) const {
    throw BranchChanged("replay: ", describe(change),
                        "; the recording does not hold at this input (record again)");
  }
  /// `change` in words: which comparison or kink, where, recorded how and how it is now.
  std::string describe(const detail::ReplayChange& change) const {
    return record_.describe(change, this->view().statement_end, this->view().operand_index);
  }

  /// \cond INTERNAL
  /// What the tape keeps to run its recording again.
  detail::ReplayRecord<T>& record() noexcept { return record_; }
  const detail::ReplayRecord<T>& record() const noexcept { return record_; }
  /// try_replay(), through the sum runs of `sums` when it is not null.
  detail::ReplayChange try_replay(detail::SumRunPlan<T>* sums) {
    const detail::KernelArgs<T> a = kernel_args();
    return record_.run(this, a.statement_end, a.operand_index, a.values, a.partials, this->view().statements,
                       a.generation, sums);
  }
  /// The arrays replay's kernels and sum-run sweeps work on.
  detail::KernelArgs<T> kernel_args() noexcept {
    const RecordingArrays<T, std::uint32_t> a = this->arrays();
    return record_.kernel_args(a.statement_end, a.operand_index, record_.values(), a.operand_partial,
                               this->generation());
  }
  /// Replaces the recording by a saved one (recorded_function_file.cpp): its statement
  /// ends (slot 0 included), operand indices and replay record. Partials are zero until
  /// the first replay.
  void load(std::span<const std::uint32_t> statement_end, std::span<const std::uint32_t> operand_index,
            detail::ReplayRecord<T>&& record) {
    this->restore_recording(statement_end, operand_index);
    record_ = std::move(record);
    record_.attach(this);
    record_.rebuild_after_load();
  }
  /// \endcond

 private:
  detail::ReplayRecord<T> record_;
};

/// The replay tape of double Vars.
using ReplayTape = BasicReplayTape<double>;
/// The replay tape of float Vars.
using FloatReplayTape = BasicReplayTape<float>;

}  // namespace tapegrad
