/// \file
/// Recomputation instead of storage, for one part of a computation (JAX's `checkpoint`,
/// CppAD's checkpoint functions): `checkpoint(f, inputs)` runs f at the inputs' values on
/// a tape of its own, records on the caller's tape only one operation with f's inputs and
/// outputs, and in the reverse sweep records f again at the same inputs and sweeps it.
/// The caller's tape holds f's inputs and outputs instead of f's statements; the gradient
/// costs one more evaluation of f.
///
///   std::vector<tg::Var> y = tg::checkpoint([](std::span<const tg::Var> x) { … }, inputs);
///
/// f takes a span of Vars (or a const std::vector of them) and returns one Var or a
/// std::vector of them. It may read Parameters (their gradients accumulate in the
/// sweep, at their values then) but no Var of the caller's tape except through `inputs`.
/// Works on replay tapes (a RecordedFunction runs f again at each replay) and on tapes of
/// Dual numbers (Hessian-vector products, with f written generically).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "../scalar/var.hpp"
#include "detail/region.hpp"
#include "detail/scratch_tape.hpp"

namespace tapegrad {

namespace detail {
// f, evaluated when recorded and at each replay, and recorded again for the backward.
template <class T, class F>
class RecomputedRegion final : public Region<T> {
 public:
  explicit RecomputedRegion(F f) : f_(std::move(f)) {}
  void forward(std::span<const T> inputs, std::vector<T>& outputs) override {
    inputs_.assign(inputs.begin(), inputs.end());
    const ScratchScope<T> scratch;
    const std::span<const T> y = scratch->record(f_, inputs, "checkpoint");
    outputs.assign(y.begin(), y.end());
  }
  void backward(std::span<const T> output_adjoints, std::span<T> input_adjoints) override {
    const ScratchScope<T> scratch;
    scratch->record(f_, inputs_, "checkpoint");
    scratch->pullback(output_adjoints, input_adjoints);
  }
  std::size_t bytes() const noexcept override { return inputs_.capacity() * sizeof(T); }

 private:
  F f_;
  std::vector<T> inputs_;
};

template <class T, class F>
auto checkpoint_outputs(F&& f, std::span<const BasicVar<T>> inputs) {
  using Function = std::decay_t<F>;
  return record_region<T>(inputs, std::make_unique<RecomputedRegion<T, Function>>(std::forward<F>(f)),
                          "checkpoint");
}
}  // namespace detail

/// f(inputs), recorded on the active tape as one operation that keeps only its inputs and outputs; the
/// reverse sweep records f again on a tape of its own and sweeps it. Returns f's outputs as Vars (one Var
/// when f returns one). Throws tapegrad::Error when an input is not on the active tape, or f returns a Var it
/// did not compute from its inputs; what f throws is thrown with nothing recorded.
///
/// \snippet test_doc_examples.cpp checkpoint
///@{
template <class T, class F>
auto checkpoint(F&& f, std::span<const BasicVar<T>> inputs) {
  std::vector<BasicVar<T>> outputs = detail::checkpoint_outputs<T>(std::forward<F>(f), inputs);
  if constexpr (detail::returns_vars<T, std::decay_t<F>>)
    return outputs;
  else
    return outputs.front();
}
template <class T, class F>
auto checkpoint(F&& f, const std::vector<BasicVar<T>>& inputs) {
  return checkpoint(std::forward<F>(f), std::span<const BasicVar<T>>(inputs));
}
///@}

}  // namespace tapegrad
