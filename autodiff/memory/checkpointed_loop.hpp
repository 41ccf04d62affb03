/// \file
/// A long loop whose gradient needs memory for a few states instead of every step's
/// recording: binomial checkpointing (Griewank and Walther's revolve, as in ADOL-C and
/// CoDiPack), revolve.hpp.
///
///   std::vector<tg::Var> final = tg::checkpointed_loop(steps, state0,
///       [](std::span<const tg::Var> u, std::size_t k) { … return next; }, {.snapshots = 40});
///
/// The loop runs state_{k+1} = step(state_k, k) for k < steps. The caller's tape records
/// one operation for steps 0 … steps−2, whose outputs are state_{steps−1}, and then the
/// last step as ordinary statements. The operation keeps at most `snapshots` states as
/// numbers (state_0 among them). In the reverse sweep it recomputes from those states
/// what it needs, recording one step at a time on a tape of its own, sweeping it and
/// discarding it, in revolve's order: the fewest evaluations of step possible with that
/// many states, revolve_advances(steps, snapshots) without recording plus `steps`
/// recorded (the first forward pass included in both).
///
/// step takes a span of Vars (or a const std::vector of them) and the step's index and
/// returns a std::vector of as many Vars. It is evaluated without recording by recording
/// it on a scratch tape, reading the values and forgetting the recording; the thread
/// keeps that tape, one step's recording in size, for its next use. It may read
/// Parameters (their gradients accumulate in the sweep, at their values then) and may
/// itself use checkpoint() or checkpointed_loop(); it must not capture Vars of the
/// caller's tape (pass them in the state). A RecordedFunction replays through the loop
/// (each replay runs the loop again), and on a tape of Dual numbers the loop gives
/// Hessian-vector products (step written generically).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "../scalar/var.hpp"
#include "../support/error.hpp"
#include "detail/region.hpp"
#include "detail/scratch_tape.hpp"
#include "revolve.hpp"

namespace tapegrad {

/// How checkpointed_loop() trades memory for recomputation.
struct LoopCheckpoints {
  /// States kept as numbers, the initial state included (revolve's snapshots): at least 1, at most the
  /// number of steps (more are not needed). Each halving of the memory costs a few more evaluations of each
  /// step; revolve.hpp gives the exact count.
  std::size_t snapshots = 10;
};

namespace detail {

// step(x, k), taking a span of Vars or a const std::vector of them, checked to return a
// state of x's size.
template <class T, class Step>
std::vector<BasicVar<T>> call_step(Step& step, std::span<const BasicVar<T>> x, std::size_t k) {
  std::vector<BasicVar<T>> next;
  if constexpr (std::is_invocable_v<Step&, std::span<const BasicVar<T>>, std::size_t>)
    next = step(x, k);
  else
    next = step(std::vector<BasicVar<T>>(x.begin(), x.end()), k);
  if (next.size() != x.size())
    throw Error("checkpointed_loop: step ", k, " returned ", next.size(), " values for a state of ",
                x.size());
  return next;
}

// Steps 0 … steps−2 of the loop as one region of the caller's tape, reversed by an
// explicit stack of revolve's recursion (a recursion of depth `snapshots` could
// overflow the call stack):
//   reverse [a, b) holding state a, with `free` more states to keep:
//     b − a = 1:     record step a at state a, sweep it;
//     free = 0:      advance from a to b − 1, record step b − 1, sweep it; then [a, b − 1);
//     otherwise:     advance j = revolve_split(b − a, free + 1) steps to m, keep state m,
//                    reverse [m, b) with free − 1, drop state m, then [a, m) with free.
// The first step recorded in that order is always step steps−1, which the caller's tape
// records itself: forward() runs the machine up to it (state_{steps−1} is then at hand)
// and backward() resumes there with that state's adjoint.
template <class T, class Step>
class LoopRegion final : public Region<T> {
 public:
  LoopRegion(Step step, std::size_t steps, std::size_t snapshots)
      : step_(std::move(step)), steps_(steps), snapshots_(snapshots) {}

  void forward(std::span<const T> inputs, std::vector<T>& outputs) override {
    state_size_ = inputs.size();
    start(inputs);
    run(Phase::to_last_step);
    outputs.assign(working_.begin(), working_.end());
  }

  void backward(std::span<const T> output_adjoints, std::span<T> input_adjoints) override {
    // A second sweep of the same recording: the last one used up the kept states past
    // state_0, so take the first pass again.
    if (frames_.empty()) {
      const std::vector<T> state0(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(state_size_));
      start(state0);
      run(Phase::to_last_step);
    }
    adjoint_.assign(output_adjoints.begin(), output_adjoints.end());
    try {
      step_recorded_outside();
      run(Phase::reverse);
    } catch (...) {
      // A step threw midway: the next sweep starts over from state_0.
      frames_.clear();
      slots_.resize(state_size_);
      throw;
    }
    std::copy(adjoint_.begin(), adjoint_.end(), input_adjoints.begin());
  }

  std::size_t bytes() const noexcept override {
    return (slots_.capacity() + working_.capacity() + adjoint_.capacity() + next_adjoint_.capacity()) *
               sizeof(T) +
           frames_.capacity() * sizeof(Frame);
  }

 private:
  enum class Phase { to_last_step, reverse };
  struct Frame {
    std::size_t a, b, free;
  };

  // The machine at its start: state_0 kept, the whole loop to reverse.
  void start(std::span<const T> state0) {
    slots_.reserve(snapshots_ * state0.size());  // all the states it may keep, counted by the tape
    slots_.assign(state0.begin(), state0.end());
    frames_.assign(1, Frame{0, steps_, snapshots_ - 1});
  }

  // Runs the machine. To the last step: stops where step steps−1 is to be recorded, with
  // state_{steps−1} in working_. Reverse: to the end, adjoint_ then state_0's adjoint.
  void run(Phase phase) {
    // One scratch tape for the whole run: its memory is reused by every step recorded.
    const ScratchScope<T> scope;
    ScratchTape<T>& scratch = *scope;
    while (!frames_.empty()) {
      Frame& f = frames_.back();
      if (f.b - f.a == 1) {
        load_slot();
        if (phase == Phase::to_last_step) return;
        record_and_sweep(scratch, f.a);
        finish_frame();
      } else if (f.free == 0) {
        load_slot();
        advance(scratch, f.a, f.b - 1);
        if (phase == Phase::to_last_step) return;
        record_and_sweep(scratch, f.b - 1);
        --f.b;
      } else {
        const std::size_t m = f.a + revolve_split(f.b - f.a, f.free + 1);
        const Frame child{m, f.b, f.free - 1};
        load_slot();
        advance(scratch, f.a, m);
        slots_.insert(slots_.end(), working_.begin(), working_.end());
        frames_.push_back(child);
      }
    }
  }

  // What the caller's tape recorded, step steps−1, is done: move past it.
  void step_recorded_outside() {
    Frame& f = frames_.back();
    if (f.b - f.a == 1)
      finish_frame();
    else
      --f.b;
  }

  // The innermost range is reversed: drop its state; its parent goes on before it.
  void finish_frame() {
    const std::size_t a = frames_.back().a;
    frames_.pop_back();
    if (frames_.empty()) return;
    slots_.resize(slots_.size() - state_size_);
    frames_.back().b = a;
  }

  // working_ = the innermost range's kept state.
  void load_slot() { working_.assign(slots_.end() - static_cast<std::ptrdiff_t>(state_size_), slots_.end()); }

  // working_ from state `from` to state `to`, evaluating the steps without keeping them.
  void advance(ScratchTape<T>& scratch, std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to; ++k) {
      const std::span<const T> next = scratch.record(step_at(k), working_, "checkpointed_loop");
      working_.assign(next.begin(), next.end());
    }
  }

  // Records step k at working_ (state k) and pulls adjoint_ (state k+1's) back through it.
  void record_and_sweep(ScratchTape<T>& scratch, std::size_t k) {
    scratch.record(step_at(k), working_, "checkpointed_loop");
    next_adjoint_.resize(state_size_);
    scratch.pullback(adjoint_, next_adjoint_);
    adjoint_.swap(next_adjoint_);
  }

  auto step_at(std::size_t k) {
    return [this, k](std::span<const BasicVar<T>> x) { return call_step<T>(step_, x, k); };
  }

  Step step_;
  std::size_t steps_, snapshots_, state_size_ = 0;
  std::vector<T> slots_;       // the kept states, innermost range's last, state_size_ numbers each
  std::vector<Frame> frames_;  // the ranges being reversed, outermost first; slot i is frame i's start
  std::vector<T> working_, adjoint_, next_adjoint_;
};

// The largest loop: revolve's counts stay exact in 64 bits below it.
inline constexpr std::size_t max_loop_steps = std::size_t{1} << 31;

}  // namespace detail

/// The final state of state_{k+1} = step(state_k, k), k = 0 … steps−1, from `state0` (Vars on the active
/// tape), recorded with at most `options.snapshots` states kept for the reverse sweep (see
/// checkpointed_loop.hpp). steps = 0 returns state0; steps = 1 records the one step. Throws tapegrad::Error
/// when snapshots is 0, steps exceeds 2³¹, a Var of state0 is not on the active tape or a step returns
/// another number of values than the state has; what step throws is thrown with nothing recorded.
///
/// \snippet test_doc_examples.cpp checkpointed_loop
///@{
template <class T, class Step>
std::vector<BasicVar<T>> checkpointed_loop(std::size_t steps, std::span<const BasicVar<T>> state0, Step step,
                                           LoopCheckpoints options = {}) {
  if (options.snapshots == 0)
    throw Error("checkpointed_loop: snapshots is 0; at least the initial state must be kept");
  if (steps > detail::max_loop_steps)
    throw Error("checkpointed_loop: ", steps, " steps is more than the ", detail::max_loop_steps,
                " it handles");
  BasicTape<T>& tape = BasicTape<T>::active_or_throw("checkpointed_loop");
  if (steps == 0) {
    for (const BasicVar<T>& x : state0) tape.check_var(x.index(), x.generation(), "checkpointed_loop");
    return std::vector<BasicVar<T>>(state0.begin(), state0.end());
  }
  if (steps == 1) return detail::call_step<T>(step, state0, 0);
  const TapePosition before = tape.position();
  const std::size_t snapshots = std::min(options.snapshots, steps);
  std::vector<BasicVar<T>> penultimate = detail::record_region<T>(
      state0, std::make_unique<detail::LoopRegion<T, Step>>(step, steps, snapshots), "checkpointed_loop");
  try {
    return detail::call_step<T>(step, std::span<const BasicVar<T>>(penultimate), steps - 1);
  } catch (...) {
    tape.rewind(before);
    throw;
  }
}
template <class T, class Step>
std::vector<BasicVar<T>> checkpointed_loop(std::size_t steps, const std::vector<BasicVar<T>>& state0,
                                           Step step, LoopCheckpoints options = {}) {
  return checkpointed_loop(steps, std::span<const BasicVar<T>>(state0), std::move(step), options);
}
///@}

}  // namespace tapegrad
