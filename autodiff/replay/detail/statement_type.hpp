/// \file
/// What a recording observer (scalar/recording_observer.hpp) is told about the C++ type
/// of an expression recorded as a statement, or compared: the only place that needs the
/// type, since the observer is reached through a virtual call. For each expression type
/// E, statement_type<E, T> holds how to encode E's program (program.hpp) and E's
/// compiled kernels (statement_kernels.hpp, sum_run_kernels.hpp), instantiated where E
/// is recorded: scalar/var.hpp and scalar/math.hpp include this file, and nothing here
/// includes them.
#pragma once

#include <cstdint>

#include "../../scalar/recording_observer.hpp"
#include "program.hpp"
#include "statement_kernels.hpp"
#include "sum_run_kernels.hpp"

namespace tapegrad::detail {

// An expression type: encode is null for a type without the expression protocol's
// encode() and RebuildTag constructor, whose statements cannot be recomputed.
template <class T>
struct StatementType {
  std::uint16_t (*encode)(const void* expression, ProgramEncoder<T>& encoder);
  StatementKernel<T> kernel;  // recomputes a run of statements of this type
  SumKernels<T> sums;         // this type as a step of a sum
};

template <class E, class T>
std::uint16_t encode_expression(const void* expression, ProgramEncoder<T>& encoder) {
  return static_cast<const E*>(expression)->encode(encoder);
}

template <class E, class T>
constexpr StatementType<T> statement_type_of() {
  if constexpr (requires(const E& e, ProgramEncoder<T>& encoder, ReplaySource<T>& source) {
                  e.encode(encoder);
                  E(RebuildTag{}, source);
                })
    return {&encode_expression<E, T>, &replay_statements<E, T>, sum_kernels_for<E, T>()};
  else
    return {nullptr, nullptr, {}};
}
template <class E, class T>
inline constexpr StatementType<T> statement_type = statement_type_of<E, T>();

// One side of a comparison: a number, a Var or an expression.
template <class T>
struct ComparisonSide {
  const void* side;
  std::uint16_t (*encode)(const void* side, ProgramEncoder<T>& encoder);
};

template <class T, class X>
std::uint16_t encode_comparison_side(const void* side, ProgramEncoder<T>& encoder) {
  return encode_side(encoder, *static_cast<const X*>(side));
}
template <class T, class X>
ComparisonSide<T> comparison_side(const X& x) {
  return {&x, &encode_comparison_side<T, X>};
}

}  // namespace tapegrad::detail
