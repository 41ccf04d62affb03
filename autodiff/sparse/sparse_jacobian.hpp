/// \file
/// Sparse Jacobians: the pattern of F's Jacobian found once from a recording
/// (pattern.hpp), its columns colored once with ColPack so that no two columns of a color
/// share a row (coloring.hpp), and then at any point the compressed product J·S — forward
/// sweeps over the recorded partials carrying 16 colors' tangents each — from which every
/// nonzero is read. The work grows with the colors, not with n. A pattern with fewer rows
/// than colors (a dense row) is evaluated by reverse sweeps carrying 16 rows each instead.
///
///   tg::SparseJacobian j([](auto x) { … return std::vector{…}; }, x0);
///   Eigen::SparseMatrix<double> J = j.at(x);
///
/// F is written generically, as for jacobian(): a span of numbers to a std::vector of
/// them. Where F replays, each point replays its recording (a changed comparison or kink
/// records F again and finds the pattern again); a recording with custom ops is recorded
/// afresh at every point, and one with tensor operations is swept once per output.
#pragma once

#include <Eigen/SparseCore>
#include <functional>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

#include "../scalar/var.hpp"
#include "coloring.hpp"
#include "pattern.hpp"
#include "sparse_hessian.hpp"

namespace tapegrad {

/// The options of SparseJacobian.
struct SparseJacobianOptions {
  /// The most nonzeros the pattern may have: more throws tapegrad::Error while it is found (pattern.hpp).
  std::size_t max_nonzeros = default_max_nonzeros;
};

namespace detail {
struct SparseJacobianState;
}  // namespace detail

/// The sparse Jacobian of a vector function: its pattern and coloring found once, its values at any number of
/// points. See sparse_jacobian.hpp.
///
/// \snippet test_doc_examples.cpp sparse_jacobian
class SparseJacobian {
 public:
  /// F recorded on Vars.
  using Function = std::function<std::vector<Var>(std::span<const Var>)>;

  /// Records F at x0, finds the Jacobian's pattern and colors its columns. F is a generic function of a span
  /// of numbers returning a std::vector of numbers (or expressions).
  template <class F>
  SparseJacobian(F f, std::span<const double> x0, SparseJacobianOptions options = {})
      : SparseJacobian(as_function(f), x0, options) {}
  /// SparseJacobian(F, x0) with x0 as a std::vector.
  template <class F>
  SparseJacobian(F f, const std::vector<double>& x0, SparseJacobianOptions options = {})
      : SparseJacobian(std::move(f), std::span<const double>(x0), options) {}
  /// The same from F on Vars.
  SparseJacobian(Function f, std::span<const double> x0, SparseJacobianOptions options);
  /// Moves the recording, pattern and coloring.
  ///@{
  SparseJacobian(SparseJacobian&&) noexcept;
  SparseJacobian& operator=(SparseJacobian&&) noexcept;
  ///@}
  ~SparseJacobian();

  /// The number of outputs (rows).
  std::size_t rows() const noexcept;
  /// The number of inputs (columns).
  std::size_t cols() const noexcept;
  /// The Jacobian's pattern as last found.
  const SparsityPattern& pattern() const noexcept;
  /// The coloring of the pattern's columns. Throws tapegrad::Error when the pattern was not colored: when its
  /// rows are so dense (the sum of their squared lengths above 10⁹) that a distance-2 coloring would take
  /// longer than evaluating J by reverse sweeps.
  const ColumnColoring& coloring() const;
  /// The number of colors: the directions one forward sweep carries; 0 when the pattern was not colored.
  /// When there are more colors than rows, J is evaluated by reverse sweeps carrying 16 rows each instead.
  std::size_t colors() const noexcept;
  /// How many times the pattern was found: 1, plus one for each point where a branch changed.
  std::size_t patterns_found() const noexcept;

  /// J(x) as a sparse matrix.
  ///@{
  Eigen::SparseMatrix<double> at(std::span<const double> x);
  Eigen::SparseMatrix<double> at(const std::vector<double>& x) { return at(std::span<const double>(x)); }
  ///@}
  /// Writes J(x)'s nonzeros in the order of pattern() (compressed rows) into `nonzeros` and, when it is not
  /// empty, F(x) into `value`. If a branch changed at x the pattern may have changed: then `nonzeros` no
  /// longer has its size, and values() throws tapegrad::Error (the overload that takes a std::vector sizes it
  /// instead).
  void values(std::span<const double> x, std::span<double> nonzeros, std::span<double> value = {});
  /// values() into a std::vector, resized to the pattern at x (after a changed branch found it again) before
  /// it is written: what a solver that meets changing branches calls. Allocates only when the pattern grew.
  void values(std::span<const double> x, std::vector<double>& nonzeros, std::span<double> value = {});
  /// The matrix whose nonzeros, in the order of pattern(), are `nonzeros` (what values() wrote).
  Eigen::SparseMatrix<double> matrix(std::span<const double> nonzeros) const;

 private:
  template <class F>
  static Function as_function(F& f) {
    return [f](std::span<const Var> x) mutable {
      std::vector<Var> out;
      for (const auto& y : detail::call_with_span<Var>(f, x)) out.emplace_back(y);
      return out;
    };
  }

  std::unique_ptr<detail::SparseJacobianState> state_;
};

/// The Jacobian of F at x as a sparse matrix, through SparseJacobian.
///@{
template <class F>
Eigen::SparseMatrix<double> sparse_jacobian(F&& f, std::span<const double> x) {
  return SparseJacobian(std::forward<F>(f), x).at(x);
}
template <class F>
Eigen::SparseMatrix<double> sparse_jacobian(F&& f, const std::vector<double>& x) {
  return sparse_jacobian(std::forward<F>(f), std::span<const double>(x));
}
///@}

/// The Jacobian's pattern of F recorded at x: pattern.hpp.
template <class F>
SparsityPattern jacobian_pattern(F&& f, std::span<const double> x) {
  return SparseJacobian(std::forward<F>(f), x).pattern();
}

}  // namespace tapegrad
