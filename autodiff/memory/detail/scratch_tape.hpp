/// \file
/// A function recorded on a tape of its own, beside the caller's: what checkpointing
/// evaluates a step or a region on (its values, or its pullback of the outputs'
/// adjoints) and what preaccumulation records a region on to take its Jacobian. Each
/// thread keeps its scratch tapes, one per level of nesting (a checkpoint inside a
/// preaccumulated region, a loop inside a loop's step), with their memory, so a loop of
/// regions or steps records on memory that is already there: a ScratchScope takes its
/// level's tape and makes it the active tape until the scope ends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "../../scalar/tape.hpp"
#include "../../scalar/var.hpp"
#include "../../support/error.hpp"

namespace tapegrad::detail {

template <class R>
struct IsVarVector : std::false_type {};
template <class V, class A>
struct IsVarVector<std::vector<V, A>> : std::true_type {};

// f(x), f taking a span of Vars or a const std::vector of them.
template <class T, class F>
decltype(auto) call_with_vars(F& f, std::span<const BasicVar<T>> x) {
  if constexpr (std::is_invocable_v<F&, std::span<const BasicVar<T>>>)
    return f(x);
  else
    return f(std::vector<BasicVar<T>>(x.begin(), x.end()));
}

// Whether f returns a std::vector of Vars (otherwise one Var or an expression).
template <class T, class F>
inline constexpr bool returns_vars = IsVarVector<std::remove_cvref_t<decltype(call_with_vars<T>(
    std::declval<F&>(), std::declval<std::span<const BasicVar<T>>>()))>>::value;

// f(x)'s outputs as a vector.
template <class T, class F>
std::vector<BasicVar<T>> call_for_outputs(F& f, std::span<const BasicVar<T>> x) {
  if constexpr (returns_vars<T, F>)
    return std::vector<BasicVar<T>>(call_with_vars<T>(f, x));
  else
    return {BasicVar<T>(call_with_vars<T>(f, x))};
}

template <class T>
class ScratchTape {
 public:
  // Records f at x (leaves made from x, then f) after forgetting the last recording;
  // returns the outputs' values. `operation` names the caller in messages.
  template <class F>
  std::span<const T> record(F&& f, std::span<const T> x, const char* operation) {
    tape_.clear();
    inputs_.assign(x.begin(), x.end());
    outputs_ = call_for_outputs<T>(f, std::span<const BasicVar<T>>(inputs_));
    values_.resize(outputs_.size());
    for (std::size_t i = 0; i < outputs_.size(); ++i) {
      const BasicVar<T>& y = outputs_[i];
      if (y.generation() != 0 && !tape_.is_valid_index(y.index(), y.generation()))
        throw Error(operation, ": output ", i,
                    " is a Var recorded outside the function (a Var of the caller's tape captured "
                    "by it?); pass such values in through the inputs");
      values_[i] = y.value();
    }
    return values_;
  }

  // After record(): writes Σᵢ seeds[i]·∂yᵢ/∂x into x_adjoints (one entry per input),
  // through one reverse sweep of the recording.
  void pullback(std::span<const T> seeds, std::span<T> x_adjoints) {
    const auto last = static_cast<std::uint32_t>(tape_.num_nodes());
    tape_.zero_adjoints(0, last);
    for (std::size_t i = 0; i < outputs_.size(); ++i)
      if (outputs_[i].generation() != 0) tape_.adjoint_at(outputs_[i].index()) += seeds[i];
    tape_.sweep(last, 0);
    for (std::size_t j = 0; j < inputs_.size(); ++j) x_adjoints[j] = tape_.adjoint_at(inputs_[j].index());
  }

  BasicTape<T>& tape() noexcept { return tape_; }
  std::span<const BasicVar<T>> inputs() const noexcept { return inputs_; }
  std::span<const BasicVar<T>> outputs() const noexcept { return outputs_; }

  // Room the holder of the scratch tape may use (preaccumulate's Jacobian and operands),
  // kept with it so that a loop of calls allocates nothing.
  std::vector<T> numbers, more_numbers;
  std::vector<std::uint32_t> indices, generations;

 private:
  BasicTape<T> tape_;
  std::vector<BasicVar<T>> inputs_, outputs_;
  std::vector<T> values_;
};

// This thread's scratch tape for the current level of nesting, active while the scope
// lives. The tapes are made on first use and kept (their memory too) until the thread
// ends.
template <class T>
class ScratchScope {
 public:
  ScratchScope() : pool_(pool()) {
    if (pool_.depth == pool_.tapes.size()) {
      pool_.tapes.push_back(std::make_unique<ScratchTape<T>>());
      pool_.tapes.back()
          ->tape()
          .release();  // made active by its construction; active from here on only in scope
    }
    scratch_ = pool_.tapes[pool_.depth].get();
    ++pool_.depth;
    scratch_->tape().activate();
  }
  ~ScratchScope() {
    scratch_->tape().release();
    --pool_.depth;
  }
  ScratchScope(const ScratchScope&) = delete;
  ScratchScope& operator=(const ScratchScope&) = delete;

  ScratchTape<T>& operator*() const noexcept { return *scratch_; }
  ScratchTape<T>* operator->() const noexcept { return scratch_; }

 private:
  struct Pool {
    std::vector<std::unique_ptr<ScratchTape<T>>> tapes;  // one per level of nesting
    std::size_t depth = 0;                               // the levels in use
  };
  // A function's thread_local rather than a static data member's: GCC 12 rejects the
  // latter in a precompiled header (a redefined TLS guard).
  static Pool& pool() {
    thread_local Pool p;
    return p;
  }
  Pool& pool_;
  ScratchTape<T>* scratch_;
};

}  // namespace tapegrad::detail
