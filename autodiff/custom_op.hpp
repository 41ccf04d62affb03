// User-defined operations: a function tapegrad has no rule for (a library call, an
// implicit function, a fused kernel) joins the tape like a built-in. Give its value and
// either its local partials or a backward function that maps the output's adjoint to
// the inputs' adjoints.
#pragma once

#include <concepts>
#include <span>
#include <string>
#include <vector>

#include "var.hpp"

namespace tapegrad {

namespace detail {
template <class T>
void split_inputs(std::span<const BasicVar<T>> inputs, std::vector<std::uint32_t>& indices,
                  std::vector<std::uint32_t>& generations) {
  indices.reserve(inputs.size());
  generations.reserve(inputs.size());
  for (const BasicVar<T>& x : inputs) {
    indices.push_back(x.index());
    generations.push_back(x.generation());
  }
}
}  // namespace detail

// y = value, with dy/d(inputs[i]) = partials[i].
template <class T>
BasicVar<T> custom_op(const T& value, std::span<const BasicVar<T>> inputs, std::span<const T> partials) {
  if (inputs.size() != partials.size())
    throw Error("tapegrad: custom_op: " + std::to_string(inputs.size()) + " inputs but " +
                std::to_string(partials.size()) + " partials");
  BasicTape<T>& tape = BasicTape<T>::active_or_throw("custom_op");
  std::vector<std::uint32_t> indices, generations;
  detail::split_inputs(inputs, indices, generations);
  const std::uint32_t index = tape.record_operands(indices, generations, partials);
  if (tape.annotating()) tape.annotate(index, value, "custom_op");
  return BasicVar<T>(typename BasicVar<T>::Recorded{}, value, index, tape.generation());
}
template <class T>
BasicVar<T> custom_op(const T& value, const std::vector<BasicVar<T>>& inputs,
                      const std::vector<T>& partials) {
  return custom_op(value, std::span<const BasicVar<T>>(inputs), std::span<const T>(partials));
}

// y = value; during the reverse sweep, backward(adjoint of y, adjoints of inputs) adds
// each input's contribution into the second argument (zeroed, one entry per input).
template <class T, class Backward>
requires std::invocable<Backward&, const T&, std::span<T>> BasicVar<T> custom_op(
    const T& value, std::span<const BasicVar<T>> inputs, Backward backward) {
  BasicTape<T>& tape = BasicTape<T>::active_or_throw("custom_op");
  std::vector<std::uint32_t> indices, generations;
  detail::split_inputs(inputs, indices, generations);
  const std::uint32_t index =
      tape.record_custom(indices, generations, CustomBackward<T>(std::move(backward)));
  if (tape.annotating()) tape.annotate(index, value, "custom_op (backward function)");
  return BasicVar<T>(typename BasicVar<T>::Recorded{}, value, index, tape.generation());
}
template <class T, class Backward>
requires std::invocable<Backward&, const T&, std::span<T>> BasicVar<T> custom_op(
    const T& value, const std::vector<BasicVar<T>>& inputs, Backward backward) {
  return custom_op(value, std::span<const BasicVar<T>>(inputs), std::move(backward));
}

}  // namespace tapegrad
