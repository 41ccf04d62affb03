/// \file
/// The record / replay / record-again loop that every replayed computation shares: a
/// body recorded on a replay tape, replayed at new inputs, recorded again where a
/// comparison or kink comes out otherwise (or BranchChanged thrown, by RecordOptions),
/// through the recording's sum runs when asked, and swept. RecordedFunction
/// (recorded_function.hpp) and the Trainer's replayed steps (models/minibatch_step.hpp)
/// are both this loop with their own inputs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../scalar/var.hpp"
#include "replay_tape.hpp"

namespace tapegrad {

/// What a recording does when a replay finds a comparison or kink that comes out differently from the
/// recording.
enum class OnBranchChange {
  Rerecord,  ///< record again at the new input and go on (the function is kept for that)
  Throw,     ///< throw BranchChanged naming the comparison or kink that changed
};

/// The options of a RecordedFunction.
struct RecordOptions {
  /// What happens when a replay's branch changes.
  OnBranchChange on_branch_change = OnBranchChange::Rerecord;
  /// Replay accumulation loops (`f += term(x[i])`, the recording's sum runs) as one sum
  /// each: the terms are computed independently and added in another order, and each
  /// parameter's partials are summed instead of swept one by one (replay/detail/sum_runs.hpp).
  /// 2.4–11 times faster on the benchmarks' long sums (bench/RESULTS.md, `sums /
  /// replay`; slower on many short sums in a very long recording); values and gradients
  /// then equal a fresh recording's up to rounding rather than bit for bit. value() and
  /// gradient() use it; hvp() does not.
  bool reassociate_sums = false;
};

namespace detail {

// One recorded computation and its loop. `who` names it in messages ("RecordedFunction").
template <class T>
class Recording {
 public:
  explicit Recording(const char* who, RecordOptions options = {}) : who_(who), options_(options) {}

  bool empty() const noexcept { return !tape_; }

  // Records `body` (which records on the active tape and returns the output Var) on a
  // new replay tape, and adopts it.
  template <class Body>
  void record(Body&& body) {
    auto tape = std::make_unique<BasicReplayTape<T>>();
    const BasicVar<T> output = body();
    adopt(std::move(tape), output);
  }

  // Takes over `tape`, which records nothing more from now on: checks that `output` is on
  // it and that every statement can be recomputed, and plans its sum runs if asked.
  void adopt(std::unique_ptr<BasicReplayTape<T>> tape, const BasicVar<T>& output) {
    tape->release();
    if (!output.is_recorded() || !tape->is_valid_index(output.index(), output.generation()))
      throw Error(who_, ": the output is not on the tape (a constant, or from another tape)");
    const ReplayRecord<T>& record = tape->record();
    for (std::uint32_t s = 1; s < record.statements(); ++s)
      if (record.kind(s) == StatementKind::Opaque)
        throw NotReplayable(who_, ": statement ", s, " was recorded by ", record.opaque_what(s),
                            ", whose value and partials cannot be recomputed at new inputs");
    tape_ = std::move(tape);
    output_ = output.index();
    sums_ = {};
    if (options_.reassociate_sums)
      sums_ =
          plan_sum_runs<T>(record, tape_->view().statement_end, tape_->view().operand_index, end(), output_);
  }

  // The loop. Records `body` if nothing is recorded yet; else sets the inputs
  // (`set_inputs(values)`, the replay record's statement values) and replays, recording
  // `body` again where a comparison or kink changed (or throwing BranchChanged).
  template <class SetInputs, class Body>
  void evaluate(SetInputs&& set_inputs, Body&& body) {
    if (empty()) return record(body);
    while (true) {
      set_inputs(tape_->record().values());
      const ReplayChange change = replay();
      if (!change.changed) return;
      record_again(change, body);
      // Recorded again, the values and partials are those of the new input, statement by
      // statement; through sum runs they are replayed once more to be summed.
      if (sums_.empty()) return;
    }
  }

  // After a replay that found `change`: throws BranchChanged, or records `body` again.
  template <class Body>
  void record_again(const ReplayChange& change, Body&& body) {
    if (options_.on_branch_change == OnBranchChange::Throw) tape_->throw_branch_changed(change);
    last_change_ = tape_->describe(change);
    record(body);
    ++rerecordings_;
  }

  // The output's value as last recorded or replayed.
  T value() const { return tape_->replayed_value(output_); }

  // One reverse sweep from the output (through the sum runs when planned); returns the
  // adjoints it leaves, indexed by statement.
  const T* backward() {
    if (sums_.empty()) {
      tape_->backward(BasicVar<T>(typename BasicVar<T>::Recorded{}, value(), output_, tape_->generation()));
      return tape_->adjoint_data();
    }
    adjoints_.resize(output_ + 1);
    clear_adjoints_for_sum_runs(adjoints_.data(), output_ + 1, sums_);
    adjoints_[output_] = T(1);
    sweep_with_sum_runs(tape_->kernel_args(), adjoints_.data(), output_, sums_);
    return adjoints_.data();
  }

  void set_on_branch_change(OnBranchChange what) noexcept { options_.on_branch_change = what; }

  BasicReplayTape<T>& tape() noexcept { return *tape_; }
  const BasicReplayTape<T>& tape() const noexcept { return *tape_; }
  std::uint32_t output() const noexcept { return output_; }
  // One past the last statement.
  std::uint32_t end() const noexcept { return static_cast<std::uint32_t>(tape_->num_nodes() + 1); }
  std::size_t rerecordings() const noexcept { return rerecordings_; }
  const std::string& last_change() const noexcept { return last_change_; }
  std::size_t num_sum_runs() const noexcept { return sums_.runs.size(); }

 private:
  ReplayChange replay() { return tape_->try_replay(sums_.empty() ? nullptr : &sums_); }

  const char* who_;
  RecordOptions options_;
  std::unique_ptr<BasicReplayTape<T>> tape_;
  std::uint32_t output_ = 0;
  std::size_t rerecordings_ = 0;
  std::string last_change_;
  SumRunPlan<T> sums_;       // RecordOptions::reassociate_sums: the recording's sum runs
  std::vector<T> adjoints_;  // the sweep through sum runs
};

}  // namespace detail
}  // namespace tapegrad
