/// \file
/// The base of the per-parameter optimizers (SGD, Adam, RMSprop…): parameter groups with
/// their own Options, a step count and named buffers per parameter, and a state_dict
/// built from them. A new optimizer is one small class deriving from
/// GroupedOptimizer<Self, Options>, with a name, its buffer_names, validate(options) and
/// update(options, state, x, grad, n); tests/optim/test_user_optimizer.cpp has a complete
/// one in fifteen lines.
///
/// update() sees the parameter's values and gradient as flat arrays in its own type, so
/// one template serves float and double parameters.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <string>
#include <variant>
#include <vector>

#include "optimizer.hpp"

namespace tapegrad::optim {

/// What an optimizer keeps for one parameter: how many steps it has taken, its buffers
/// (momentum, moment estimates…), each empty until the optimizer creates it, and the
/// numbers an optimizer keeps per parameter (NAdam's μ product, ASGD's η and μ), which
/// update() sets on the first step. Those numbers are doubles whatever T is, as
/// PyTorch's are Python floats or 0-d tensors of the default (double) type.
template <class T>
struct ParameterState {
  /// Steps taken with this parameter (PyTorch's state["step"]).
  long step = 0;
  /// The optimizer's buffers for this parameter, in the order of its `buffer_names`; each empty until
  /// update() creates it with buffer().
  std::vector<Eigen::Array<T, Eigen::Dynamic, 1>> buffers;
  /// The optimizer's per-parameter numbers, in the order of its `scalar_names`.
  std::vector<double> scalars;

  /// True once buffer `buffer` has been created.
  bool has(std::size_t buffer) const { return buffers[buffer].size() != 0; }
  /// The buffer, created as n zeros on first use.
  T* buffer(std::size_t buffer, Eigen::Index n) {
    if (buffers[buffer].size() != n) buffers[buffer] = Eigen::Array<T, Eigen::Dynamic, 1>::Zero(n);
    return buffers[buffer].data();
  }
};

namespace detail {

// The update kernels work on blocks of this many entries: several Eigen array
// statements per block keep every array in L1 between statements, so each buffer is
// read and written once per step, and Eigen vectorizes sqrt and division (a plain loop
// calling std::sqrt does not vectorize, since the call may set errno).
inline constexpr Eigen::Index kernel_block = 256;

template <class T>
using Column = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using BlockArray = Eigen::Array<T, Eigen::Dynamic, 1, Eigen::ColMajor, kernel_block, 1>;

// Calls kernel(start, length) for consecutive blocks covering [0, n).
template <class Kernel>
void for_each_block(Eigen::Index n, Kernel&& kernel) {
  for (Eigen::Index start = 0; start < n; start += kernel_block)
    kernel(start, std::min(kernel_block, n - start));
}

// The gradient every PyTorch update starts from: −∇f when maximizing, plus λ·θ only
// when λ ≠ 0 (0·∞ would be NaN).
template <class T>
BlockArray<T> effective_gradient(const T* grad, const T* x, Eigen::Index length, bool maximize,
                                 double weight_decay) {
  BlockArray<T> g = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>(grad, length);
  if (maximize) g = -g;
  if (weight_decay != 0)
    g += static_cast<T>(weight_decay) * Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>(x, length);
  return g;
}

// Calls kernel(g, xs, i) for consecutive blocks: g the block's effective gradient
// (above), xs the block of the parameter's values starting at entry i.
template <class T, class Kernel>
void for_each_gradient_block(T* x, const T* grad, Eigen::Index n, bool maximize, double weight_decay,
                             Kernel&& kernel) {
  for_each_block(n, [&](Eigen::Index i, Eigen::Index length) {
    kernel(effective_gradient(grad + i, x + i, length, maximize, weight_decay), Column<T>(x + i, length), i);
  });
}

// from ← lerp(from, to, weight) by torch.lerp's formula (Adam's and RMSprop's running
// means): exact at both ends, whichever side the weight is nearer.
template <class T, class To>
void lerp_in_place(Column<T> from, const To& to, T weight) {
  if (weight < T(0.5))
    from += weight * (to - from);
  else
    from = to - (to - from) * (T(1) - weight);
}

}  // namespace detail

/// An optimizer's per-parameter numbers, by name: its `scalar_names`, or none.
template <class Derived>
constexpr auto scalar_names_of() {
  if constexpr (requires { Derived::scalar_names; })
    return Derived::scalar_names;
  else
    return std::array<const char*, 0>{};
}

/// The base of the per-parameter optimizers: parameter groups, each with its own Options, and per-parameter
/// state (ParameterState) that state_dict() saves under PyTorch's names. Derived is the optimizer itself (the
/// curiously recurring template pattern), which provides `name`, `buffer_names`, `validate(options)` and
/// `update(options, state, x, grad, n)`; see this file's description for a new optimizer in fifteen lines.
template <class Derived, class Options>
class GroupedOptimizer : public Optimizer {
 public:
  /// The options type of every parameter group.
  using options_type = Options;

  /// A parameter group: its Parameters and their options.
  struct Group {
    /// The group's Parameters.
    std::vector<ParameterRef> parameters;
    /// The group's options (a scheduler may change their lr).
    Options options;
  };

  /// Optimizes `parameters` as one group with `options`; add_param_group() adds more. Throws tapegrad::Error
  /// when an option is out of its range.
  GroupedOptimizer(std::vector<ParameterRef> parameters, Options options = {}) {
    add_param_group(std::move(parameters), options);
  }

  /// Another group of parameters, with its own hyperparameters.
  void add_param_group(std::vector<ParameterRef> parameters, Options options) {
    Derived::validate(options);
    for (const ParameterRef& p : parameters) states_.push_back(new_state(p));
    groups_.push_back({std::move(parameters), options});
  }

  /// \copydoc tapegrad::optim::Optimizer::step()
  void step() override {
    std::size_t k = 0;
    for (Group& group : groups_) {
      for (const ParameterRef& p : group.parameters) {
        State& state = states_[k++];
        p.visit([&](auto& parameter) {
          using T = typename std::decay_t<decltype(parameter)>::value_type;
          auto& s = std::get<ParameterState<T>>(state);
          const Eigen::Index kept = buffer_size(s);
          if (kept != 0 && kept != parameter.size())
            throw Error(std::string("") + Derived::name + "::step: a parameter of " + std::to_string(kept) +
                        " entries was resized to " + parameter.shape() +
                        " after the optimizer started using it");
          if (parameter.grad().size() != parameter.size())
            throw Error(std::string("") + Derived::name + "::step: a " + parameter.shape() +
                        " parameter has a gradient of " + std::to_string(parameter.grad().size()) +
                        " entries");
          s.step += 1;
          derived().update(group.options, s, parameter.value().data(), parameter.grad().data(),
                           parameter.size());
        });
      }
    }
  }

  using Optimizer::step;

  /// \copydoc tapegrad::optim::Optimizer::state_dict
  StateDict state_dict() const override {
    constexpr auto scalar_names = scalar_names_of<Derived>();
    StateDict dict;
    dict.optimizer = Derived::name;
    std::size_t k = 0;
    for (std::size_t g = 0; g < groups_.size(); ++g) {
      const std::string group = "group." + std::to_string(g) + ".";
      save_options(dict, groups_[g].options, group);
      dict.entries[group + "parameters"] = {static_cast<double>(groups_[g].parameters.size())};
      for (std::size_t i = 0; i < groups_[g].parameters.size(); ++i) {
        const std::string prefix = "param." + std::to_string(g) + "." + std::to_string(i) + ".";
        std::visit(
            [&](const auto& s) {
              dict.entries[prefix + "step"] = {static_cast<double>(s.step)};
              for (std::size_t b = 0; b < Derived::buffer_names.size(); ++b)
                if (s.has(b))
                  dict.entries[prefix + Derived::buffer_names[b]] =
                      std::vector<double>(s.buffers[b].data(), s.buffers[b].data() + s.buffers[b].size());
              if (s.step > 0)
                for (std::size_t c = 0; c < scalar_names.size(); ++c)
                  dict.entries[prefix + scalar_names[c]] = {s.scalars[c]};
            },
            states_[k++]);
      }
    }
    return dict;
  }

  /// \copydoc tapegrad::optim::Optimizer::load_state_dict
  void load_state_dict(const StateDict& dict) override {
    dict.check_written_by(Derived::name);
    constexpr auto scalar_names = scalar_names_of<Derived>();
    // Everything is checked and read into copies first, so a bad state changes nothing.
    std::vector<Group> groups = groups_;
    std::vector<State> states = states_;
    std::size_t k = 0;
    for (std::size_t g = 0; g < groups.size(); ++g) {
      const std::string group = "group." + std::to_string(g) + ".";
      const double count = dict.scalar(group + "parameters");
      if (count != static_cast<double>(groups[g].parameters.size()))
        throw Error("load_state_dict: group " + std::to_string(g) + " has " +
                    std::to_string(groups[g].parameters.size()) + " parameters, the state has " +
                    std::to_string(static_cast<long>(count)));
      load_options(dict, groups[g].options, group);
      Derived::validate(groups[g].options);
      for (std::size_t i = 0; i < groups[g].parameters.size(); ++i) {
        const std::string prefix = "param." + std::to_string(g) + "." + std::to_string(i) + ".";
        const Eigen::Index size = groups[g].parameters[i].size();
        std::visit(
            [&](auto& s) {
              using T = typename std::decay_t<decltype(s.buffers)>::value_type::Scalar;
              s = ParameterState<T>{static_cast<long>(dict.scalar(prefix + "step")), empty_buffers<T>(),
                                    std::vector<double>(scalar_names.size())};
              if (s.step > 0)
                for (std::size_t c = 0; c < scalar_names.size(); ++c)
                  s.scalars[c] = dict.scalar(prefix + scalar_names[c]);
              for (std::size_t b = 0; b < Derived::buffer_names.size(); ++b) {
                if (dict.entries.count(prefix + Derived::buffer_names[b]) == 0) continue;
                const std::vector<double>& v =
                    dict.at(prefix + Derived::buffer_names[b], static_cast<std::size_t>(size));
                s.buffers[b] = Eigen::Map<const Eigen::ArrayXd>(v.data(), size).template cast<T>();
              }
            },
            states[k++]);
      }
    }
    if (dict.entries.count("group." + std::to_string(groups.size()) + ".parameters") != 0)
      throw Error("load_state_dict: the state has more parameter groups than this optimizer's " +
                  std::to_string(groups.size()));
    groups_ = std::move(groups);
    states_ = std::move(states);
  }

  /// \copydoc tapegrad::optim::Optimizer::zero_grad
  void zero_grad() const override {
    for (const Group& g : groups_)
      for (const ParameterRef& p : g.parameters) p.visit([](auto& parameter) { parameter.zero_grad(); });
  }

  /// \copydoc tapegrad::optim::Optimizer::parameters
  std::vector<ParameterRef> parameters() const override {
    std::vector<ParameterRef> all;
    for (const Group& g : groups_) all.insert(all.end(), g.parameters.begin(), g.parameters.end());
    return all;
  }
  /// \copydoc tapegrad::optim::Optimizer::group_count
  std::size_t group_count() const override { return groups_.size(); }
  /// \copydoc tapegrad::optim::Optimizer::learning_rate
  double learning_rate(std::size_t group) const override { return groups_.at(group).options.lr; }
  /// \copydoc tapegrad::optim::Optimizer::set_learning_rate
  void set_learning_rate(std::size_t group, double lr) override { set_hyperparameter(group, "lr", lr); }
  /// \copydoc tapegrad::optim::Optimizer::hyperparameter
  std::optional<double> hyperparameter(std::size_t group, const std::string& name) const override {
    std::optional<double> found;
    visit_numeric_option(groups_.at(group).options, name,
                         [&](const auto& value) { found = static_cast<double>(value); });
    return found;
  }
  /// Validated on a copy first, so a refused value changes nothing.
  void set_hyperparameter(std::size_t group, const std::string& name, double v) override {
    Options options = groups_.at(group).options;
    if (!visit_numeric_option(options, name,
                              [&](auto& value) { value = static_cast<std::decay_t<decltype(value)>>(v); }))
      Optimizer::set_hyperparameter(group, name, v);
    Derived::validate(options);
    groups_[group].options = options;
  }
  /// The options of parameter group `group`.
  const Options& options(std::size_t group = 0) const { return groups_.at(group).options; }

 private:
  using State = std::variant<ParameterState<float>, ParameterState<double>>;

  Derived& derived() { return static_cast<Derived&>(*this); }

  template <class T>
  static std::vector<Eigen::Array<T, Eigen::Dynamic, 1>> empty_buffers() {
    return std::vector<Eigen::Array<T, Eigen::Dynamic, 1>>(Derived::buffer_names.size());
  }
  static State new_state(const ParameterRef& p) {
    constexpr auto scalar_names = scalar_names_of<Derived>();
    if (p.is_float())
      return ParameterState<float>{0, empty_buffers<float>(), std::vector<double>(scalar_names.size())};
    return ParameterState<double>{0, empty_buffers<double>(), std::vector<double>(scalar_names.size())};
  }
  // The size the state's buffers were made for (0 before any exists).
  template <class T>
  static Eigen::Index buffer_size(const ParameterState<T>& s) {
    for (const auto& b : s.buffers)
      if (b.size() != 0) return b.size();
    return 0;
  }

  std::vector<Group> groups_;
  std::vector<State> states_;  // one per parameter, in group order
};

}  // namespace tapegrad::optim
