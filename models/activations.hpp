/// \file
/// The activation layers, from one list. Each entry names a rule of rules.hpp, which the
/// layer applies entry by entry, and the initial weights it trains best from; its name
/// (the rule's) is what model files and `tapegrad train --activation` use. Adding an
/// activation is one entry in TAPEGRAD_ACTIVATIONS and its enumerator in Activation (and,
/// for a new function, its rule).
#pragma once

#include <cstddef>
#include <iterator>
#include <memory>
#include <string>

#include "../autodiff/support/enum_names.hpp"
#include "../autodiff/support/error.hpp"
#include "../autodiff/support/instantiate.hpp"
#include "../autodiff/tensor/elementwise.hpp"
#include "init.hpp"
#include "module.hpp"

/// X(Layer, Rule, Init) for every activation: the layer's class and enumerator name, the
/// rule of rules.hpp it applies, and its default initialization for a BasicMlp. GELU and
/// SiLU take He initialization as ReLU does: they are ReLU-like away from 0.
// clang-format off
#define TAPEGRAD_ACTIVATIONS(X)                 \
  X(Sigmoid, Sigmoid, GlorotUniform)            \
  X(Tanh, Tanh, GlorotUniform)                  \
  X(Relu, Relu, HeUniform)                      \
  X(Gelu, Gelu, HeUniform)                      \
  X(GeluTanh, GeluTanh, HeUniform)              \
  X(Silu, Silu, HeUniform)
// clang-format on

namespace tapegrad::models {

/// The activation functions a BasicMlp can use between its layers: one per entry of
/// TAPEGRAD_ACTIVATIONS, in its order (checked below).
enum class Activation {
  Sigmoid,   ///< 1 / (1 + e^(−x))
  Tanh,      ///< tanh x
  Relu,      ///< max(x, 0)
  Gelu,      ///< x·Φ(x), Φ the standard normal CDF (PyTorch's gelu, approximate='none')
  GeluTanh,  ///< GELU's tanh approximation (PyTorch's gelu, approximate='tanh')
  Silu       ///< x·sigmoid(x)
};

/// Every activation, in the order of TAPEGRAD_ACTIVATIONS.
inline constexpr Activation all_activations[] = {
#define TAPEGRAD_ACTIVATION_ENUMERATOR(Layer, Rule, Init) Activation::Layer,
    TAPEGRAD_ACTIVATIONS(TAPEGRAD_ACTIVATION_ENUMERATOR)
#undef TAPEGRAD_ACTIVATION_ENUMERATOR
};
/// \cond INTERNAL
// The enumerators are written out for their documentation; the list and the enum must
// name the same activations in the same order.
static_assert(
    [] {
      for (std::size_t i = 0; i < std::size(all_activations); ++i)
        if (all_activations[i] != static_cast<Activation>(i)) return false;
      return std::size(all_activations) == static_cast<std::size_t>(Activation::Silu) + 1;
    }(),
    "TAPEGRAD_ACTIVATIONS and enum Activation must list the same activations in the same order (a new last "
    "enumerator replaces Silu in this check)");
/// \endcond

/// A layer that applies `Rule` (rules.hpp) to every entry of its input: sigmoid, tanh,
/// relu, gelu (x·Φ(x)), gelu_tanh (its tanh approximation) or silu (x·sigmoid(x)).
template <class T, class Rule>
class ActivationLayer : public Module<T> {
 public:
  /// \copydoc Module::forward
  BasicTensor<T> forward(const BasicTensor<T>& x) override { return detail::tensor_unary<Rule>(x); }
  /// The rule's name: "sigmoid", "gelu", …
  std::string kind() const override { return Rule::name; }
  /// \copydoc Module::clone
  std::unique_ptr<Module<T>> clone() const override { return std::make_unique<ActivationLayer>(); }
};

/// \cond INTERNAL
#define TAPEGRAD_ACTIVATION_ALIAS(Layer, Rule, Init) \
  template <class T>                                 \
  using Layer = ActivationLayer<T, rules::Rule>;
TAPEGRAD_ACTIVATIONS(TAPEGRAD_ACTIVATION_ALIAS)
#undef TAPEGRAD_ACTIVATION_ALIAS
/// \endcond

/// How many activations there are.
inline constexpr std::size_t num_activations = std::size(all_activations);

/// The names of the activations, as model files and the command line write them.
inline constexpr EnumNames<Activation, num_activations> activation_names = {{
#define TAPEGRAD_ACTIVATION_NAME(Layer, Rule, Init) {Activation::Layer, rules::Rule::name},
    TAPEGRAD_ACTIVATIONS(TAPEGRAD_ACTIVATION_NAME)
#undef TAPEGRAD_ACTIVATION_NAME
}};

/// The name of `a` ("sigmoid", "tanh", "relu", "gelu", "gelu_tanh", "silu").
inline const char* activation_name(Activation a) { return name_of(a, activation_names); }

/// The initialization a BasicMlp uses with `a` unless told otherwise: Glorot uniform for
/// sigmoid and tanh, He uniform for the ReLU family.
inline Init default_init(Activation a) {
  switch (a) {
#define TAPEGRAD_ACTIVATION_INIT(Layer, Rule, Initial) \
  case Activation::Layer:                              \
    return Init::Initial;
    TAPEGRAD_ACTIVATIONS(TAPEGRAD_ACTIVATION_INIT)
#undef TAPEGRAD_ACTIVATION_INIT
  }
  throw Error("default_init: unknown activation");
}

/// A new activation layer of kind `a`.
template <class T>
std::unique_ptr<Module<T>> make_activation(Activation a) {
  switch (a) {
#define TAPEGRAD_ACTIVATION_MAKE(Layer, Rule, Init) \
  case Activation::Layer:                           \
    return std::make_unique<Layer<T>>();
    TAPEGRAD_ACTIVATIONS(TAPEGRAD_ACTIVATION_MAKE)
#undef TAPEGRAD_ACTIVATION_MAKE
  }
  throw Error("make_activation: unknown activation");
}

/// \cond INTERNAL
#define TAPEGRAD_ACTIVATION_COMPILED(Layer, Rule, Init)                   \
  TAPEGRAD_COMPILED_IN_LIBRARY(class ActivationLayer<float, rules::Rule>) \
  TAPEGRAD_COMPILED_IN_LIBRARY(class ActivationLayer<double, rules::Rule>)
TAPEGRAD_ACTIVATIONS(TAPEGRAD_ACTIVATION_COMPILED)
#undef TAPEGRAD_ACTIVATION_COMPILED
/// \endcond

}  // namespace tapegrad::models
