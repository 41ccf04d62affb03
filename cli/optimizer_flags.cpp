#include "optimizer_flags.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../optim/optimizers.hpp"
#include "arguments.hpp"
#include "output.hpp"

namespace tapegrad::cli {
namespace {

// "Sgd" → "sgd", "NAdam" → "nadam", or the optimizer's own command_line_name ("newton-cg").
template <class Optimizer>
std::string cli_name() {
  if constexpr (requires { Optimizer::command_line_name; }) return Optimizer::command_line_name;
  std::string name = Optimizer::name;
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// "weight_decay" → "weight-decay".
std::string flag_of(const char* field) {
  std::string flag = field;
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

// Calls visit.template operator()<Optimizer>() for every listed optimizer.
template <class Visit>
void for_each_optimizer(Visit&& visit) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (visit.template operator()<std::tuple_element_t<I, optim::Optimizers>>(), ...);
  }
  (std::make_index_sequence<std::tuple_size_v<optim::Optimizers>>{});
}

// Calls visit(flag, default value) for each field of Optimizer's options.
template <class Optimizer, class Visit>
void for_each_flag(Visit&& visit) {
  using Options = typename Optimizer::options_type;
  Options defaults{};
  Options::fields(defaults, [&](const char* field, auto& value) { visit(flag_of(field), value); });
}

// Newton-type methods need the Hessian of the loss; they say so with `needs_hessian`, which
// CurvatureOptimizer (optim/second_order_optimizer.hpp) declares.
template <class Optimizer>
constexpr bool needs_curvature = requires {
  requires Optimizer::needs_hessian;
};

template <class Optimizer>
bool offered(Methods methods) {
  return methods == Methods::All || !needs_curvature<Optimizer>;
}

std::vector<std::string> known_names(Methods methods) {
  std::vector<std::string> names;
  for_each_optimizer([&]<class Optimizer>() {
    if (offered<Optimizer>(methods)) names.push_back(cli_name<Optimizer>());
  });
  return names;
}

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

std::string lower_case(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::vector<std::string> flags_of(const std::string& name, Methods methods) {
  std::vector<std::string> flags;
  for_each_optimizer([&]<class Optimizer>() {
    if (cli_name<Optimizer>() == name && offered<Optimizer>(methods))
      for_each_flag<Optimizer>([&](const std::string& flag, auto&) { flags.push_back(flag); });
  });
  return flags;
}

// The text of --flag as the field's type.
template <class V>
void parse_value(const std::string& flag, const std::string& text, V& value) {
  const std::string what = "--" + flag;
  if constexpr (std::is_enum_v<V>) {
    if (const auto named = value_named(text, enum_names(V{}))) {
      value = *named;
      return;
    }
    std::string choices;
    for (const auto& [v, name] : enum_names(V{}))
      choices += (choices.empty() ? "" : " or ") + std::string(name);
    throw UsageError(what + ": '" + text + "' (expected " + choices + ")");
  } else if constexpr (std::is_integral_v<V>) {
    long long parsed = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (error != std::errc() || end != text.data() + text.size() || parsed < std::numeric_limits<V>::min() ||
        parsed > std::numeric_limits<V>::max())
      throw UsageError(what + ": '" + text + "' is not a whole number");
    value = static_cast<V>(parsed);
  } else {
    value = static_cast<V>(parse_number(text, what));
  }
}

}  // namespace

void OptimizerFlags::add_to(CLI::App& command, const std::string& default_name, Methods methods) {
  name_ = default_name;
  methods_ = methods;
  // Lower-cased as it is parsed ("Adam", "LBFGS"), so every later comparison and default
  // (default_for) sees the one spelling.
  command.add_option("--optimizer", name_, joined(known_names(methods)))
      ->capture_default_str()
      ->transform([](std::string name) { return lower_case(std::move(name)); });
  // Which optimizers have each flag (its help text), and the kind of value it takes.
  struct Use {
    std::string optimizers;
    const char* kind;  // nullptr for a switch
  };
  std::map<std::string, Use> flags;
  for_each_optimizer([&]<class Optimizer>() {
    if (!offered<Optimizer>(methods)) return;
    for_each_flag<Optimizer>([&](const std::string& flag, const auto& value) {
      using V = std::decay_t<decltype(value)>;
      Use& use = flags[flag];
      use.optimizers += (use.optimizers.empty() ? "" : ", ") + cli_name<Optimizer>();
      use.kind = std::is_same_v<V, bool> ? nullptr
                 : std::is_enum_v<V>     ? "NAME"
                 : std::is_integral_v<V> ? "INT"
                                         : "NUMBER";
    });
  });
  for (const auto& [flag, use] : flags) {
    if (use.kind == nullptr)
      command.add_flag("--" + flag, switches_[flag], use.optimizers);
    else
      command.add_option("--" + flag, values_[flag], use.optimizers)->type_name(use.kind);
  }
}

void OptimizerFlags::validate() const {
  const std::vector<std::string> known = known_names(methods_);
  const std::vector<std::string> allowed = flags_of(name_, methods_);
  if (allowed.empty()) {
    if (methods_ == Methods::WithoutCurvature && !flags_of(name_, Methods::All).empty())
      throw UsageError(
          "--optimizer " + name_ +
          " needs the Hessian of the loss, which train does not compute; use it with minimize (train "
          "takes " +
          joined(known) + ")");
    const std::string near = closest_name(name_, known);
    throw UsageError("--optimizer: unknown optimizer '" + name_ + "'" +
                     (near.empty() ? "" : "; did you mean " + near + "?") + " (known: " + joined(known) +
                     ")");
  }
  const auto check = [&](const std::string& flag) {
    if (std::find(allowed.begin(), allowed.end(), flag) == allowed.end())
      throw UsageError("--" + flag + " does not apply to " + name_);
  };
  for (const auto& [flag, text] : values_)
    if (text) check(flag);
  for (const auto& [flag, given] : switches_)
    if (given) check(flag);
}

std::string OptimizerFlags::as_flag(const std::string& flag, double value) const {
  std::string text = flag + " " + number(value, 9);
  for_each_optimizer([&]<class Optimizer>() {
    if (cli_name<Optimizer>() != name_) return;
    for_each_flag<Optimizer>([&](const std::string& name, const auto& field) {
      using V = std::decay_t<decltype(field)>;
      if ("--" + name != flag) return;
      if constexpr (std::is_same_v<V, bool>) {
        text = value != 0 ? flag : "no " + flag;
      } else if constexpr (std::is_enum_v<V>) {
        for (const auto& [v, word] : enum_names(V{}))
          if (static_cast<double>(static_cast<int>(v)) == value) text = flag + " " + std::string(word);
      }
    });
  });
  return text;
}

std::unique_ptr<optim::Optimizer> OptimizerFlags::make(std::vector<optim::ParameterRef> parameters) const {
  validate();
  std::unique_ptr<optim::Optimizer> made;
  for_each_optimizer([&]<class Optimizer>() {
    if (cli_name<Optimizer>() != name_) return;
    typename Optimizer::options_type options{};
    Optimizer::options_type::fields(options, [&](const char* field, auto& value) {
      const std::string flag = flag_of(field);
      if constexpr (std::is_same_v<std::decay_t<decltype(value)>, bool>) {
        if (const auto it = switches_.find(flag); it != switches_.end() && it->second) value = true;
      } else if (const auto it = values_.find(flag); it != values_.end() && it->second) {
        parse_value(flag, *it->second, value);
      }
    });
    try {
      made = std::make_unique<Optimizer>(std::move(parameters), options);
    } catch (const Error& e) {
      throw UsageError(e.what());  // a hyperparameter the optimizer refuses (it names it)
    }
  });
  return made;
}

}  // namespace tapegrad::cli
