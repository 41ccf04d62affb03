/// \file
/// The optimizer interface: an Optimizer holds references to Parameters (scalar or
/// tensor, float or double) in parameter groups, and step() moves them using their
/// gradients. Optimizers that need the loss re-evaluated (L-BFGS) take a closure in
/// step(closure); every optimizer accepts one, so minimize() drives them all alike.
///
/// state_dict() captures every buffer, step count and hyperparameter (learning rates
/// changed by a scheduler included) as exact doubles; load_state_dict() restores them,
/// so that save → load → continue follows the same trajectory as never stopping.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "../autodiff/support/enum_names.hpp"
#include "../autodiff/support/error.hpp"
#include "../autodiff/tensor/parameter.hpp"

namespace tapegrad {
class SparseHessian;
}  // namespace tapegrad

namespace tapegrad::optim {

/// A non-owning reference to a float or a double Parameter; the Parameter must outlive
/// the optimizer and keep its shape.
class ParameterRef {
 public:
  /// Refers to a double or a float Parameter (implicit, so that `{w, b}` is a list of them).
  ///@{
  ParameterRef(Parameter& p) : p_(&p) {}       // NOLINT: implicit, so {w, b} lists work
  ParameterRef(FloatParameter& p) : p_(&p) {}  // NOLINT
  ///@}
  /// The number of entries of the Parameter.
  Eigen::Index size() const {
    return std::visit([](auto* p) { return p->size(); }, p_);
  }
  /// Calls visit(parameter) with the Parameter's own type.
  template <class Visit>
  decltype(auto) visit(Visit&& visit) const {
    return std::visit([&](auto* p) -> decltype(auto) { return visit(*p); }, p_);
  }
  /// True for a FloatParameter.
  bool is_float() const { return std::holds_alternative<FloatParameter*>(p_); }

 private:
  std::variant<Parameter*, FloatParameter*> p_;
};

/// Every saved value of an optimizer, by name ("group.0.lr", "param.0.1.exp_avg"…),
/// as doubles: a float converts to double and back exactly.
struct StateDict {
  /// The saved values by key, each a flat list of doubles.
  std::map<std::string, std::vector<double>> entries;
  /// Whose state it is: the optimizer's name ("Adam"); empty in a state saved without it.
  std::string optimizer;

  /// Throws tapegrad::Error naming both optimizers when the state is another optimizer's: its entries would
  /// otherwise be read as this one's (or be missing, with a message about a key).
  void check_written_by(const char* name) const {
    if (!optimizer.empty() && optimizer != name)
      throw Error("load_state_dict: the state is " + optimizer + "'s, not " + name + "'s");
  }

  /// The entry `key`, which must hold `expected_size` values. Throws tapegrad::Error naming the key when it
  /// is missing or has another size (a state from another model or optimizer).
  const std::vector<double>& at(const std::string& key, std::size_t expected_size) const {
    auto it = entries.find(key);
    if (it == entries.end()) throw Error("load_state_dict: the state has no entry '" + key + "'");
    if (it->second.size() != expected_size)
      throw Error("load_state_dict: entry '" + key + "' has " + std::to_string(it->second.size()) +
                  " values, expected " + std::to_string(expected_size));
    return it->second;
  }
  /// The entry `key` as one number (an entry of size 1; throws as at() does).
  double scalar(const std::string& key) const { return at(key, 1)[0]; }
};

/// The loss re-evaluated at the current parameters, with their gradients recomputed
/// (zeroed first): what L-BFGS and minimize() call.
using Closure = std::function<double()>;

/// Second derivatives of the loss at the parameters' current values, over all of them as
/// one flat vector (FlatParameters' order): what Newton-type methods need besides the
/// closure. minimize() builds one from a generically written f (forward over reverse).
struct Curvature {
  /// hv = H·v.
  std::function<void(const Eigen::VectorXd& v, Eigen::VectorXd& hv)> hessian_vector_product;
  /// The dense Hessian.
  std::function<Eigen::MatrixXd()> hessian;
  /// The Hessian's sparse form, for methods that factor it (Newton): f's SparseHessian, made at the first
  /// call (f recorded, its Hessian's pattern found and colored: once per run), whose `values(x, …)` or
  /// `at(x)` at the parameters' flat values then cost `colors()` products instead of n. Throws
  /// tapegrad::Error when the pattern cannot be found, or has more than `max_nonzeros` nonzeros, at the first
  /// call — and the same error at every call after it, without trying again. Empty when the curvature has
  /// only the dense Hessian (one made by hand, without it).
  std::function<SparseHessian&(std::size_t max_nonzeros)> sparse_hessian;
};

/// The interface of every optimizer: step() moves the Parameters it holds using their gradients.
/// Example, one step of Adam on a Parameter whose gradient a backward() has filled:
///
/// \snippet test_doc_examples.cpp optimizer
class Optimizer {
 public:
  virtual ~Optimizer();

  /// One update from the gradients already in the Parameters.
  virtual void step() = 0;
  /// One update for optimizers that evaluate the loss themselves; the others evaluate
  /// the closure once, then step(). Returns the loss at the parameters before the step.
  virtual double step(const Closure& closure) {
    const double loss = closure();
    step();
    return loss;
  }

  /// True for optimizers that must be given the closure (L-BFGS, Newton-type methods).
  virtual bool evaluates_closure() const { return false; }
  /// True for optimizers that must also be given the Hessian (Newton-type methods):
  /// call step(closure, curvature). The others ignore the curvature.
  virtual bool needs_curvature() const { return false; }
  /// One update given the loss closure and the second derivatives (Newton-type methods); the others ignore
  /// the curvature and call step(closure).
  virtual double step(const Closure& closure, const Curvature&) { return step(closure); }

  /// Every buffer, step count and hyperparameter, by name (PyTorch's key names), as exact doubles.
  virtual StateDict state_dict() const = 0;
  /// Restores what state_dict() saved; the next steps then follow the same trajectory as an optimizer that
  /// never stopped. Throws tapegrad::Error naming the entry when the state does not fit these parameters.
  virtual void load_state_dict(const StateDict& state) = 0;

  /// Every Parameter, group by group.
  virtual std::vector<ParameterRef> parameters() const = 0;
  /// Optimizers override it to skip building parameters()'s list: it runs every training
  /// step, which must not allocate.
  virtual void zero_grad() const {
    for (const ParameterRef& p : parameters()) p.visit([](auto& parameter) { parameter.zero_grad(); });
  }

  /// For learning-rate schedulers.
  virtual std::size_t group_count() const = 0;
  /// The learning rate of parameter group `group`.
  virtual double learning_rate(std::size_t group) const = 0;
  /// Sets the learning rate of parameter group `group` (validated as the constructor validates it).
  virtual void set_learning_rate(std::size_t group, double lr) = 0;
  /// Any other numeric hyperparameter of a group by its options' field name ("momentum",
  /// "beta1"), for schedulers that cycle them (OneCycleLr): nullopt if the optimizer has
  /// none of that name. The set form validates as the constructor does.
  virtual std::optional<double> hyperparameter(std::size_t, const std::string&) const { return std::nullopt; }
  /// Sets hyperparameter `name` of group `group`; throws tapegrad::Error when the optimizer has none of that
  /// name or the value is out of range.
  virtual void set_hyperparameter(std::size_t, const std::string& name, double) {
    throw Error("this optimizer has no hyperparameter '" + name + "' to set");
  }
};

// Defaulted here, not in the class: see "Virtual destructors" in docs/architecture.md.
inline Optimizer::~Optimizer() = default;

/// Throws "tapegrad: <optimizer>: <name> = <value> <requirement>" unless `ok`.
inline void require(bool ok, const char* optimizer, const char* name, double value, const char* requirement) {
  if (!ok) {
    char text[64];
    std::snprintf(text, sizeof text, "%.17g", value);
    throw Error(std::string("") + optimizer + ": " + name + " = " + text + " " + requirement);
  }
}

/// An option that is a number (not a switch or a choice): what schedulers may set and
/// what require_nonnegative checks.
template <class V>
concept NumericOption = std::is_arithmetic_v<V> && !std::is_same_v<V, bool>;

/// Calls f(field) for the numeric field of `options` named `name`, through the options'
/// fields(); false when there is none.
template <class Options, class F>
bool visit_numeric_option(Options& options, std::string_view name, F&& f) {
  bool found = false;
  std::remove_const_t<Options>::fields(options, [&](const char* field, auto& value) {
    if constexpr (NumericOption<std::remove_cvref_t<decltype(value)>>)
      if (name == field) f(value), found = true;
  });
  return found;
}

/// require(value >= 0) for each of the named numeric fields of an options struct (lr,
/// eps, weight_decay…).
template <class Options>
void require_nonnegative(const char* optimizer, const Options& o, std::initializer_list<const char*> names) {
  for (const char* name : names)
    visit_numeric_option(o, name, [&](const auto& value) {
      require(value >= 0, optimizer, name, static_cast<double>(value), "must be >= 0");
    });
}

/// Writes every field of `options` (through its fields()) into `dict` as one number, under `prefix` followed
/// by the field's name ("group.0.lr"): the options' part of a state_dict().
template <class Options>
void save_options(StateDict& dict, const Options& options, const std::string& prefix) {
  Options::fields(options, [&](const char* field, const auto& value) {
    dict.entries[prefix + field] = {static_cast<double>(value)};
  });
}

namespace detail {

// "0: strong-wolfe, 1: backtracking": an enum's values as a message lists them.
template <class E, std::size_t N>
std::string enum_choices(const EnumNames<E, N>& names) {
  std::string text;
  for (const auto& [value, name] : names)
    text += (text.empty() ? "" : ", ") + std::to_string(static_cast<long long>(value)) + ": " + name;
  return text;
}

// True when `value` is one of the values `names` lists (not a number cast into the enum).
template <class E, std::size_t N>
constexpr bool is_listed(E value, const EnumNames<E, N>& names) {
  for (const auto& [v, name] : names)
    if (v == value) return true;
  return false;
}

}  // namespace detail

/// Reads every field of `options` (through its fields()) from the entries save_options() wrote under
/// `prefix`. An enum field takes only one of the values its enum_names() lists, an integer field only a
/// whole number it can hold: anything else throws tapegrad::Error naming the entry and its value, as does a
/// missing entry. Fields are set one by one, so a caller that must change nothing on an error loads into a
/// copy; the options' own rules are its validate()'s.
template <class Options>
void load_options(const StateDict& dict, Options& options, const std::string& prefix) {
  Options::fields(options, [&](const char* field, auto& value) {
    using V = std::remove_cvref_t<decltype(value)>;
    const std::string key = prefix + field;
    const double saved = dict.scalar(key);
    if constexpr (std::is_enum_v<V>) {
      static_assert(
          requires { enum_names(V{}); }, "an enum option needs enum_names() to be loaded");
      // Compared as numbers, so that a fraction, NaN or a number beyond the enum's range is never cast.
      for (const auto& [v, name] : enum_names(V{}))
        if (static_cast<double>(static_cast<std::underlying_type_t<V>>(v)) == saved) {
          value = v;
          return;
        }
      throw Error("load_state_dict: entry '", key, "' = ", saved, " is none of ", field, "'s values (",
                  detail::enum_choices(enum_names(V{})), ")");
    } else if constexpr (std::is_integral_v<V> && !std::is_same_v<V, bool>) {
      // A double beyond V's range would make the cast undefined.
      if (!(saved == std::trunc(saved) && saved >= static_cast<double>(std::numeric_limits<V>::min()) &&
            saved <= static_cast<double>(std::numeric_limits<V>::max())))
        throw Error("load_state_dict: entry '", key, "' = ", saved, " is not a whole number that ", field,
                    " can hold");
      value = static_cast<V>(saved);
    } else {
      value = static_cast<V>(saved);
    }
  });
}

/// Throws tapegrad::Error "<optimizer>: <field> = <number> must be one of …" when an enum field of `options`
/// holds none of the values its enum_names() lists (a number cast into the enum).
template <class Options>
void require_listed_values(const char* optimizer, const Options& options) {
  Options::fields(options, [&](const char* field, const auto& value) {
    using V = std::remove_cvref_t<decltype(value)>;
    if constexpr (std::is_enum_v<V>)
      if (!detail::is_listed(value, enum_names(V{})))
        throw Error(optimizer, ": ", field, " = ", static_cast<long long>(value), " must be one of ",
                    detail::enum_choices(enum_names(V{})));
  });
}

}  // namespace tapegrad::optim
