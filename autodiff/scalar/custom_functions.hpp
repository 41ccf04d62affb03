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
  std::size_t add(std::span<const std::uint32_t> inputs, CustomBackward<T> backward) {
    functions_.push_back({static_cast<std::uint32_t>(inputs_.size()),
                          static_cast<std::uint32_t>(inputs.size()), std::move(backward)});
    inputs_.insert(inputs_.end(), inputs.begin(), inputs.end());
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
    functions_.resize(mark.functions);
    inputs_.resize(mark.inputs);
  }
  void clear() { release_to({}); }
  std::size_t bytes_in_use() const noexcept { return inputs_.size() * sizeof(std::uint32_t); }
  std::size_t bytes_reserved() const noexcept { return inputs_.capacity() * sizeof(std::uint32_t); }

 private:
  struct Function {
    std::uint32_t first_input;
    std::uint32_t num_inputs;
    CustomBackward<T> backward;
  };
  std::vector<Function> functions_;
  std::vector<std::uint32_t> inputs_;
  std::vector<T> scratch_;
};

}  // namespace detail
}  // namespace tapegrad
