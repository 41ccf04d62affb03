/// \file
/// The tape: where a recording lives. Each assignment of an expression to a Var is one
/// *statement*; its *operands* are the (index, local partial) pairs of the Vars it
/// read. Both live in flat arrays, so the reverse sweep is one tight loop:
///
///     for each statement s, last to first:  for each operand (i, d) of s:  adj[i] += d * adj[s]
///
/// This file holds recording, the sweeps, clear/rewind and memory accounting. The sweep's
/// inner loop over plain statements is sweep.hpp. What the tape keeps beside them has a
/// file each: which tape is active (active_tape.hpp), the operand arrays and statement
/// ends (operand_store.hpp), the statements with a backward of their own (hooks.hpp),
/// rewind positions and rewound generations (rewind_epochs.hpp), user-defined backward
/// functions (custom_functions.hpp), how tensor adjoints are assigned on their first
/// write of a sweep (tensor_adjoints.hpp), annotations (annotations.hpp), check_finite's
/// backward checks (check/finite_backward.hpp), and the one observer that may follow
/// the recording (recording_observer.hpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>

#include "../check/finite_backward.hpp"
#include "../support/arena.hpp"
#include "../support/error.hpp"
#include "../support/flat_array.hpp"
#include "active_tape.hpp"
#include "annotations.hpp"
#include "custom_functions.hpp"
#include "hooks.hpp"
#include "operand_store.hpp"
#include "recording_observer.hpp"
#include "rewind_epochs.hpp"
#include "sweep.hpp"
#include "tape_stats.hpp"
#include "tensor_adjoints.hpp"

namespace tapegrad {

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
    /// Also keep each statement's value and expression text, for to_dot (a string each).
    bool annotate = false;
    /// Stop at the first value or local derivative recorded, or adjoint swept, that is NaN
    /// or infinite, with a NonFiniteError naming the operation, its inputs and (tensors)
    /// the shapes and first bad entry (check/finite_forward.hpp). Annotates too.
    bool check_finite = false;
    /// A budget for everything the tape holds (bytes_in_use()), 0 for none: a statement that would take the
    /// tape past it is refused with a tapegrad::Error before it is recorded (and a tensor as the arena grows
    /// for it), instead of the machine running out of memory. The tape is usable after clear() or rewind().
    std::size_t max_bytes = 0;
  };

  BasicTape() : BasicTape(Options{}) {}
  /// A tape with `options`, active on this thread from now on.
  explicit BasicTape(Options options)
      : annotate_(options.annotate || options.check_finite),
        check_finite_(options.check_finite),
        max_bytes_(options.max_bytes) {
    if (max_bytes_ > 0) {
      operands_.growth_check = {&check_budget_for_statement, this};
      arena_.set_growth_check({&check_budget_for_tensor, this});
    }
    reset();
  }

  /// Forgets the recording, keeps the memory. Every Var recorded so far becomes invalid.
  void clear() { reset(); }

  /// Where the recording is now, for rewind().
  TapePosition position() const {
    return {statements(),
            static_cast<std::uint32_t>(operands_.count),
            static_cast<std::uint32_t>(hooks_.size()),
            generations_.current(),
            observer_ != nullptr ? observer_->mark() : 0,
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
    note_peak();
    generations_.rewind(position.statements);
    operands_.truncate(position.statements, position.operands);
    hooks_.truncate(position.hooks);
    custom_functions_.release_to(position.custom);
    checked_tensors_.drop_from(position.statements);
    arena_.release_to(position.arena);
    adjoints_.truncate(position.statements);
    annotations_.truncate(position.statements);
    if (observer_ != nullptr) observer_->rewound(position.statements, position.observer_mark);
  }

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
    detail::sweep_with_hooks(*this, view(), hooks_, adjoints_.data(), sweep_number_, hi, lo);
  }

  /// Sets adjoints of statements lo..hi to zero (growing the array, new entries 0; others
  /// keep what the last sweep left) and starts a new sweep: every tensor adjoint buffer
  /// reads as zero until written.
  void zero_adjoints(std::uint32_t lo, std::uint32_t hi) {
    detail::zero_adjoints(adjoints_, lo, hi, statements());
    ++sweep_number_;
  }
  /// The current sweep's number, by which a tensor adjoint buffer knows whether it was
  /// written in this sweep (tensor_adjoints.hpp). Never reused by this tape.
  std::uint64_t sweep_number() const noexcept { return sweep_number_; }
  /// The adjoint array, one entry per statement the last sweep covered (adjoints_size()).
  ///@{
  T* adjoint_data() noexcept { return adjoints_.data(); }
  const T* adjoint_data() const noexcept { return adjoints_.data(); }
  std::size_t adjoints_size() const noexcept { return adjoints_.size(); }
  ///@}
  /// Adjoint of statement s, for hooks: read their output's, add into their inputs'.
  T& adjoint_at(std::uint32_t s) noexcept { return adjoints_[s]; }

  /// Records one statement with exactly NumOperands operands, written by `write(sink)`.
  /// Returns the new statement's index, which is also the index of the Var it defines.
  template <std::size_t NumOperands, class WriteOperands>
  std::uint32_t record(WriteOperands&& write) {
    if constexpr (NumOperands > 0)
      operands_.reserve_extra(NumOperands);
    else
      operands_.check_statement();
    write(OperandSink<T>{operands_.partials.get() + operands_.count,
                         operands_.indices.get() + operands_.count, generations_.current(), this});
    operands_.count += NumOperands;
    return operands_.end_statement();
  }

  /// Records a statement with explicit operands (user-defined ops, custom partials). An observer is told
  /// that it cannot recompute it, and `what` it is.
  std::uint32_t record_operands(std::span<const std::uint32_t> indices,
                                std::span<const std::uint32_t> generations, std::span<const T> partials,
                                const char* what = "custom_op with given partials") {
    for (std::size_t i = 0; i < indices.size(); ++i) check_var(indices[i], generations[i], "custom_op");
    if (indices.empty()) operands_.check_statement();
    operands_.append(indices, partials);
    const std::uint32_t statement = operands_.end_statement();
    // Without operands: a leaf whose values live elsewhere (a tensor constant, Parameter).
    if (observer_ != nullptr) [[unlikely]]
      indices.empty() ? observer_->input(statement, T(0)) : observer_->opaque(statement, what);
    return statement;
  }

  /// Records a statement with explicit operands and partials that is an expression all the same, one known
  /// only at run time (an interpreter's program): an observer is told it as an expression of `type`, as it is
  /// told an expression written in C++, so that it can recompute the statement.
  std::uint32_t record_expression(std::span<const std::uint32_t> indices,
                                  std::span<const std::uint32_t> generations, std::span<const T> partials,
                                  const detail::StatementType<T>& type, const void* expression,
                                  const T& value) {
    for (std::size_t i = 0; i < indices.size(); ++i) check_var(indices[i], generations[i], "an expression");
    if (indices.empty()) operands_.check_statement();
    operands_.append(indices, partials);
    const std::uint32_t statement = operands_.end_statement();
    if (observer_ != nullptr) [[unlikely]]
      observer_->expression(statement, type, expression, value);
    return statement;
  }

  /// Records a statement with no operands whose adjoint `backward(tape, statement, data)`
  /// distributes during the sweep. `data` must stay valid as long as the statement does
  /// (allocate it from arena()). A tensor operation passes its output's adjoint state:
  /// the sweep skips it when nothing wrote that adjoint.
  std::uint32_t record_hook(HookBackward<T> run_backward, const void* data,
                            const detail::AdjointState* output = nullptr) {
    operands_.check_statement();
    const std::uint32_t statement = operands_.end_statement();
    hooks_.push_back({statement, run_backward, data, output});
    if (observer_ != nullptr) [[unlikely]]
      observer_->opaque(statement, "custom_op with a backward function");
    return statement;
  }

  /// Memory for tensor values, adjoints and backward data; see arena.hpp.
  detail::Arena& arena() noexcept { return arena_; }
  /// The user-defined backward functions recorded on this tape (custom_op).
  detail::CustomFunctions<T>& custom_functions() noexcept { return custom_functions_; }

  /// The observer following this tape's recording, or null (recording_observer.hpp).
  detail::RecordingObserver<T>* observer() const noexcept { return observer_; }
  /// The recording's arrays, read-only: for saving, inspecting and sweeping them elsewhere.
  RecordingArrays<const T> view() const noexcept { return operands_.view(); }

  /// This recording's generation; a Var of another was recorded before a clear() or elsewhere.
  std::uint32_t generation() const noexcept { return generations_.current(); }

  /// True if (index, generation) names a Var recorded on this tape and not discarded.
  bool is_valid_index(std::uint32_t index, std::uint32_t var_generation) const noexcept {
    return var_generation == generations_.current() ? index < statements()
                                                    : generations_.contains(index, var_generation);
  }
  /// Throws unless the Var is on this tape or a constant (generation 0). A Var of the
  /// current recording, by far the common case, passes with two inline comparisons.
  void check_var(std::uint32_t index, std::uint32_t var_generation, const char* operation) const {
    if (var_generation == generations_.current() && index < statements()) [[likely]]
      return;
    if (var_generation != 0 && !generations_.contains(index, var_generation)) [[unlikely]]
      generations_.throw_stale(operation, index, var_generation);
  }
  /// The slow path of OperandSink::write. A constant's operand lands on statement 0,
  /// which is never swept, so it is harmless. Never inlined: it is cold, and kernels that
  /// `flatten` their expressions must not pull it in.
  [[gnu::noinline, gnu::cold]] void check_operand(std::uint32_t index, std::uint32_t var_generation) const {
    check_var(index, var_generation, "an expression");
  }

  /// Recorded Vars (statements), not counting the reserved slot 0.
  std::size_t num_nodes() const noexcept { return statements() - 1; }
  /// Operands recorded (4 + sizeof(T) bytes each).
  std::size_t num_operands() const noexcept { return operands_.count; }
  /// Bytes the recording itself occupies: 4 per statement, 4 + sizeof(T) per operand,
  /// the hooks, custom functions and the arena's tensor buffers. The measure to compare
  /// with other tapes' sizes.
  std::size_t recording_bytes() const noexcept {
    return operands_.bytes_in_use() + custom_functions_.bytes_in_use() + hooks_.size() * sizeof(Hook<T>) +
           arena_.bytes_in_use();
  }
  /// Bytes of everything the tape holds now: the recording, the adjoints of the last
  /// sweep, annotations, and what its observer keeps.
  std::size_t bytes_in_use() const noexcept {
    return recording_bytes() + adjoints_.size() * sizeof(T) + annotations_.bytes_in_use() +
           (observer_ != nullptr ? observer_->bytes_in_use() : 0);
  }
  /// Bytes held, including capacity kept from earlier recordings.
  std::size_t bytes_reserved() const noexcept {
    return operands_.bytes_reserved() + adjoints_.capacity() * sizeof(T) +
           custom_functions_.bytes_reserved() + hooks_.capacity() * sizeof(Hook<T>) + arena_.bytes_reserved();
  }
  /// The most bytes_in_use() has been since the tape was made or reset_peak() was called. Exact: the bytes in
  /// use only grow between a clear() or rewind(), which note them first.
  std::size_t peak_bytes() const noexcept {
    note_peak();
    return peak_bytes_;
  }
  /// Starts peak_bytes() again from the bytes in use now.
  void reset_peak() noexcept { peak_bytes_ = bytes_in_use(); }
  /// What the tape holds now, part by part (tape_stats.hpp).
  TapeStats stats() const noexcept {
    TapeStats s;
    s.statements = num_nodes();
    s.operands = num_operands();
    s.operand_bytes = operands_.bytes_in_use();
    s.tensor_bytes = arena_.bytes_in_use();
    s.custom_bytes = custom_functions_.bytes_in_use() + hooks_.size() * sizeof(Hook<T>);
    s.adjoint_bytes = adjoints_.size() * sizeof(T);
    s.annotation_bytes = annotations_.bytes_in_use();
    s.observer_bytes = observer_ != nullptr ? observer_->bytes_in_use() : 0;
    s.bytes_in_use = bytes_in_use();
    s.peak_bytes = peak_bytes();
    s.bytes_reserved = bytes_reserved();
    return s;
  }
  /// Options::max_bytes (0: none).
  std::size_t max_bytes() const noexcept { return max_bytes_; }

  /// Operands of statement s, for graph export and inspection.
  std::span<const std::uint32_t> operand_indices(std::uint32_t s) const { return operands_.indices_of(s); }
  /// The local partials of statement s's operands, in the order of operand_indices(s).
  std::span<const T> operand_partials(std::uint32_t s) const { return operands_.partials_of(s); }
  /// True if statement s has its own backward (a hook) rather than operands.
  bool is_custom(std::uint32_t s) const { return hooks_.contains(s); }
  /// True if a statement in lo+1 … hi has its own backward (a hook: a tensor operation, a
  /// custom function), which only the tape's own sweep runs; the vector sweeps
  /// (sweep.hpp: several adjoints or tangents per statement) need none there.
  bool has_hooks_between(std::uint32_t lo, std::uint32_t hi) const {
    const Hook<T>* h = hooks_.after(hi);
    return h != hooks_.data() && h[-1].statement > lo;
  }

  /// True when the tape keeps values and expression texts (Options::annotate or check_finite).
  bool annotating() const noexcept { return annotate_; }
  /// Annotating or observed: Var's recording takes its slow path only when this is set.
  bool observing() const noexcept { return observing_; }
  /// True for a tape made with Options::check_finite.
  bool checking_finite() const noexcept { return check_finite_; }
  /// The values and texts an annotating tape keeps, for to_dot() and error messages.
  ///@{
  detail::Annotations<T>& annotations() noexcept { return annotations_; }
  const detail::Annotations<T>& annotations() const noexcept { return annotations_; }
  ///@}
  /// check_finite mode: each tensor statement's operation, shape and adjoint buffer.
  detail::CheckedTensors<T>& checked_tensors() noexcept { return checked_tensors_; }

 protected:
  /// Makes `observer` (null: none) follow the recording from the next statement on.
  void set_observer(detail::RecordingObserver<T>* observer) noexcept {
    observer_ = observer;
    observing_ = annotate_ || observer_ != nullptr;
  }
  /// The recording's arrays, writable: for an observer that recomputes the partials.
  RecordingArrays<T, std::uint32_t> arrays() noexcept { return operands_.arrays(); }
  /// Replaces the recording by a saved one: its statement ends (slot 0 included) and
  /// operand indices. Partials are zero until they are computed.
  void restore_recording(std::span<const std::uint32_t> statement_end,
                         std::span<const std::uint32_t> operand_index) {
    reset();
    operands_.assign(statement_end, operand_index);
  }

 private:
  std::uint32_t statements() const noexcept { return operands_.statements(); }

  void note_peak() const noexcept { peak_bytes_ = std::max(peak_bytes_, bytes_in_use()); }

  // The memory budget (Options::max_bytes): asked by the operand store before a statement
  // with `extra_operands` operands, and by the arena before it moves to another block.
  static void check_budget_for_statement(void* self, std::size_t extra_operands) {
    auto& tape = *static_cast<BasicTape*>(self);
    const std::size_t operand_bytes = sizeof(std::uint32_t) + sizeof(T);
    const std::size_t statement_bytes = sizeof(std::uint32_t) + extra_operands * operand_bytes;
    const std::size_t room = tape.room_for(statement_bytes);
    // An operand's allowance counts a statement end with it, since statements with
    // operands are checked through them alone.
    const detail::BudgetAllowance allowance =
        detail::budget_allowance(room, operand_bytes + sizeof(std::uint32_t));
    tape.operands_.limit_to(tape.operands_.count + extra_operands + allowance.operands,
                            tape.statements() + allowance.statements);
  }
  static void check_budget_for_tensor(void* self, std::size_t bytes) {
    static_cast<BasicTape*>(self)->room_for(bytes);
  }
  // The bytes left once `bytes` more are taken; throws if there are not that many.
  std::size_t room_for(std::size_t bytes) const {
    const std::size_t used = bytes_in_use();
    if (used + bytes > max_bytes_) detail::throw_over_budget(statements(), used + bytes, max_bytes_);
    return max_bytes_ - used - bytes;
  }

  void reset() {
    note_peak();
    operands_.clear();
    adjoints_.truncate(0);
    hooks_.truncate(0);
    custom_functions_.clear();
    checked_tensors_.clear();
    arena_.clear();
    annotations_.clear();
    generations_.reset();
    if (observer_ != nullptr) observer_->cleared();
    if (max_bytes_ > 0) operands_.limit_to(0, 0);  // checked again at the next statement
  }

  detail::OperandStore<T> operands_;
  detail::FlatArray<T> adjoints_;
  detail::HookList<T> hooks_;
  detail::CustomFunctions<T> custom_functions_;
  detail::Arena arena_;
  detail::Generations generations_;
  // Starts above AdjointState::pending_zero, which is what a new buffer's state holds.
  std::uint64_t sweep_number_ = 1;

  bool annotate_;
  bool check_finite_;
  bool observing_ = annotate_;
  detail::RecordingObserver<T>* observer_ = nullptr;
  detail::Annotations<T> annotations_;
  detail::CheckedTensors<T> checked_tensors_;  // check_finite mode only
  // Last, away from what recording reads at every statement.
  std::size_t max_bytes_;
  mutable std::size_t peak_bytes_ = 0;
};

/// The tape of double Vars.
using Tape = BasicTape<double>;
/// The tape of float Vars.
using FloatTape = BasicTape<float>;

}  // namespace tapegrad
