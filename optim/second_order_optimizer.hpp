// What Newton and Newton-CG share: all parameters as one flat vector, one parameter
// group whose "learning rate" is the first step length the line search tries (1, the
// Newton step), and the line search itself: strong Wolfe (line_search.hpp, as L-BFGS)
// or backtracking on the Armijo condition. Each step() is one iteration of the method;
// it needs the closure and the curvature, so it is driven by minimize() or by a caller
// that supplies both.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "../autodiff/support/enum_names.hpp"
#include "flat_parameters.hpp"
#include "line_search.hpp"
#include "optimizer.hpp"

namespace tapegrad::optim {

enum class StepSearch { StrongWolfe, Backtracking };
constexpr EnumNames<StepSearch, 2> enum_names(StepSearch) {
  return {{{StepSearch::StrongWolfe, "strong-wolfe"}, {StepSearch::Backtracking, "backtracking"}}};
}

class SecondOrderOptimizer : public Optimizer {
 public:
  bool evaluates_closure() const override { return true; }
  bool needs_curvature() const override { return true; }
  void step() override { throw_needs_curvature(); }
  double step(const Closure&) override { throw_needs_curvature(); }

  std::vector<ParameterRef> parameters() const override { return parameters_.refs(); }
  void zero_grad() const override { parameters_.zero_grad(); }
  std::size_t group_count() const override { return 1; }
  double learning_rate(std::size_t) const override { return lr_; }
  void set_learning_rate(std::size_t, double lr) override {
    require(lr > 0, name_, "lr", lr, "must be > 0");
    lr_ = lr;
  }

  // Iterations whose Hessian needed a multiple of the identity added (Newton), or whose
  // conjugate gradients met negative curvature (Newton-CG).
  long indefinite_steps() const { return indefinite_steps_; }

 protected:
  SecondOrderOptimizer(const char* name, std::vector<ParameterRef> parameters, double lr)
      : name_(name), parameters_(std::move(parameters)), lr_(lr) {
    require(lr > 0, name, "lr", lr, "must be > 0");
  }

  // Moves the parameters from x (where f and g were taken) along the descent direction
  // d by a step the line search accepts, and returns f there.
  double search(const Closure& closure, StepSearch kind, double f, const Eigen::VectorXd& g,
                const Eigen::VectorXd& d) {
    const double gtd = g.dot(d);
    const Eigen::VectorXd x = parameters_.values();
    if (kind == StepSearch::StrongWolfe) {
      const auto evaluate = [&](double t) {
        parameters_.set_values(x);
        parameters_.add(t, d);
        const double ft = closure();
        return std::pair{ft, parameters_.gradient()};
      };
      const LineSearchResult r = strong_wolfe(evaluate, lr_, d, f, g, gtd);
      parameters_.set_values(x);
      parameters_.add(r.t, d);
      return r.f;
    }
    // Armijo backtracking, halving from lr; the last trial stands if none is accepted
    // (minimize() then sees f not decrease and stops).
    double t = lr_, ft = f;
    for (int k = 0; k < 60; ++k, t /= 2) {
      parameters_.set_values(x);
      parameters_.add(t, d);
      ft = closure();
      if (std::isfinite(ft) && ft <= f + 1e-4 * t * gtd) break;
    }
    return ft;
  }

  [[noreturn]] void throw_needs_curvature() const {
    throw Error(std::string("tapegrad: ") + name_ +
                " needs the Hessian: call step(closure, curvature), or use minimize() with f "
                "written generically ([](auto x) { … }) so that it can be differentiated twice");
  }

  const char* name_;
  FlatParameters parameters_;
  double lr_;
  long indefinite_steps_ = 0;
};

}  // namespace tapegrad::optim
