/// \file
/// Preaccumulation (CoDiPack's term; Griewank's "vertex elimination" of a local
/// region): a part of a computation with few inputs and outputs and many operations is
/// recorded on a tape of its own, its Jacobian computed there at once, and the caller's
/// tape records only that Jacobian: one statement per output, with one operand per input.
///
///   tg::Var y = tg::preaccumulate([](std::span<const tg::Var> x) { …200 operations… }, {a, b, c});
///
/// The caller's tape then holds 4 + 12·n bytes per output (n inputs, double) instead of
/// the region's statements, and its sweep does n multiply-adds per output. The region is
/// recorded and swept once, when it is recorded, so this pays when the region has many
/// more operations than inputs × outputs. The region must consist of scalar operations
/// (no tensor operation, Parameter or custom_op, whose backward writes elsewhere). A
/// replay cannot recompute the stored Jacobian: a RecordedFunction refuses a function
/// that preaccumulates (NotReplayable, as for a custom_op), and minimize() then records
/// it at each evaluation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "../scalar/tape.hpp"
#include "../scalar/var.hpp"
#include "../support/error.hpp"
#include "detail/scratch_tape.hpp"

namespace tapegrad {

/// f(inputs) recorded on the active tape as its Jacobian: each output one statement whose operands are the
/// inputs, with the partials computed on a tape of f's own (one reverse sweep per output). Returns one Var
/// when f returns one, else a std::vector. Throws tapegrad::Error when an input is not on the active tape or
/// f records an operation with a backward of its own; what f throws is thrown with nothing recorded.
///
/// \snippet test_doc_examples.cpp preaccumulate
///@{
template <class T, class F>
auto preaccumulate(F&& f, std::span<const BasicVar<T>> inputs) {
  BasicTape<T>& tape = BasicTape<T>::active_or_throw("preaccumulate");
  const detail::ScratchScope<T> scope;
  detail::ScratchTape<T>& scratch = *scope;
  const std::size_t n = inputs.size();
  scratch.indices.clear();
  scratch.generations.clear();
  scratch.numbers.resize(n);
  for (std::size_t j = 0; j < n; ++j) {
    tape.check_var(inputs[j].index(), inputs[j].generation(), "preaccumulate");
    scratch.indices.push_back(inputs[j].index());
    scratch.generations.push_back(inputs[j].generation());
    scratch.numbers[j] = inputs[j].value();
  }
  const std::span<const T> outputs = scratch.record(f, scratch.numbers, "preaccumulate");
  if (scratch.tape().has_hooks_between(0, static_cast<std::uint32_t>(scratch.tape().num_nodes())))
    throw Error(
        "preaccumulate: the region records a tensor operation, a Parameter or a custom_op, whose "
        "backward writes outside the region's Jacobian; preaccumulate scalar operations only");
  // Row i of the Jacobian: the pullback of the i-th unit vector.
  std::vector<T>& jacobian = scratch.more_numbers;
  std::vector<T>& seed = scratch.numbers;
  jacobian.resize(outputs.size() * n);
  seed.assign(outputs.size(), T(0));
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    seed[i] = T(1);
    scratch.pullback(seed, std::span<T>(jacobian).subspan(i * n, n));
    seed[i] = T(0);
  }
  const auto record_output = [&](std::size_t i) {
    const std::uint32_t s = tape.record_operands(scratch.indices, scratch.generations,
                                                 std::span<const T>(jacobian).subspan(i * n, n),
                                                 "a preaccumulated region (its Jacobian)");
    if (tape.annotating()) tape.annotations().annotate(s, outputs[i], "preaccumulate");
    return BasicVar<T>(typename BasicVar<T>::Recorded{}, outputs[i], s, tape.generation());
  };
  if constexpr (detail::returns_vars<T, std::decay_t<F>>) {
    std::vector<BasicVar<T>> recorded;
    recorded.reserve(outputs.size());
    for (std::size_t i = 0; i < outputs.size(); ++i) recorded.push_back(record_output(i));
    return recorded;
  } else {
    return record_output(0);
  }
}
template <class T, class F>
auto preaccumulate(F&& f, const std::vector<BasicVar<T>>& inputs) {
  return preaccumulate(std::forward<F>(f), std::span<const BasicVar<T>>(inputs));
}
///@}

}  // namespace tapegrad
