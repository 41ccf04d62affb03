/// \file
/// Sequential: Modules applied one after another; its parameters() are every Module's,
/// in order, ready for any optimizer. Copying a Sequential copies the Modules (and so
/// the weights), which is how the Trainer keeps the best epoch's model.
#pragma once

#include <utility>

#include "../autodiff/support/instantiate.hpp"
#include "../optim/optimizer.hpp"
#include "module.hpp"

namespace tapegrad::models {

/// A chain of Modules applied in order: the network of every model.
template <class T>
class Sequential {
 public:
  Sequential() = default;
  /// A deep copy: every Module cloned, with its own Parameters.
  Sequential(const Sequential& other) { *this = other; }
  /// A deep copy: every Module cloned, with its own Parameters.
  Sequential& operator=(const Sequential& other) {
    if (this == &other) return *this;
    modules_.clear();
    for (const auto& m : other.modules_) modules_.push_back(m->clone());
    return *this;
  }
  /// Moves the Modules.
  ///@{
  Sequential(Sequential&&) noexcept = default;
  Sequential& operator=(Sequential&&) noexcept = default;
  ///@}

  /// Appends `module`; throws tapegrad::Error for a null one.
  Sequential& add(std::unique_ptr<Module<T>> module) {
    if (!module) throw Error("Sequential::add: a null Module");
    modules_.push_back(std::move(module));
    return *this;
  }
  /// Appends a new Module of type M built from `args`, and returns it.
  template <class M, class... Args>
  M& emplace(Args&&... args) {
    auto module = std::make_unique<M>(std::forward<Args>(args)...);
    M& ref = *module;
    modules_.push_back(std::move(module));
    return ref;
  }

  /// The network's output for the batch `x`: each Module's forward() in turn.
  BasicTensor<T> forward(const BasicTensor<T>& x) {
    BasicTensor<T> h = x;
    for (auto& m : modules_) h = m->forward(h);
    return h;
  }
  /// The same as forward(x).
  BasicTensor<T> operator()(const BasicTensor<T>& x) { return forward(x); }

  /// Every Module's Parameters in order, for an optimizer.
  std::vector<optim::ParameterRef> parameters() {
    std::vector<optim::ParameterRef> refs;
    for (BasicParameter<T>* p : weights()) refs.emplace_back(*p);
    return refs;
  }
  /// The same Parameters with their type, to read or set their values.
  std::vector<BasicParameter<T>*> weights() {
    std::vector<BasicParameter<T>*> all;
    for (auto& m : modules_)
      for (BasicParameter<T>* p : m->parameters()) all.push_back(p);
    return all;
  }
  /// Output feature count for `input` features; throws when a stage cannot take its
  /// input (so a mismatch is found before any data flows).
  Eigen::Index output_width(Eigen::Index input) const {
    for (const auto& m : modules_) input = m->output_width(input);
    return input;
  }

  /// The number of Modules.
  std::size_t size() const { return modules_.size(); }
  /// True when there is no Module.
  bool empty() const { return modules_.empty(); }
  /// Module i; throws std::out_of_range past the end.
  ///@{
  Module<T>& operator[](std::size_t i) { return *modules_.at(i); }
  const Module<T>& operator[](std::size_t i) const { return *modules_.at(i); }
  ///@}

 private:
  std::vector<std::unique_ptr<Module<T>>> modules_;
};

TAPEGRAD_COMPILED_IN_LIBRARY(class Sequential<float>)
TAPEGRAD_COMPILED_IN_LIBRARY(class Sequential<double>)

}  // namespace tapegrad::models
