/// \file
/// Gradients and Jacobians of recorded Vars. gradient() sweeps only the part of the
/// tape between the inputs and the output, so taking a gradient inside a larger
/// recording (see Tape::position/rewind) costs only the sub-computation.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "sweep.hpp"
#include "var.hpp"

namespace tapegrad {

namespace detail {
[[noreturn, gnu::noinline]] inline void throw_constant_input(const char* operation, std::size_t position) {
  throw Error(std::string("") + operation + ": input " + std::to_string(position) +
              " is a constant (a default-constructed Var), not a Var on the tape");
}
template <class T>
void check_input(const BasicTape<T>& tape, const BasicVar<T>& x, std::size_t position,
                 const char* operation) {
  if (!x.is_recorded()) [[unlikely]]
    throw_constant_input(operation, position);
  tape.check_var(x.index(), x.generation(), operation);
}
}  // namespace detail

/// Writes df/dx_j into out[j]. Allocates nothing once the tape has grown to size.
template <class T>
void gradient(const BasicVar<T>& f, std::span<const BasicVar<T>> xs, std::span<T> out) {
  BasicTape<T>& tape = BasicTape<T>::active_or_throw("gradient");
  if (out.size() != xs.size())
    throw Error("gradient: output has " + std::to_string(out.size()) + " entries for " +
                std::to_string(xs.size()) + " inputs");
  tape.check_var(f.index(), f.generation(), "gradient (output)");
  std::uint32_t lo = f.index();
  for (std::size_t j = 0; j < xs.size(); ++j) {
    detail::check_input(tape, xs[j], j, "gradient");
    lo = std::min(lo, xs[j].index());
  }
  const std::uint32_t hi = f.index();
  if (!f.is_recorded() || xs.empty()) {  // a constant output depends on nothing
    std::fill(out.begin(), out.end(), T(0));
    return;
  }
  tape.zero_adjoints(lo, hi);
  tape.adjoint_data()[hi] = T(1);
  tape.sweep(hi, lo);
  const T* adjoint = tape.adjoint_data();
  for (std::size_t j = 0; j < xs.size(); ++j) out[j] = xs[j].index() <= hi ? adjoint[xs[j].index()] : T(0);
}

/// The gradient of `f` with respect to each of `xs` (their adjoints after one reverse sweep on the active
/// tape), in their order; a Var that f does not depend on gets 0. Throws tapegrad::Error when f or a Var of
/// xs is not on the active tape. Costs one sweep of the statements between the earliest of xs and f.
///
/// \snippet test_doc_examples.cpp gradient
template <class T>
std::vector<T> gradient(const BasicVar<T>& f, std::span<const BasicVar<T>> xs) {
  std::vector<T> g(xs.size());
  gradient(f, xs, std::span<T>(g));
  return g;
}
/// gradient() with the inputs as a braced list: `gradient(f, {x, y})`.
template <class T>
std::vector<T> gradient(const BasicVar<T>& f, std::initializer_list<BasicVar<T>> xs) {
  return gradient(f, std::span<const BasicVar<T>>(xs.begin(), xs.size()));
}
/// gradient() with the inputs as a std::vector.
template <class T>
std::vector<T> gradient(const BasicVar<T>& f, const std::vector<BasicVar<T>>& xs) {
  return gradient(f, std::span<const BasicVar<T>>(xs));
}

/// The output may be an expression not yet assigned to a Var (gradient(x * x, {x})): it
/// is recorded first.
template <Expression E, class T = typename E::value_type>
requires(!std::is_same_v<E, BasicVar<T>>) std::vector<T> gradient(const E& f,
                                                                  std::initializer_list<BasicVar<T>> xs) {
  return gradient(BasicVar<T>(f), std::span<const BasicVar<T>>(xs.begin(), xs.size()));
}
/// gradient() of an expression not yet assigned to a Var (gradient(x * x, {x})): it is recorded first.
template <Expression E, class T = typename E::value_type>
requires(!std::is_same_v<E, BasicVar<T>>) std::vector<T> gradient(const E& f,
                                                                  std::span<const BasicVar<T>> xs) {
  return gradient(BasicVar<T>(f), xs);
}
/// gradient() of an expression, with the inputs as a std::vector.
template <Expression E, class T = typename E::value_type>
requires(!std::is_same_v<E, BasicVar<T>>) std::vector<T> gradient(const E& f,
                                                                  const std::vector<BasicVar<T>>& xs) {
  return gradient(BasicVar<T>(f), std::span<const BasicVar<T>>(xs));
}

namespace detail {
// How many outputs one reverse sweep of jacobian() carries: 16 amortize the walk over the
// operands well, and fewer keep the adjoints (statements × this numbers) within 256 MB.
inline std::size_t jacobian_rows_per_sweep(std::size_t statements, std::size_t bytes_per_number) {
  const std::size_t budget =
      (std::size_t{256} << 20) / (bytes_per_number * std::max<std::size_t>(statements, 1));
  return std::clamp<std::size_t>(budget, 1, 16);
}
}  // namespace detail

/// J(i, j) = dfs[i]/dxs[j] over one recording: reverse sweeps carrying up to 16 outputs' adjoints each
/// (vector mode), or one sweep per output where there is one output, the recording has tensor operations or
/// custom backward functions between the inputs and the outputs, or the tape checks finite values.
///
/// The rows of a vector-mode sweep follow forward mode's rule for a partial that is not finite (along(),
/// along.hpp): a zero adjoint adds nothing through it, so a NaN partial (log x · x^c of x^c at x < 0) reaches
/// only the rows of outputs that depend on it. A sweep of one output, as gradient() makes, multiplies it by
/// the zero adjoint too (0 · NaN), and can give NaN in a row whose output does not depend on it.
template <class T>
Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> jacobian(std::span<const BasicVar<T>> fs,
                                                          std::span<const BasicVar<T>> xs) {
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> j(fs.size(), xs.size());
  if (fs.empty() || xs.empty()) return j;
  BasicTape<T>& tape = BasicTape<T>::active_or_throw("jacobian");
  std::uint32_t lo = 0xffffffffu, hi = 0;
  for (std::size_t k = 0; k < xs.size(); ++k) {
    detail::check_input(tape, xs[k], k, "jacobian");
    lo = std::min(lo, xs[k].index());
  }
  for (const BasicVar<T>& f : fs) {
    tape.check_var(f.index(), f.generation(), "jacobian (output)");
    if (f.is_recorded()) lo = std::min(lo, f.index()), hi = std::max(hi, f.index());
  }
  if (fs.size() == 1 || hi == 0 || tape.checking_finite() || tape.has_hooks_between(lo, hi)) {
    std::vector<T> row(xs.size());
    for (std::size_t i = 0; i < fs.size(); ++i) {
      gradient(fs[i], xs, std::span<T>(row));
      for (std::size_t k = 0; k < xs.size(); ++k) j(i, k) = row[k];
    }
    return j;
  }
  const RecordingArrays<const T> recording = tape.view();
  const bool finite =
      detail::partials_finite_between(recording.statement_end, recording.operand_partial, lo, hi);
  std::vector<T> adjoints;
  const std::size_t per_sweep = detail::jacobian_rows_per_sweep(std::size_t{hi} + 1, sizeof(T));
  for (std::size_t first = 0; first < fs.size(); first += per_sweep) {
    const std::size_t rows = std::min(per_sweep, fs.size() - first);
    adjoints.assign((std::size_t{hi} + 1) * rows, T(0));
    for (std::size_t r = 0; r < rows; ++r)
      if (fs[first + r].is_recorded()) adjoints[std::size_t{fs[first + r].index()} * rows + r] = T(1);
    detail::sweep_rows_reverse(recording.statement_end, recording.operand_index, recording.operand_partial,
                               adjoints.data(), rows, hi, lo, finite);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t k = 0; k < xs.size(); ++k)
        j(static_cast<Eigen::Index>(first + r), static_cast<Eigen::Index>(k)) =
            xs[k].index() <= hi ? adjoints[std::size_t{xs[k].index()} * rows + r] : T(0);
  }
  return j;
}
/// jacobian() with braced lists of Vars.
template <class T>
Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> jacobian(std::initializer_list<BasicVar<T>> fs,
                                                          std::initializer_list<BasicVar<T>> xs) {
  return jacobian(std::span<const BasicVar<T>>(fs.begin(), fs.size()),
                  std::span<const BasicVar<T>>(xs.begin(), xs.size()));
}
/// jacobian() with std::vectors of Vars.
template <class T>
Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> jacobian(const std::vector<BasicVar<T>>& fs,
                                                          const std::vector<BasicVar<T>>& xs) {
  return jacobian(std::span<const BasicVar<T>>(fs), std::span<const BasicVar<T>>(xs));
}
/// Outputs written as expressions (jacobian({x * 2.0, x + y}, {x, y})): a braced list of
/// mixed expression types names no single template argument, so double and float get
/// plain overloads whose Var lists record each expression.
///@{
inline Eigen::MatrixXd jacobian(std::initializer_list<Var> fs, std::initializer_list<Var> xs) {
  return jacobian<double>(fs, xs);
}
inline Eigen::MatrixXf jacobian(std::initializer_list<FloatVar> fs, std::initializer_list<FloatVar> xs) {
  return jacobian<float>(fs, xs);
}
///@}

}  // namespace tapegrad
