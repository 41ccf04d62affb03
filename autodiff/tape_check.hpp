// What a tape in check_finite mode keeps for the backward pass (see
// BasicTape::Options::check_finite): for each tensor statement, its operation, its shape
// and its adjoint buffer, and the report when an adjoint turns out NaN or infinite. The
// forward pass's checks are in finite_check.hpp and tensor_finite_check.hpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "error.hpp"

namespace tapegrad::detail {

// "(i, j)" for entry k of a column-major matrix with `rows` rows.
inline std::string entry_text(std::size_t k, std::size_t rows) {
  return "(" + std::to_string(k % rows) + ", " + std::to_string(k / rows) + ")";
}

template <class T>
class CheckedTensors {
 public:
  struct Info {
    std::uint32_t statement;
    const char* operation;
    std::uint32_t rows, cols;
    const T* adjoint;  // a Parameter's is its gradient; null for data
  };

  // Statements are recorded in increasing order, so the list stays sorted.
  void add(std::uint32_t statement, const char* operation, std::uint32_t rows, std::uint32_t cols,
           const T* adjoint) {
    infos_.push_back({statement, operation, rows, cols, adjoint});
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
    if (entry >= 0) what += " at entry " + entry_text(static_cast<std::size_t>(entry), tensor->rows);
  } else if (label != nullptr && !label->empty()) {
    what = "v" + std::to_string(s) + " = " + *label;
  } else {
    what = "v" + std::to_string(s) + " (an input)";
  }
  std::string value = "a non-finite value";
  if constexpr (std::is_arithmetic_v<T>)
    value = std::isnan(adjoint) ? "NaN" : (adjoint > 0 ? "+inf" : "-inf");
  throw NonFiniteError("tapegrad: check_finite: in the backward pass, the adjoint of " + what + " became " +
                           value +
                           " (the sum of what the operations reading it passed back overflowed or was NaN)",
                       "backward");
}

}  // namespace tapegrad::detail
