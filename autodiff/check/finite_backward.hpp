/// \file
/// check_finite mode, in the backward pass (see BasicTape::Options::check_finite): what
/// the tape keeps for each tensor statement (its operation, shape and adjoint buffer),
/// the checked sweep, and the report when an adjoint turns out NaN or infinite. The
/// forward pass's checks are in finite_forward.hpp. The tape includes this file, so it
/// depends on support/ and the tape's tensor_adjoints.hpp only.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "../scalar/tensor_adjoints.hpp"
#include "../support/error.hpp"

namespace tapegrad::detail {

// "(i, j)" for entry k of a column-major matrix with `rows` rows, for any integer types
// (Eigen's signed indices, the tape's unsigned ones). Appended piece by piece: g++ 12
// reports a false -Wrestrict on `"(" + std::to_string(…)` once this is inlined.
template <std::integral Entry, std::integral Rows>
std::string entry_text(Entry entry, Rows rows) {
  const auto k = static_cast<std::size_t>(entry), r = static_cast<std::size_t>(rows);
  std::string text = "(";
  text += std::to_string(k % r);
  text += ", ";
  text += std::to_string(k / r);
  text += ')';
  return text;
}

template <class T>
class CheckedTensors {
 public:
  struct Info {
    std::uint32_t statement;
    const char* operation;
    std::uint32_t rows, cols;
    const T* adjoint;  // a Parameter's is its gradient; null for data
    const AdjointState* state;
  };

  // Statements are recorded in increasing order, so the list stays sorted.
  void add(std::uint32_t statement, const char* operation, std::uint32_t rows, std::uint32_t cols,
           const T* adjoint, const AdjointState* state) {
    infos_.push_back({statement, operation, rows, cols, adjoint, state});
  }
  void clear() { infos_.clear(); }
  void drop_from(std::uint32_t statement) {
    std::erase_if(infos_, [&](const Info& t) { return t.statement >= statement; });
  }
  const Info* find(std::uint32_t statement) const {
    const auto it = std::lower_bound(infos_.begin(), infos_.end(), statement,
                                     [](const Info& t, std::uint32_t s) { return t.statement < s; });
    return it != infos_.end() && it->statement == statement ? &*it : nullptr;
  }

 private:
  std::vector<Info> infos_;
};

// Thrown when the sweep reaches statement s with a non-finite adjoint: `tensor` is its
// tensor (or null), `label` its expression text (or null), `entry` the bad entry of a
// tensor's buffer (or −1 for the scalar adjoint).
template <class T>
[[noreturn, gnu::noinline]] void throw_non_finite_adjoint(std::uint32_t s,
                                                          const typename CheckedTensors<T>::Info* tensor,
                                                          const std::string* label, const T& adjoint,
                                                          std::ptrdiff_t entry) {
  std::string what;
  if (tensor != nullptr) {
    what = std::string(tensor->operation) + " (" + std::to_string(tensor->rows) + "×" +
           std::to_string(tensor->cols) + ")";
    if (entry >= 0) what += " at entry " + entry_text(entry, tensor->rows);
  } else if (label != nullptr && !label->empty()) {
    what = "v" + std::to_string(s) + " = " + *label;
  } else {
    what = "v" + std::to_string(s) + " (an input)";
  }
  std::string value = "a non-finite value";
  if constexpr (std::is_arithmetic_v<T>)
    value = std::isnan(adjoint) ? "NaN" : (adjoint > 0 ? "+inf" : "-inf");
  throw NonFiniteError("check_finite: in the backward pass, the adjoint of " + what + " became " + value +
                           " (the sum of what the operations reading it passed back overflowed or was NaN)",
                       "backward");
}

// The sweep of check_finite mode: statement by statement, and before a statement passes
// its adjoint on, that adjoint (and its tensor's adjoint buffer) must be finite. Its
// adjoint is complete then, so the first bad one found is where the backward pass first
// went wrong. Each statement is swept by the tape's own unchecked sweep.
template <class Tape, class T>
void sweep_checked(Tape& tape, const CheckedTensors<T>& tensors, std::uint32_t hi, std::uint32_t lo) {
  using std::isfinite;
  for (std::uint32_t s = hi; s > lo; --s) {
    const T& adjoint = tape.adjoint_data()[s];
    const auto* tensor = tensors.find(s);
    if (!isfinite(adjoint)) [[unlikely]]
      throw_non_finite_adjoint<T>(s, tensor, tape.annotations().label(s), adjoint, -1);
    // A buffer no one wrote in this sweep is zero, whatever it holds.
    if (tensor != nullptr && tensor->adjoint != nullptr && tensor->state->written_in(tape.sweep_number()))
      for (std::size_t k = 0; k < std::size_t{tensor->rows} * tensor->cols; ++k)
        if (!isfinite(tensor->adjoint[k])) [[unlikely]]
          throw_non_finite_adjoint<T>(s, tensor, nullptr, tensor->adjoint[k], static_cast<std::ptrdiff_t>(k));
    tape.sweep_without_finite_checks(s, s - 1);
  }
}

}  // namespace tapegrad::detail
