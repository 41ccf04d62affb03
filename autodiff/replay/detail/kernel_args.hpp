/// \file
/// What a replay's compiled kernels (statement_kernels.hpp, sum_run_kernels.hpp) and the sum-run sweep
/// (sum_runs.hpp) work on: the recording's arrays, by pointer.
#pragma once

#include <cstdint>

namespace tapegrad::detail {

template <class T>
struct KernelArgs {
  const std::uint32_t* statement_end;  // statement s's operands end at statement_end[s]
  std::uint32_t* operand_index;
  const T* numbers;                    // the constants the statements' expressions use
  const std::uint32_t* numbers_begin;  // where statement s's numbers start
  T* values;
  T* partials;  // indexed like operand_index
  std::uint32_t generation;
};

}  // namespace tapegrad::detail
