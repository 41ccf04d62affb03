/// \file
/// User-defined operations: a function tapegrad has no rule for (a library call, an
/// implicit function, a fused kernel) joins the tape like a built-in. Give its value and
/// either its local partials or a backward function that maps the output's adjoint to
/// the inputs' adjoints.
#pragma once

#include <concepts>
#include <cstdint>
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

// The hook of a statement with a user-defined backward: `data` is the function's
// position in the tape's CustomFunctions.
template <class T>
void run_custom_function(BasicTape<T>& tape, std::uint32_t statement, const void* data) {
  const auto position = reinterpret_cast<std::uintptr_t>(data);
  const std::size_t statements_before = tape.num_nodes();
  tape.custom_functions().run(position, tape.adjoint_at(statement));
  if (tape.num_nodes() != statements_before)
    throw Error("a custom_op backward function recorded on the tape during the reverse sweep");
  tape.custom_functions().accumulate(position, tape.adjoint_data());
}
}  // namespace detail

/// A Var y = value on the active tape, with dy/d(inputs[i]) = partials[i]: an operation
/// the tape does not know, computed by the caller with its own derivative. Throws
/// tapegrad::Error when the counts differ or an input is not on the active tape.
///
/// \snippet test_doc_examples.cpp custom_op
template <class T>
BasicVar<T> custom_op(const T& value, std::span<const BasicVar<T>> inputs, std::span<const T> partials) {
  if (inputs.size() != partials.size())
    throw Error("custom_op: " + std::to_string(inputs.size()) + " inputs but " +
                std::to_string(partials.size()) + " partials");
  BasicTape<T>& tape = BasicTape<T>::active_or_throw("custom_op");
  std::vector<std::uint32_t> indices, generations;
  detail::split_inputs(inputs, indices, generations);
  const std::uint32_t index = tape.record_operands(indices, generations, partials);
  if (tape.annotating()) tape.annotations().annotate(index, value, "custom_op");
  return BasicVar<T>(typename BasicVar<T>::Recorded{}, value, index, tape.generation());
}
/// custom_op() with the inputs and partials as std::vectors.
template <class T>
BasicVar<T> custom_op(const T& value, const std::vector<BasicVar<T>>& inputs,
                      const std::vector<T>& partials) {
  return custom_op(value, std::span<const BasicVar<T>>(inputs), std::span<const T>(partials));
}

/// y = value; during the reverse sweep, backward(adjoint of y, adjoints of inputs) adds
/// each input's contribution into the second argument (zeroed, one entry per input).
///@{
template <class T, class Backward>
requires std::invocable<Backward&, const T&, std::span<T>> BasicVar<T> custom_op(
    const T& value, std::span<const BasicVar<T>> inputs, Backward backward) {
  BasicTape<T>& tape = BasicTape<T>::active_or_throw("custom_op");
  std::vector<std::uint32_t> indices, generations;
  detail::split_inputs(inputs, indices, generations);
  for (std::size_t i = 0; i < indices.size(); ++i) tape.check_var(indices[i], generations[i], "custom_op");
  CustomBackward<T> function(std::move(backward));
  if (!function) throw Error("custom_op: the backward function is empty");
  const std::size_t position = tape.custom_functions().add(indices, std::move(function));
  const std::uint32_t index = tape.record_hook(
      &detail::run_custom_function<T>, reinterpret_cast<const void*>(static_cast<std::uintptr_t>(position)));
  if (tape.annotating()) tape.annotations().annotate(index, value, "custom_op (backward function)");
  return BasicVar<T>(typename BasicVar<T>::Recorded{}, value, index, tape.generation());
}
template <class T, class Backward>
requires std::invocable<Backward&, const T&, std::span<T>> BasicVar<T> custom_op(
    const T& value, const std::vector<BasicVar<T>>& inputs, Backward backward) {
  return custom_op(value, std::span<const BasicVar<T>>(inputs), std::move(backward));
}
///@}

}  // namespace tapegrad
