/// \file
/// What Newton and Newton-CG share: all parameters as one flat vector, one parameter
/// group whose "learning rate" is the first step length the line search tries (1, the
/// Newton step), the line search itself (strong Wolfe as L-BFGS's, line_search.hpp, or
/// backtracking on the Armijo condition), and state_dict() from the options' fields.
/// Each step() is one iteration: f and g, the method's direction, the line search. It
/// needs the closure and the curvature, so minimize() drives it (or a caller that
/// supplies both).
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../autodiff/support/enum_names.hpp"
#include "flat_parameters.hpp"
#include "line_search.hpp"
#include "optimizer.hpp"

namespace tapegrad::optim {

/// How a Newton-type method chooses the step length along its direction.
enum class StepSearch {
  StrongWolfe,  ///< a line search for the strong Wolfe conditions (the one L-BFGS uses)
  Backtracking  ///< halve the step from lr until the Armijo condition holds
};
/// The names of StepSearch's values, for the command line.
constexpr EnumNames<StepSearch, 2> enum_names(StepSearch) {
  return {{{StepSearch::StrongWolfe, "strong-wolfe"}, {StepSearch::Backtracking, "backtracking"}}};
}

/// Derived provides `Eigen::VectorXd direction(const Curvature&, const Eigen::VectorXd& g)`
/// (a descent direction at the current point) and `static void validate(const Options&)`;
/// Options has lr, line_search and fields(), whose every field state_dict() saves.
/// The base of the Newton-type methods (Newton, NewtonCg): all parameters as one flat vector, a direction
/// from the curvature, a line search along it, and a state_dict() of the options and counters. Derived
/// supplies direction() and validate().
template <class Derived, class Options>
class SecondOrderOptimizer : public Optimizer {
 public:
  /// The type of the options.
  using options_type = Options;

  /// True: a Newton-type method evaluates the closure itself, and needs the curvature too;
  /// call step(closure, curvature), as minimize() does.
  bool evaluates_closure() const override { return true; }
  /// \copydoc tapegrad::optim::Optimizer::needs_curvature
  bool needs_curvature() const override { return true; }
  /// Throws tapegrad::Error: a Newton-type method needs step(closure, curvature).
  void step() override { throw curvature_missing(); }
  /// Throws tapegrad::Error: a Newton-type method needs step(closure, curvature).
  double step(const Closure&) override { throw curvature_missing(); }

  /// One iteration: f and g at x, the method's direction, a line search along it.
  double step(const Closure& closure, const Curvature& curvature) final {
    const double f = closure();
    const Eigen::VectorXd g = parameters_.gradient();
    const Eigen::VectorXd p = static_cast<Derived&>(*this).direction(curvature, g);
    search(closure, f, g, p);
    return f;
  }

  /// \copydoc tapegrad::optim::Optimizer::state_dict
  StateDict state_dict() const override {
    StateDict dict;
    dict.optimizer = Derived::name;
    Options::fields(options_, [&](const char* field, const auto& value) {
      dict.entries[std::string("group.0.") + field] = {static_cast<double>(value)};
    });
    dict.entries["state.indefinite_steps"] = {static_cast<double>(indefinite_steps_)};
    dict.entries["state.hessian_vector_products"] = {static_cast<double>(products_)};
    return dict;
  }
  /// \copydoc tapegrad::optim::Optimizer::load_state_dict
  void load_state_dict(const StateDict& dict) override {
    dict.check_written_by(Derived::name);
    Options o = options_;
    Options::fields(o, [&](const char* field, auto& value) {
      using V = std::remove_cvref_t<decltype(value)>;
      const double saved = dict.scalar(std::string("group.0.") + field);
      if constexpr (std::is_enum_v<V>)
        value = static_cast<V>(static_cast<int>(saved));
      else
        value = static_cast<V>(saved);
    });
    Derived::validate(o);
    options_ = o;
    indefinite_steps_ = static_cast<long>(dict.scalar("state.indefinite_steps"));
    products_ = static_cast<long>(dict.scalar("state.hessian_vector_products"));
  }

  /// \copydoc tapegrad::optim::Optimizer::parameters
  std::vector<ParameterRef> parameters() const override { return parameters_.refs(); }
  /// \copydoc tapegrad::optim::Optimizer::zero_grad
  void zero_grad() const override { parameters_.zero_grad(); }
  /// \copydoc tapegrad::optim::Optimizer::group_count
  std::size_t group_count() const override { return 1; }
  /// \copydoc tapegrad::optim::Optimizer::learning_rate
  double learning_rate(std::size_t) const override { return options_.lr; }
  /// \copydoc tapegrad::optim::Optimizer::set_learning_rate
  void set_learning_rate(std::size_t, double lr) override {
    Options o = options_;
    o.lr = lr;
    Derived::validate(o);
    options_ = o;
  }
  /// The options.
  const Options& options() const { return options_; }

  /// Iterations whose Hessian needed a multiple of the identity added (Newton), or whose
  /// conjugate gradients met non-positive curvature (Newton-CG).
  long indefinite_steps() const { return indefinite_steps_; }
  /// Hessian-vector products over the optimizer's life (a dense Hessian counts n).
  long hessian_vector_products() const { return products_; }

 protected:
  /// Optimizes `parameters` (one flat vector) with `options`.
  SecondOrderOptimizer(std::vector<ParameterRef> parameters, const Options& options)
      : parameters_(std::move(parameters)), options_(options) {
    Derived::validate(options_);
  }

  /// The parameters as one flat vector.
  FlatParameters parameters_;
  /// The options (the learning rate may be changed by a scheduler).
  Options options_;
  /// The count indefinite_steps() returns.
  long indefinite_steps_ = 0;
  /// The count hessian_vector_products() returns.
  long products_ = 0;

 private:
  // Moves the parameters from x (where f and g were taken) along the descent direction
  // d by a step the line search accepts, starting from lr.
  void search(const Closure& closure, double f, const Eigen::VectorXd& g, const Eigen::VectorXd& d) {
    const double gtd = g.dot(d);
    const Eigen::VectorXd x = parameters_.values();
    if (options_.line_search == StepSearch::StrongWolfe) {
      const auto evaluate = [&](double t) {
        parameters_.set_values(x);
        parameters_.add(t, d);
        const double ft = closure();
        return std::pair{ft, parameters_.gradient()};
      };
      const LineSearchResult r = strong_wolfe(evaluate, options_.lr, d, f, g, gtd);
      parameters_.set_values(x);
      parameters_.add(r.t, d);
      return;
    }
    // Armijo backtracking, halving from lr; the last trial stands if none is accepted
    // (minimize() then sees f not decrease and stops).
    double t = options_.lr;
    for (int k = 0; k < 60; ++k, t /= 2) {
      parameters_.set_values(x);
      parameters_.add(t, d);
      const double ft = closure();
      if (std::isfinite(ft) && ft <= f + 1e-4 * t * gtd) break;
    }
  }

  static Error curvature_missing() {
    // Appended piece by piece: g++ 12 warns falsely (-Warray-bounds) on literal + string.
    std::string message;
    message += Derived::name;
    message +=
        " needs the Hessian: call step(closure, curvature), or use minimize() with f written generically "
        "([](auto x) { … }) so that it can be differentiated twice";
    return Error(message);
  }
};

}  // namespace tapegrad::optim
