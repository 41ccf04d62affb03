/// \file
/// The bases of the Newton-type methods. CurvatureOptimizer holds what every method that needs the Hessian
/// shares: all parameters as one flat vector in one group, the options and the counters in state_dict(), and
/// the refusal of a step() without the curvature (minimize() supplies it, or a caller that has both).
/// SecondOrderOptimizer adds what Newton and Newton-CG share: a direction from the curvature, then a line
/// search along it (strong Wolfe as L-BFGS's, line_search.hpp, or backtracking on the Armijo condition) from
/// the options' lr, the first step length tried (1, the Newton step). TrustNewtonCg derives from
/// CurvatureOptimizer itself: a trust radius, not a line search, sets its step length.
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

/// The base of every optimizer that needs the Hessian (Newton, NewtonCg, TrustNewtonCg): all parameters as
/// one flat vector in one group, the options (Options with fields(), each saved by state_dict()), the counts
/// of Hessian-vector products and of indefinite steps, and step() and step(closure) refused for want of the
/// curvature. Derived has a `name`, `static void validate(const Options&)` and step(closure, curvature), and
/// the learning rate that fits its step length.
template <class Derived, class Options>
class CurvatureOptimizer : public Optimizer {
 public:
  /// The type of the options.
  using options_type = Options;
  /// It needs the Hessian (Hessian-vector products) of the loss: for the command line, whose train command
  /// computes none and so does not offer it.
  static constexpr bool needs_hessian = true;

  /// True: the method evaluates the closure itself, and needs the curvature too; call step(closure,
  /// curvature), as minimize() does.
  bool evaluates_closure() const override { return true; }
  /// \copydoc tapegrad::optim::Optimizer::needs_curvature
  bool needs_curvature() const override { return true; }
  /// Throws tapegrad::Error: the method needs step(closure, curvature).
  void step() override { throw curvature_missing(); }
  /// Throws tapegrad::Error: the method needs step(closure, curvature).
  double step(const Closure&) override { throw curvature_missing(); }
  /// One iteration of the method, given the closure and the second derivatives at the parameters.
  double step(const Closure& closure, const Curvature& curvature) override = 0;

  /// \copydoc tapegrad::optim::Optimizer::state_dict
  StateDict state_dict() const override {
    StateDict dict;
    dict.optimizer = Derived::name;
    save_options(dict, options_, "group.0.");
    dict.entries["state.indefinite_steps"] = {static_cast<double>(indefinite_steps_)};
    dict.entries["state.hessian_vector_products"] = {static_cast<double>(products_)};
    return dict;
  }
  /// \copydoc tapegrad::optim::Optimizer::load_state_dict
  void load_state_dict(const StateDict& dict) override { keep(read_state(dict)); }

  /// \copydoc tapegrad::optim::Optimizer::parameters
  std::vector<ParameterRef> parameters() const override { return parameters_.refs(); }
  /// \copydoc tapegrad::optim::Optimizer::zero_grad
  void zero_grad() const override { parameters_.zero_grad(); }
  /// \copydoc tapegrad::optim::Optimizer::group_count
  std::size_t group_count() const override { return 1; }

  /// The options.
  const Options& options() const { return options_; }
  /// Steps that met an indefinite Hessian: Newton's that needed a multiple of the identity added, Newton-CG's
  /// whose conjugate gradients met non-positive curvature, trust-region Newton-CG's accepted steps whose
  /// conjugate gradients did.
  long indefinite_steps() const { return indefinite_steps_; }
  /// Hessian-vector products made over the optimizer's life (a dense Hessian counts n, a sparse one its
  /// colors, one assembled from local Hessians none).
  long hessian_vector_products() const { return products_; }

 protected:
  /// Optimizes `parameters` (one flat vector) with `options`; throws tapegrad::Error when an option is out of
  /// range (check()).
  CurvatureOptimizer(std::vector<ParameterRef> parameters, const Options& options)
      : parameters_(std::move(parameters)), options_(options) {
    check(options_);
  }

  /// Throws tapegrad::Error naming the option out of range: an enum option holding none of its values, or
  /// one that Derived::validate() refuses.
  static void check(const Options& o) {
    require_listed_values(Derived::name, o);
    Derived::validate(o);
  }

  /// What read_state() takes from a state, checked, for keep() to take in.
  struct SavedState {
    Options options;        ///< the options, checked
    long indefinite_steps;  ///< the count indefinite_steps() returns
    long products;          ///< the count hessian_vector_products() returns
  };
  /// The options and the counts that state_dict() saved in `dict`, checked; throws tapegrad::Error naming the
  /// entry that is missing, is another optimizer's or breaks an option's rule. Changes nothing, so a Derived
  /// that saves more reads and checks its own entries too before it keeps any.
  SavedState read_state(const StateDict& dict) const {
    dict.check_written_by(Derived::name);
    Options o = options_;
    load_options(dict, o, "group.0.");
    check(o);
    return {o, saved_count(dict, "state.indefinite_steps"),
            saved_count(dict, "state.hessian_vector_products")};
  }
  /// Takes in what read_state() read.
  void keep(const SavedState& saved) {
    options_ = saved.options;
    indefinite_steps_ = saved.indefinite_steps;
    products_ = saved.products;
  }
  /// The entry `key` of `dict` as a count (throws as StateDict::scalar() does).
  static long saved_count(const StateDict& dict, const char* key) {
    return static_cast<long>(dict.scalar(key));
  }

  /// The parameters as one flat vector.
  FlatParameters parameters_;
  /// The options (a scheduler may change the learning rate).
  Options options_;
  /// The count indefinite_steps() returns.
  long indefinite_steps_ = 0;
  /// The count hessian_vector_products() returns.
  long products_ = 0;

 private:
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

/// The base of the line-search Newton-type methods (Newton, NewtonCg): a direction from the curvature, then a
/// line search along it from the options' lr. Derived provides `Eigen::VectorXd direction(const Curvature&,
/// const Eigen::VectorXd& g)` (a descent direction at the current point) besides what CurvatureOptimizer
/// asks; Options has lr and line_search.
template <class Derived, class Options>
class SecondOrderOptimizer : public CurvatureOptimizer<Derived, Options> {
  using Base = CurvatureOptimizer<Derived, Options>;

 public:
  using Base::step;

  /// One iteration: f and g at x, the method's direction, a line search along it.
  double step(const Closure& closure, const Curvature& curvature) final {
    const double f = closure();
    const Eigen::VectorXd g = this->parameters_.gradient();
    const Eigen::VectorXd p = static_cast<Derived&>(*this).direction(curvature, g);
    search(closure, f, g, p);
    return f;
  }

  /// \copydoc tapegrad::optim::Optimizer::learning_rate
  double learning_rate(std::size_t) const override { return this->options_.lr; }
  /// \copydoc tapegrad::optim::Optimizer::set_learning_rate
  void set_learning_rate(std::size_t, double lr) override {
    Options o = this->options_;
    o.lr = lr;
    Base::check(o);
    this->options_ = o;
  }

 protected:
  /// Optimizes `parameters` (one flat vector) with `options`.
  SecondOrderOptimizer(std::vector<ParameterRef> parameters, const Options& options)
      : Base(std::move(parameters), options) {}

 private:
  // Moves the parameters from x (where f and g were taken) along the descent direction
  // d by a step the line search accepts, starting from lr.
  void search(const Closure& closure, double f, const Eigen::VectorXd& g, const Eigen::VectorXd& d) {
    FlatParameters& parameters = this->parameters_;
    const Options& options = this->options_;
    const double gtd = g.dot(d);
    const Eigen::VectorXd x = parameters.values();
    if (options.line_search == StepSearch::StrongWolfe) {
      const auto evaluate = [&](double t) {
        parameters.set_values(x);
        parameters.add(t, d);
        const double ft = closure();
        return std::pair{ft, parameters.gradient()};
      };
      const LineSearchResult r = strong_wolfe(evaluate, options.lr, d, f, g, gtd);
      parameters.set_values(x);
      parameters.add(r.t, d);
      return;
    }
    // Armijo backtracking, halving from lr; the last trial stands if none is accepted
    // (minimize() then sees f not decrease and stops).
    double t = options.lr;
    for (int k = 0; k < 60; ++k, t /= 2) {
      parameters.set_values(x);
      parameters.add(t, d);
      const double ft = closure();
      if (std::isfinite(ft) && ft <= f + 1e-4 * t * gtd) break;
    }
  }
};

}  // namespace tapegrad::optim
