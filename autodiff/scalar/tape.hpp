/// \file
/// The tape: where a recording lives. Each assignment of an expression to a Var is one
/// *statement*; its *operands* are the (index, local partial) pairs of the Vars it
/// read. Both live in flat arrays, so the reverse sweep is one tight loop:
///
///     for each statement s, last to first:  for each operand (i, d) of s:  adj[i] += d * adj[s]
///
/// This file holds recording, the sweeps, clear/rewind and memory accounting. The sweep's
/// inner loop over plain statements is sweep.hpp. What the tape keeps beside them has a
/// file each: which tape is active (active_tape.hpp), the operand arrays
/// (operand_store.hpp), the statements with a backward of their own (hooks.hpp),
/// rewound generations (rewind_epochs.hpp), user-defined backward functions
/// (custom_functions.hpp), how tensor adjoints are assigned on their first write of a
/// sweep (tensor_adjoints.hpp), annotations (annotations.hpp), check_finite's backward
/// checks (check/finite_backward.hpp) and, for a replayable tape, what replaying needs
/// (replay_record.hpp).
///
/// Every Var carries the tape *generation* it was recorded in; clear() and rewind() start
/// a new generation, so a stale Var is caught by one integer comparison, cheap enough to
/// stay on in release builds.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>

#include "../check/finite_backward.hpp"
#include "../support/arena.hpp"
#include "../support/error.hpp"
#include "../support/flat_array.hpp"
#include "../support/generation.hpp"
#include "active_tape.hpp"
#include "annotations.hpp"
#include "custom_functions.hpp"
#include "hooks.hpp"
#include "operand_store.hpp"
#include "replay_record.hpp"
#include "rewind_epochs.hpp"
#include "sweep.hpp"
#include "tensor_adjoints.hpp"

namespace tapegrad {

namespace detail {
[[noreturn]] void throw_no_active_tape(const char* operation);
[[noreturn]] void throw_stale_var(const char* operation, std::uint32_t index, std::uint32_t var_generation,
                                  bool from_this_tape);
}  // namespace detail

/// A point in a recording, to return to with rewind().
struct TapePosition {
  /// Statements recorded, slot 0 included.
  std::uint32_t statements = 0;
  /// Operands recorded.
  std::uint32_t operands = 0;
  /// Hooks recorded.
  std::uint32_t hooks = 0;
  /// The tape's generation at that point.
  std::uint32_t generation = 0;
  std::uint32_t comparisons = 0;  ///< replayable tapes
  /// The user-defined backward functions recorded.
  detail::CustomFunctionsMark custom;
  /// The arena's memory in use.
  detail::Arena::Mark arena;
};

/// The reverse-mode tape: it records each assignment of an expression to a Var as one statement (operand
/// indices and local partials), and backward() sweeps the statements in reverse for the gradient. Recording
/// is on the active tape: a tape is active on its thread from its construction to its destruction, and tapes
/// nest like scopes (the innermost records). clear() keeps the memory, so a loop of record, backward, clear
/// allocates nothing after the first pass.
///
/// \snippet test_doc_examples.cpp tape
template <class T>
class BasicTape : public detail::ActiveScope<BasicTape<T>> {
 public:
  /// The value type of its Vars.
  using value_type = T;

  /// What a tape keeps beyond the plain recording; every option costs memory and time.
  struct Options {
    /// Also keep each statement's value and a text form of its expression, for to_dot.
    /// Off by default: it costs a string per statement.
    bool annotate = false;
    /// Stop at the first operation whose value or local derivative is NaN or infinite as
    /// it is recorded, and at the first adjoint that becomes so in backward(), with a
    /// NonFiniteError naming the operation, its inputs and (for tensors) the shapes and
    /// the first bad entry (see check/finite_forward.hpp). For finding where a NaN comes
    /// from: it annotates too, and checks every value recorded.
    bool check_finite = false;
    /// Also keep what is needed to run the recording again at new inputs without
    /// recording again (replay()): each statement's value and its expression as op
    /// codes, each tensor operation's forward, and every comparison of Vars and kink
    /// with its outcome, so that a replay where one comes out differently is caught.
    /// RecordedFunction (replay/recorded_function.hpp) is the convenient form.
    bool replayable = false;
  };

  BasicTape() : BasicTape(Options{}) {}
  /// A tape with `options`, active on this thread from now on.
  explicit BasicTape(Options options)
      : annotate_(options.annotate || options.check_finite),
        check_finite_(options.check_finite),
        replayable_(options.replayable),
        observing_(annotate_ || replayable_) {
    reset();
  }

  /// The active tape of this thread; throws tapegrad::Error naming `operation` when there is none.
  static BasicTape& active_or_throw(const char* operation) {
    if (BasicTape::active() == nullptr) [[unlikely]]
      detail::throw_no_active_tape(operation);
    return *BasicTape::active();
  }

  /// Forgets the recording, keeps the memory. Every Var recorded so far becomes invalid.
  void clear() { reset(); }

  /// Where the recording is now, for rewind().
  TapePosition position() const {
    return {statements(),
            static_cast<std::uint32_t>(operands_.count),
            static_cast<std::uint32_t>(hooks_.size()),
            generation_,
            static_cast<std::uint32_t>(replay_.num_guards()),
            custom_functions_.mark(),
            arena_.mark()};
  }

  /// Drops everything recorded after `position`. Vars recorded before it stay valid;
  /// Vars recorded after it become invalid (and are reported as such if used).
  void rewind(const TapePosition& position) {
    if (position.statements == 0 || !is_valid_index(position.statements - 1, position.generation) ||
        position.statements > statements())
      throw Error(
          "Tape::rewind: the position is not in this tape's current recording "
          "(taken on another tape, or before a clear() or an earlier rewind() past it)");
    epochs_.rewind(generation_, generation_start_, position.statements);
    statement_end_.truncate(position.statements);
    operands_.count = position.operands;
    hooks_.truncate(position.hooks);
    custom_functions_.release_to(position.custom);
    checked_tensors_.drop_from(position.statements);
    arena_.release_to(position.arena);
    adjoints_.truncate(position.statements);
    annotations_.truncate(position.statements);
    if (replayable_) replay_.truncate(position.statements, position.comparisons);
    generation_ = detail::next_generation();
    generation_start_ = position.statements;
  }

  // ------------------------------------------------------------------ gradients

  /// Zeroes every adjoint, sets f's adjoint to `seed` and sweeps back from f; afterwards
  /// x.adjoint() is d(seed·f)/dx for every Var x on the tape.
  template <class V>
  void backward(const V& f, const T& seed = T(1)) {
    check_var(f.index(), f.generation(), "Tape::backward");
    if (f.generation() == 0) throw Error("Tape::backward: the output is a constant, not on the tape");
    zero_adjoints(0, statements() - 1);
    adjoints_[f.index()] = seed;
    sweep(f.index(), 0);
  }

  /// Adjoint of a Var after backward(); zero for Vars recorded after that sweep.
  T adjoint(std::uint32_t index, std::uint32_t var_generation) const {
    check_var(index, var_generation, "Var::adjoint");
    return index < adjoints_.size() ? adjoints_[index] : T(0);
  }

  /// Sweeps statements hi, hi-1, …, lo+1. Operands of a statement always have smaller
  /// indices than the statement, so when the sweep passes x every contribution to x's
  /// adjoint from statements after x has been added.
  void sweep(std::uint32_t hi, std::uint32_t lo) {
    if (check_finite_) [[unlikely]]
      detail::sweep_checked(*this, checked_tensors_, hi, lo);
    else
      sweep_without_finite_checks(hi, lo);
  }
  /// The sweep without check_finite's checks: runs of plain statements, and the hook of
  /// each statement with its own backward in between.
  void sweep_without_finite_checks(std::uint32_t hi, std::uint32_t lo) {
    const Hook<T>* first_hook = hooks_.data();
    const Hook<T>* next_hook = hooks_.after(hi);
    std::uint32_t s = hi;
    while (true) {
      const bool hook_ahead = next_hook != first_hook && next_hook[-1].statement > lo;
      const std::uint32_t stop = hook_ahead ? next_hook[-1].statement : lo;
      detail::sweep_plain(statement_end_.data(), operands_.indices.get(), operands_.partials.get(),
                          adjoints_.data(), s, stop);
      if (!hook_ahead) return;
      --next_hook;
      if (next_hook->output == nullptr || next_hook->output->written_in(sweep_number_))
        next_hook->backward(*this, next_hook->statement, next_hook->data);
      s = stop - 1;
    }
  }

  /// Sets adjoints of statements lo..hi to zero, growing the adjoint array if needed, and
  /// starts a new sweep: every tensor adjoint buffer reads as zero until written.
  /// Scalar adjoints outside lo..hi keep what an earlier sweep left (newly covered ones
  /// are 0).
  void zero_adjoints(std::uint32_t lo, std::uint32_t hi) {
    const std::size_t old_size = adjoints_.size();
    if (old_size <= hi) {
      adjoints_.resize_uninitialized(statement_end_.size());
      std::fill(adjoints_.data() + old_size, adjoints_.data() + adjoints_.size(), T(0));
    }
    std::fill(adjoints_.data() + lo, adjoints_.data() + hi + 1, T(0));
    ++sweep_number_;
  }
  /// The current sweep's number, by which a tensor adjoint buffer knows whether it was
  /// written in this sweep (tensor_adjoints.hpp). Never reused by this tape.
  std::uint64_t sweep_number() const noexcept { return sweep_number_; }
  /// The adjoint array (one entry per statement), for the reverse sweep's kernels.
  ///@{
  T* adjoint_data() noexcept { return adjoints_.data(); }
  const T* adjoint_data() const noexcept { return adjoints_.data(); }
  std::size_t adjoints_size() const noexcept { return adjoints_.size(); }
  ///@}
  /// Adjoint of statement s, for hooks: read their output's, add into their inputs'.
  T& adjoint_at(std::uint32_t s) noexcept { return adjoints_[s]; }

  // ---------------------------------------------------------------- recording

  /// Records one statement with exactly NumOperands operands, written by `write(sink)`.
  /// Returns the new statement's index, which is also the index of the Var it defines.
  template <std::size_t NumOperands, class WriteOperands>
  std::uint32_t record(WriteOperands&& write) {
    operands_.reserve_extra(NumOperands);
    write(OperandSink<T>{operands_.partials.get() + operands_.count,
                         operands_.indices.get() + operands_.count, generation_, this});
    operands_.count += NumOperands;
    return end_statement();
  }

  /// Records a statement with explicit operands (user-defined ops, custom partials).
  std::uint32_t record_operands(std::span<const std::uint32_t> indices,
                                std::span<const std::uint32_t> generations, std::span<const T> partials) {
    for (std::size_t i = 0; i < indices.size(); ++i) check_var(indices[i], generations[i], "custom_op");
    operands_.reserve_extra(indices.size());
    std::copy(indices.begin(), indices.end(), operands_.indices.get() + operands_.count);
    std::copy(partials.begin(), partials.end(), operands_.partials.get() + operands_.count);
    operands_.count += indices.size();
    const std::uint32_t statement = end_statement();
    if (replayable_) [[unlikely]] {
      // Without operands it is a leaf whose values live elsewhere (a tensor constant or
      // Parameter); with them, a custom_op whose partials came from the caller.
      if (indices.empty())
        replay_.input(statement, T(0));
      else
        replay_.opaque(statement, "custom_op with given partials");
    }
    return statement;
  }

  /// Records a statement with no operands whose adjoint `backward(tape, statement, data)`
  /// distributes during the sweep. `data` must stay valid as long as the statement does
  /// (allocate it from arena()). A tensor operation passes its output's adjoint state:
  /// the sweep skips it when nothing wrote that adjoint.
  std::uint32_t record_hook(HookBackward<T> run_backward, const void* data,
                            const detail::AdjointState* output = nullptr) {
    const std::uint32_t statement = end_statement();
    hooks_.push_back({statement, run_backward, data, output});
    if (replayable_) [[unlikely]]
      replay_.opaque(statement, "custom_op with a backward function");
    return statement;
  }

  /// A replayable tape: statement `statement` (a tensor operation, a Parameter, just
  /// recorded) is recomputed by `forward(tape, statement, data)` when replaying, and its
  /// value, if it is a scalar, is `value`. Nothing on other tapes.
  void set_replay_forward(std::uint32_t statement, HookForward<T> forward, const void* data,
                          const T& value = T(0)) {
    if (!replayable_) return;
    replay_.forward(statement, forward, data);
    replay_.set_value(statement, value);
  }

  /// Memory for tensor values, adjoints and backward data; see arena.hpp.
  detail::Arena& arena() noexcept { return arena_; }
  /// The user-defined backward functions recorded on this tape (custom_op).
  detail::CustomFunctions<T>& custom_functions() noexcept { return custom_functions_; }

  // ------------------------------------------------------------------ replaying

  /// What a replayable tape keeps to run its recording again (see replay_record.hpp).
  ///@{
  detail::ReplayRecord<T>& replay_record() noexcept { return replay_; }
  const detail::ReplayRecord<T>& replay_record() const noexcept { return replay_; }
  ///@}

  /// A replayable tape: the value of statement s as last recorded or replayed.
  T replayed_value(std::uint32_t s) const { return replay_.value(s); }
  /// Sets an input (a leaf Var recorded from a number) to a new value for the next replay.
  void set_input(std::uint32_t s, const T& value) {
    if (!replayable_ || s == 0 || s >= replay_.statements() ||
        replay_.kind(s) != detail::StatementKind::Input)
      throw Error("Tape::set_input: v" + std::to_string(s) +
                  " is not an input of this replayable tape's recording");
    replay_.values()[s] = value;
  }

  /// Runs the whole recording again at the inputs' current values: every Var's value and
  /// every local partial is recomputed (tensor operations rerun, reading Parameters and
  /// constant_view data as they are now), exactly as recording would, so backward()
  /// afterwards gives the gradient at the new inputs. Throws BranchChanged, naming it, at
  /// the first comparison of Vars or kink that comes out differently from the recording;
  /// the caller then records again. Only on a tape made with Options::replayable.
  void replay() {
    const detail::ReplayChange change = try_replay();
    if (change.changed) throw_branch_changed(change);
  }
  /// The same, returning the change instead of throwing (changed == false: all held).
  detail::ReplayChange try_replay() {
    if (!replayable_)
      throw Error("Tape::replay: the tape was not made replayable (Tape({.replayable = true}))");
    return replay_.run(this, statement_end_.data(), operands_.indices.get(), replay_.values(),
                       operands_.partials.get(), statements(), generation_);
  }
  /// Throws BranchChanged describing `change` (what try_replay() returned).
  [[noreturn]] void throw_branch_changed(const detail::ReplayChange& change) const {
    throw BranchChanged(
        "replay: " + replay_.describe(change, statement_end_.data(), operands_.indices.get()) +
        "; the recording does not hold at this input (record again)");
  }
  /// Replaces the recording by a saved one (replay/recorded_function_file.cpp): its
  /// statement ends (slot 0 included) and operand indices; the caller fills the replay
  /// record. Partials are zero until the first replay.
  void restore_recording(std::span<const std::uint32_t> statement_end,
                         std::span<const std::uint32_t> operand_index) {
    reset();
    statement_end_.truncate(0);
    for (const std::uint32_t end : statement_end) statement_end_.push_back(end);
    operands_.reserve_extra(operand_index.size());
    std::copy(operand_index.begin(), operand_index.end(), operands_.indices.get());
    std::fill_n(operands_.partials.get(), operand_index.size(), T(0));
    operands_.count = operand_index.size();
  }
  /// The tape's operand arrays, for replaying on other value types and for saving.
  const std::uint32_t* statement_ends() const noexcept { return statement_end_.data(); }
  /// The operand index array (see statement_ends()).
  const std::uint32_t* operand_index_data() const noexcept { return operands_.indices.get(); }
  /// The operand partial array (see statement_ends()).
  T* operand_partial_data() noexcept { return operands_.partials.get(); }

  // ----------------------------------------------------------------- validity

  /// This recording's generation: a Var whose generation differs was recorded before a clear() or on another
  /// tape.
  std::uint32_t generation() const noexcept { return generation_; }

  /// True if (index, generation) names a Var recorded on this tape and not discarded.
  bool is_valid_index(std::uint32_t index, std::uint32_t var_generation) const noexcept {
    if (var_generation == generation_) return index < statement_end_.size();
    return epochs_.contains(index, var_generation);
  }
  /// Throws unless the Var is on this tape or a constant (generation 0). A Var of the
  /// current recording, by far the common case, passes with two inline comparisons.
  void check_var(std::uint32_t index, std::uint32_t var_generation, const char* operation) const {
    if (var_generation == generation_ && index < statement_end_.size()) [[likely]]
      return;
    if (var_generation != 0 && !epochs_.contains(index, var_generation)) [[unlikely]]
      detail::throw_stale_var(operation, index, var_generation, var_generation >= first_generation_);
  }
  /// The slow path of OperandSink::write. A constant's operand lands on statement 0,
  /// which is never swept, so it is harmless. Never inlined: it is cold, and the replay
  /// kernels that `flatten` their expressions (replay_kernels.hpp) must not pull it in.
  [[gnu::noinline, gnu::cold]] void check_operand(std::uint32_t index, std::uint32_t var_generation) const {
    check_var(index, var_generation, "an expression");
  }

  // ------------------------------------------------------------ introspection

  /// Recorded Vars (statements), not counting the reserved slot 0.
  std::size_t num_nodes() const noexcept { return statement_end_.size() - 1; }
  /// Operands recorded (4 + sizeof(T) bytes each).
  std::size_t num_operands() const noexcept { return operands_.count; }
  /// Bytes the recording itself occupies: 4 per statement, 4 + sizeof(T) per operand,
  /// the hooks, custom functions and the arena's tensor buffers. The measure to compare
  /// with other tapes' sizes.
  std::size_t recording_bytes() const noexcept {
    return statement_end_.size() * sizeof(std::uint32_t) + operands_.bytes_in_use() +
           custom_functions_.bytes_in_use() + hooks_.size() * sizeof(Hook<T>) + arena_.bytes_in_use();
  }
  /// Bytes of everything the tape holds now: the recording, the adjoints of the last
  /// sweep, and what the options keep beside them (a replayable tape's replay record,
  /// annotations).
  std::size_t bytes_in_use() const noexcept {
    return recording_bytes() + adjoints_.size() * sizeof(T) + (replayable_ ? replay_.bytes_in_use() : 0) +
           annotations_.bytes_in_use();
  }
  /// Bytes held by the arena, including capacity kept from earlier recordings.
  std::size_t bytes_reserved() const noexcept {
    return statement_end_.capacity() * sizeof(std::uint32_t) + operands_.bytes_reserved() +
           adjoints_.capacity() * sizeof(T) + custom_functions_.bytes_reserved() +
           hooks_.capacity() * sizeof(Hook<T>) + arena_.bytes_reserved();
  }

  /// Operands of statement s, for graph export and inspection.
  std::span<const std::uint32_t> operand_indices(std::uint32_t s) const {
    return {operands_.indices.get() + begin_of(s), operands_.indices.get() + statement_end_[s]};
  }
  /// The local partials of statement s's operands, in the order of operand_indices(s).
  std::span<const T> operand_partials(std::uint32_t s) const {
    return {operands_.partials.get() + begin_of(s), operands_.partials.get() + statement_end_[s]};
  }
  /// True if statement s has its own backward (a hook) rather than operands.
  bool is_custom(std::uint32_t s) const { return hooks_.contains(s); }

  /// True when the tape keeps values and expression texts (Options::annotate or check_finite).
  bool annotating() const noexcept { return annotate_; }
  /// Annotating or replayable: Var's recording takes its slow path only when this is set.
  bool observing() const noexcept { return observing_; }
  /// True for a tape made with Options::replayable.
  bool replayable() const noexcept { return replayable_; }
  /// True for a tape made with Options::check_finite.
  bool checking_finite() const noexcept { return check_finite_; }
  /// The values and texts an annotating tape keeps, for to_dot() and error messages.
  ///@{
  detail::Annotations<T>& annotations() noexcept { return annotations_; }
  const detail::Annotations<T>& annotations() const noexcept { return annotations_; }
  ///@}
  /// check_finite mode: each tensor statement's operation, shape and adjoint buffer.
  detail::CheckedTensors<T>& checked_tensors() noexcept { return checked_tensors_; }

 private:
  std::uint32_t statements() const noexcept { return static_cast<std::uint32_t>(statement_end_.size()); }
  std::uint32_t begin_of(std::uint32_t s) const { return s == 0 ? 0 : statement_end_[s - 1]; }

  // Closes the statement whose operands were just written; returns its index.
  std::uint32_t end_statement() {
    const std::size_t index = statement_end_.size();
    if (index == detail::OperandStore<T>::max_count) [[unlikely]]
      detail::throw_too_large("statements");
    statement_end_.push_back(static_cast<std::uint32_t>(operands_.count));
    return static_cast<std::uint32_t>(index);
  }

  void reset() {
    statement_end_.truncate(0);
    statement_end_.push_back(0);  // slot 0: never a real Var, target of constants
    operands_.count = 0;
    adjoints_.truncate(0);
    hooks_.truncate(0);
    custom_functions_.clear();
    checked_tensors_.clear();
    arena_.clear();
    annotations_.clear();
    epochs_.clear();
    if (replayable_) replay_.clear();
    generation_ = detail::next_generation();
    if (first_generation_ == 0) first_generation_ = generation_;
    generation_start_ = 1;
  }

  detail::OperandStore<T> operands_;
  detail::FlatArray<std::uint32_t> statement_end_;  // end of each statement's operands
  detail::FlatArray<T> adjoints_;
  detail::HookList<T> hooks_;
  detail::CustomFunctions<T> custom_functions_;
  detail::Arena arena_;
  detail::RewindEpochs epochs_;  // earlier generations still partly valid after rewind()

  std::uint32_t generation_ = 0;
  std::uint32_t generation_start_ = 1;
  // Starts above AdjointState::pending_zero, which is what a new buffer's state holds.
  std::uint64_t sweep_number_ = 1;
  std::uint32_t first_generation_ = 0;

  bool annotate_;
  bool check_finite_;
  bool replayable_;
  bool observing_;
  detail::ReplayRecord<T> replay_;  // replayable tapes only
  detail::Annotations<T> annotations_;
  detail::CheckedTensors<T> checked_tensors_;  // check_finite mode only
};

/// The tape of double Vars.
using Tape = BasicTape<double>;
/// The tape of float Vars.
using FloatTape = BasicTape<float>;

}  // namespace tapegrad
