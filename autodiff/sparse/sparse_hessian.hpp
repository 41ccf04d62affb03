/// \file
/// Sparse Hessians: the pattern of f's Hessian found once from a recording (pattern.hpp),
/// its columns colored once with ColPack (coloring.hpp), and then at any point the
/// compressed product H·S — one forward-over-reverse sweep per vector_width colors — from
/// which every nonzero is recovered. The number of sweeps grows with the colors, not with
/// n: a banded or stencil Hessian of 10⁶ unknowns costs a few gradients.
///
///   tg::SparseHessian h([](auto x) { … }, x0);   // pattern and coloring, once
///   Eigen::SparseMatrix<double> H = h.at(x);     // values at a new point
///   h.values(x, nonzeros);                       // the same into the pattern's order (for a solver)
///
/// f is written generically (`[](auto x) { … }` over a span), as for hessian(). f may also
/// take parameters, `[](auto x, auto p) { … }`: numbers it reads but is not differentiated
/// in, set by set_parameters() between evaluations without finding the pattern again — the
/// weights of a Lagrangian σ f(x) + Σ λᵢ cᵢ(x), say, whose Hessian in x a constrained solver
/// needs at every iterate with new multipliers. Where f
/// replays (scalar code, with any control flow) the values come from replaying its
/// recording on Dual numbers; a comparison or kink that comes out otherwise at the new
/// point records f again and finds the pattern again (and colors again if it changed), so
/// the matrix is always the new point's. Where every operand a statement is nonlinear in
/// reaches a few inputs (a sum of small terms, in one expression or with named
/// temporaries; the command line's sums) and a row of the pattern has more than 4 nonzeros, H is instead
/// assembled from each statement's local Hessian (assembled_hessian.hpp): one replay and
/// one sweep on plain numbers, and small blocks (from_local_hessians()); then no coloring is made unless
/// coloring() or colors() asks for it. A recording with tensor operations
/// or custom ops is recorded afresh on Dual numbers at every point instead (and its pattern holds dense
/// blocks: pattern.hpp).
#pragma once

#include <Eigen/SparseCore>
#include <functional>
#include <memory>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "../scalar/hessian.hpp"
#include "../scalar/var.hpp"
#include "coloring.hpp"
#include "pattern.hpp"

namespace tapegrad {

/// Whether SparseHessian assembles H from each statement's local Hessian (sparse/assembled_hessian.hpp).
enum class HessianAssembly {
  /// Where the recording allows it and a row of the pattern has more than 4 nonzeros (a band of 5 or wider,
  /// a 5-point stencil), where the colored passes take more than 4 directions: measured, the assembly gains
  /// nothing on fewer (a tridiagonal Hessian's 3 colors).
  Auto,
  /// Wherever the recording allows it.
  Always,
  /// Never: always the colored passes.
  Never,
};

/// The options of SparseHessian.
struct SparseHessianOptions {
  /// Star coloring (every nonzero read directly from one product) or acyclic coloring (fewer colors,
  /// nonzeros recovered by substitution).
  SymmetricColoring coloring = SymmetricColoring::Star;
  /// The most nonzeros the pattern may have: more throws tapegrad::Error while it is found (pattern.hpp).
  std::size_t max_nonzeros = default_max_nonzeros;
  /// When H is assembled from each statement's local Hessian (from_local_hessians()).
  HessianAssembly assembly = HessianAssembly::Auto;
};

namespace detail {
struct SparseHessianState;

// f called with a span of X, or with a vector of them when it does not take spans.
template <class X, class F>
decltype(auto) call_with_span(F& f, std::span<const X> x) {
  if constexpr (std::is_invocable_v<F&, std::span<const X>>)
    return f(x);
  else
    return f(std::vector<X>(x.begin(), x.end()));
}
}  // namespace detail

/// The sparse Hessian of a scalar function: its pattern and coloring found once, its values at any number of
/// points. See sparse_hessian.hpp.
///
/// \snippet test_doc_examples.cpp sparse_hessian
class SparseHessian {
 public:
  /// f recorded on Vars (for the pattern and the replay).
  using Function = std::function<Var(std::span<const Var>)>;
  /// f on Vars of Dual numbers with vector_width tangents (for recordings that do not replay).
  using WideFunction = std::function<WideDualVar(std::span<const WideDualVar>)>;

  /// Records f at x0, finds the Hessian's pattern and colors it. f is a generic function of a span of numbers
  /// returning one. Throws tapegrad::Error when f's output is not on the tape it was recorded on.
  template <class F>
  SparseHessian(F f, std::span<const double> x0, SparseHessianOptions options = {})
      : SparseHessian(as_function(f), as_wide_function(f), x0, options) {}
  /// SparseHessian(f, x0) with x0 as a std::vector.
  template <class F>
  SparseHessian(F f, const std::vector<double>& x0, SparseHessianOptions options = {})
      : SparseHessian(std::move(f), std::span<const double>(x0), options) {}
  /// Records f(x0, p0) for f taking x and parameters p (`[](auto x, auto p) { … }`, both spans of the same
  /// number type), finds the Hessian's pattern in x and colors it. The parameters enter f's values but
  /// are not differentiated; set_parameters() changes them.
  template <class F>
  requires std::is_invocable_v<F&, std::span<const Var>, std::span<const Var>> SparseHessian(
      F f, std::span<const double> x0, std::span<const double> p0, SparseHessianOptions options = {})
      : SparseHessian(as_function(split_parameters(f, x0.size())),
                      as_wide_function(split_parameters(f, x0.size())), x0, p0, options) {}
  /// The same from the two forms of f.
  SparseHessian(Function f, WideFunction wide, std::span<const double> x0, SparseHessianOptions options);
  /// The same from the two forms of f, each taking x followed by the parameters in one span.
  SparseHessian(Function f, WideFunction wide, std::span<const double> x0, std::span<const double> p0,
                SparseHessianOptions options);
  /// Moves the recording, pattern and coloring.
  ///@{
  SparseHessian(SparseHessian&&) noexcept;
  SparseHessian& operator=(SparseHessian&&) noexcept;
  ///@}
  ~SparseHessian();

  /// The number of unknowns.
  std::size_t size() const noexcept;
  /// The Hessian's pattern (both triangles) as last found.
  const SparsityPattern& pattern() const noexcept;
  /// The coloring of the pattern's columns. An assembled Hessian (from_local_hessians()) reads none: it is
  /// made at the first call then (ColPack's star or acyclic coloring, which may throw tapegrad::Error).
  const ColumnColoring& coloring() const;
  /// The number of colors: the directions one evaluation sweeps when H is not assembled (made as coloring()).
  std::size_t colors() const;
  /// How many times the pattern was found: 1, plus one for each point where a branch changed.
  std::size_t patterns_found() const noexcept;
  /// True when the values come from replaying f's recording (false: f is recorded afresh at every point).
  bool replays() const noexcept;
  /// True when H is assembled from each statement's local Hessian (sparse/assembled_hessian.hpp): every
  /// operand a statement of the recording is nonlinear in reaches at most 16 inputs, as in a sum of small
  /// terms, written in one expression or with named temporaries, and SparseHessianOptions::assembly allows
  /// it. Then the replay and sweep of the gradient, the statements' small blocks and those operands' rows
  /// make H, whatever the colors. False when it comes from the colored passes (a term nonlinear in a running
  /// sum over many inputs, tensor operations, no row of more than 4 nonzeros under HessianAssembly::Auto).
  bool from_local_hessians() const noexcept;
  /// The number of parameters f takes after x (0 for f(x)).
  std::size_t parameter_count() const noexcept;
  /// Sets the parameters for the evaluations that follow. Throws tapegrad::Error when `p` has another size
  /// than the parameters f was recorded with.
  void set_parameters(std::span<const double> p);

  /// H(x) as a sparse matrix (both triangles).
  ///@{
  Eigen::SparseMatrix<double> at(std::span<const double> x);
  Eigen::SparseMatrix<double> at(const std::vector<double>& x) { return at(std::span<const double>(x)); }
  ///@}
  /// Writes H(x)'s nonzeros in the order of pattern() (compressed rows) into `nonzeros` and, when it is not
  /// empty, ∇f(x) into `gradient`; returns f(x). Its own buffers are kept between calls. If a branch changed
  /// at x, pattern() may have changed: then `nonzeros` no longer has its size, and values() throws
  /// tapegrad::Error (the overload that takes a std::vector sizes it instead).
  double values(std::span<const double> x, std::span<double> nonzeros, std::span<double> gradient = {});
  /// values() into a std::vector, resized to the pattern at x (after a changed branch found it again) before
  /// it is written: what a solver that meets changing branches calls. Allocates only when the pattern grew.
  double values(std::span<const double> x, std::vector<double>& nonzeros, std::span<double> gradient = {});
  /// The matrix whose nonzeros, in the order of pattern(), are `nonzeros` (what values() wrote).
  Eigen::SparseMatrix<double> matrix(std::span<const double> nonzeros) const;

  /// f, a generic function of a span of numbers (or of a std::vector of them) returning one, as the Function
  /// on Vars a SparseHessian is made from. f is copied into it; std::ref(f) keeps a reference instead, and f
  /// must then outlive the SparseHessian.
  template <class F>
  static Function as_function(F f) {
    return
        [f = std::move(f)](std::span<const Var> x) mutable { return Var(detail::call_with_span<Var>(f, x)); };
  }

 private:
  // f on 8-wide Dual Vars, for recordings that do not replay; empty where f does not take them.
  template <class F>
  static WideFunction as_wide_function(F f) {
    if constexpr (std::is_invocable_v<F&, std::span<const WideDualVar>> ||
                  std::is_invocable_v<F&, const std::vector<WideDualVar>&>)
      return [f = std::move(f)](std::span<const WideDualVar> x) mutable {
        return WideDualVar(detail::call_with_span<WideDualVar>(f, x));
      };
    else
      return {};
  }
  // f(x, p) as a function of the one span x followed by p, taking the spans f takes (so
  // that as_wide_function sees whether f takes Dual Vars).
  template <class F>
  static auto split_parameters(F& f, std::size_t n) {
    return
        [ f, n ]<class X>(std::span<const X> all) mutable requires std::is_invocable_v<F&, std::span<const X>,
                                                                                       std::span<const X>> {
      return f(all.first(n), all.subspan(n));
    };
  }

  std::unique_ptr<detail::SparseHessianState> state_;
};

/// The Hessian of f at x as a sparse matrix (both triangles), through SparseHessian.
///@{
template <class F>
Eigen::SparseMatrix<double> sparse_hessian(F&& f, std::span<const double> x,
                                           SparseHessianOptions options = {}) {
  return SparseHessian(std::forward<F>(f), x, options).at(x);
}
template <class F>
Eigen::SparseMatrix<double> sparse_hessian(F&& f, const std::vector<double>& x,
                                           SparseHessianOptions options = {}) {
  return sparse_hessian(std::forward<F>(f), std::span<const double>(x), options);
}
///@}

/// The Hessian's pattern of f recorded at x (both triangles): pattern.hpp.
template <class F>
SparsityPattern hessian_pattern(F&& f, std::span<const double> x) {
  return SparseHessian(std::forward<F>(f), x).pattern();
}

}  // namespace tapegrad
