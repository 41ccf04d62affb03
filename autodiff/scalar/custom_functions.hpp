/// \file
/// Where a tape keeps the backward functions of user-defined operations (custom_op.hpp):
/// std::function objects cannot live in the arena, so they sit in a vector, and the
/// statement's hook carries the function's position in it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "../support/error.hpp"

namespace tapegrad {

/// The backward function of a user-defined operation: receives the adjoint of the
/// operation's output and adds the adjoint contribution of each input into `inputs`
/// (which starts zeroed, one entry per input).
template <class T>
using CustomBackward = std::function<void(const T& output_adjoint, std::span<T> input_adjoints)>;

namespace detail {

// How many functions and inputs were stored at a point of the recording.
struct CustomFunctionsMark {
  std::uint32_t functions = 0;
  std::uint32_t inputs = 0;
};

template <class T>
class CustomFunctions {
 public:
  using Mark = CustomFunctionsMark;

  // Stores `backward` for a statement reading `inputs`; returns its position.
  // `held_bytes` is what `backward` keeps alive (a checkpointed region's snapshots), which
  // bytes_in_use() counts.
  std::size_t add(std::span<const std::uint32_t> inputs, CustomBackward<T> backward,
                  std::size_t held_bytes = 0) {
    functions_.push_back({static_cast<std::uint32_t>(inputs_.size()),
                          static_cast<std::uint32_t>(inputs.size()), std::move(backward), held_bytes});
    inputs_.insert(inputs_.end(), inputs.begin(), inputs.end());
    held_bytes_ += held_bytes;
    return functions_.size() - 1;
  }

  // Runs function `position` with the output's adjoint; accumulate() then adds what
  // it gave each input into `adjoints`.
  void run(std::size_t position, const T& output_adjoint) {
    const Function& f = functions_[position];
    scratch_.assign(f.num_inputs, T(0));
    f.backward(output_adjoint, std::span<T>(scratch_));
  }
  void accumulate(std::size_t position, T* adjoints) const {
    const Function& f = functions_[position];
    for (std::uint32_t i = 0; i < f.num_inputs; ++i) adjoints[inputs_[f.first_input + i]] += scratch_[i];
  }

  Mark mark() const noexcept {
    return {static_cast<std::uint32_t>(functions_.size()), static_cast<std::uint32_t>(inputs_.size())};
  }
  void release_to(const Mark& mark) {
    for (std::size_t f = mark.functions; f < functions_.size(); ++f) held_bytes_ -= functions_[f].held_bytes;
    functions_.resize(mark.functions);
    inputs_.resize(mark.inputs);
  }
  void clear() { release_to({}); }
  // The functions, their inputs' indices and what they hold.
  std::size_t bytes_in_use() const noexcept {
    return functions_.size() * sizeof(Function) + inputs_.size() * sizeof(std::uint32_t) + held_bytes_;
  }
  std::size_t bytes_reserved() const noexcept {
    return functions_.capacity() * sizeof(Function) + inputs_.capacity() * sizeof(std::uint32_t) +
           held_bytes_;
  }

 private:
  struct Function {
    std::uint32_t first_input;
    std::uint32_t num_inputs;
    CustomBackward<T> backward;
    std::size_t held_bytes;
  };
  std::vector<Function> functions_;
  std::vector<std::uint32_t> inputs_;
  std::size_t held_bytes_ = 0;  // the functions' held_bytes, summed
  std::vector<T> scratch_;
};

}  // namespace detail
}  // namespace tapegrad
