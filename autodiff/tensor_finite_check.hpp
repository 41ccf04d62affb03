// check_finite mode for tensor operations (see BasicTape::Options::check_finite): a
// result with a NaN or an infinity stops the recording with a NonFiniteError naming the
// operation, the first bad entry and its index, and each input's shape and its value
// at that entry (through broadcasting), or its first bad entry.
#pragma once

#include <Eigen/Core>
#include <initializer_list>
#include <string>

#include "finite_check.hpp"
#include "tensor.hpp"

namespace tapegrad::detail {

inline std::string entry_text(Eigen::Index k, Eigen::Index rows) {
  return entry_text(static_cast<std::size_t>(k), static_cast<std::size_t>(rows));
}

// What an input held where the output went bad.
template <class T>
std::string input_text(const BasicTensor<T>& input, Eigen::Index i, Eigen::Index j, Eigen::Index rows,
                       Eigen::Index cols) {
  std::string text = input.shape();
  const bool broadcasts =
      rows > 0 && (input.rows() == rows || input.rows() == 1) && (input.cols() == cols || input.cols() == 1);
  if (broadcasts) {
    const Eigen::Index ii = input.rows() == 1 ? 0 : i, jj = input.cols() == 1 ? 0 : j;
    const Eigen::Index k = ii + jj * input.rows();
    return text + " with " + number_text(input.data()[k]) + " at " + entry_text(k, input.rows());
  }
  for (Eigen::Index k = 0; k < input.size(); ++k)
    if (!is_finite(input.data()[k]))
      return text + " with " + number_text(input.data()[k]) + " at " + entry_text(k, input.rows());
  return text + ", all finite";
}

template <class T>
[[noreturn]] void throw_non_finite_tensor(const char* operation, const char* what, const T& bad,
                                          Eigen::Index k, Eigen::Index rows, Eigen::Index cols,
                                          std::initializer_list<BasicTensor<T>> inputs) {
  const Eigen::Index i = k % rows, j = k / rows;
  std::string message = std::string("tapegrad: check_finite: in the forward pass, ") + operation + " gave " +
                        what + number_text(bad) + " at entry " + entry_text(k, rows) + " of its " +
                        std::to_string(rows) + "×" + std::to_string(cols) + " result";
  int n = 0;
  for (const BasicTensor<T>& input : inputs) {
    message += n == 0 ? "; inputs: " : ", ";
    message += "#" + std::to_string(++n) + " " + input_text(input, i, j, rows, cols);
  }
  throw NonFiniteError(message, "forward");
}

// The values of a result just computed by `operation` from `inputs`.
template <class T>
void check_tensor_finite(const char* operation, const T* values, Eigen::Index rows, Eigen::Index cols,
                         std::initializer_list<BasicTensor<T>> inputs) {
  for (Eigen::Index k = 0; k < rows * cols; ++k)
    if (!is_finite(values[k])) [[unlikely]]
      throw_non_finite_tensor(operation, "", values[k], k, rows, cols, inputs);
}

// A reduction's or a loss's value, and the partials it keeps for its backward.
template <class T>
void check_reduction_finite(const char* operation, const T& value, const T* partials, Eigen::Index size,
                            std::initializer_list<BasicTensor<T>> inputs) {
  const BasicTensor<T>& first = *inputs.begin();
  if (!is_finite(value)) {
    std::string message = std::string("tapegrad: check_finite: in the forward pass, ") + operation +
                          " gave " + number_text(value);
    int n = 0;
    for (const BasicTensor<T>& input : inputs) {
      message += n == 0 ? "; inputs: " : ", ";
      message += "#" + std::to_string(++n) + " " + input_text(input, 0, 0, 0, 0);
    }
    throw NonFiniteError(message, "forward");
  }
  if (partials != nullptr)
    for (Eigen::Index k = 0; k < size; ++k)
      if (!is_finite(partials[k])) [[unlikely]]
        throw_non_finite_tensor(operation, "a derivative of ", partials[k], k, first.rows(), first.cols(),
                                inputs);
}

}  // namespace tapegrad::detail
