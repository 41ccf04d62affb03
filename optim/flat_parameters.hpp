/// \file
/// All of an optimizer's parameters seen as one flat vector of doubles, in order: what
/// the methods that work on the whole vector at once (L-BFGS, Newton, Newton-CG) read
/// and move. Each Parameter keeps its own type; values pass through double, which holds
/// a float exactly.
#pragma once

#include <Eigen/Core>
#include <type_traits>
#include <utility>
#include <vector>

#include "optimizer.hpp"

namespace tapegrad::optim {

/// Several Parameters as one flat vector of doubles (float Parameters converted), in the order given: the
/// view Newton-type methods and L-BFGS work in.
class FlatParameters {
 public:
  /// Views `parameters` (not owned; they must outlive this).
  explicit FlatParameters(std::vector<ParameterRef> parameters) : parameters_(std::move(parameters)) {}

  /// The Parameters.
  const std::vector<ParameterRef>& refs() const { return parameters_; }

  /// The total number of entries.
  Eigen::Index size() const {
    Eigen::Index n = 0;
    for (const ParameterRef& p : parameters_) n += p.size();
    return n;
  }
  /// Every gradient, concatenated.
  Eigen::VectorXd gradient() const {
    Eigen::VectorXd g(size());
    Eigen::Index offset = 0;
    for (const ParameterRef& p : parameters_)
      p.visit([&](auto& parameter) {
        g.segment(offset, parameter.size()) = parameter.grad().reshaped().template cast<double>();
        offset += parameter.size();
      });
    return g;
  }
  /// Every value, concatenated.
  Eigen::VectorXd values() const {
    Eigen::VectorXd x(size());
    Eigen::Index offset = 0;
    for (const ParameterRef& p : parameters_)
      p.visit([&](auto& parameter) {
        x.segment(offset, parameter.size()) = parameter.value().reshaped().template cast<double>();
        offset += parameter.size();
      });
    return x;
  }
  /// Sets every value from `x`, which has size() entries, each rounded once into its Parameter's type.
  void set_values(const Eigen::VectorXd& x) const {
    Eigen::Index offset = 0;
    for (const ParameterRef& p : parameters_)
      p.visit([&](auto& parameter) {
        using T = typename std::decay_t<decltype(parameter)>::value_type;
        parameter.value().reshaped() = x.segment(offset, parameter.size()).template cast<T>();
        offset += parameter.size();
      });
  }
  /// θ ← θ + step·direction, rounded once into each parameter's own type.
  void add(double step, const Eigen::VectorXd& direction) const {
    Eigen::Index offset = 0;
    for (const ParameterRef& p : parameters_)
      p.visit([&](auto& parameter) {
        using T = typename std::decay_t<decltype(parameter)>::value_type;
        auto x = parameter.value().reshaped();
        const auto update = direction.segment(offset, parameter.size());
        for (Eigen::Index i = 0; i < parameter.size(); ++i) x(i) += static_cast<T>(step * update(i));
        offset += parameter.size();
      });
  }
  /// Zeroes every gradient.
  void zero_grad() const {
    for (const ParameterRef& p : parameters_) p.visit([](auto& parameter) { parameter.zero_grad(); });
  }

 private:
  std::vector<ParameterRef> parameters_;
};

}  // namespace tapegrad::optim
