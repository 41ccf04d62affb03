// The optimizer flags shared by `minimize` and `train`: --optimizer NAME and the
// hyperparameters, each defaulting to PyTorch's value for that optimizer when absent.
// A flag that the chosen optimizer does not have is a usage error, not ignored.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../optim/optimizer.hpp"

namespace tapegrad::cli {

struct OptimizerFlags {
  std::string name;
  std::optional<double> lr, momentum, dampening, weight_decay, beta1, beta2, eps, alpha, lr_decay;
  std::optional<long> history_size, max_iter;
  std::optional<std::string> line_search;
  bool nesterov = false, amsgrad = false, centered = false;

  // Registers the flags on `command`, with `default_name` as --optimizer's default.
  void add_to(CLI::App& command, const std::string& default_name);
  // The optimizer over `parameters`; throws UsageError for an unknown name, a flag
  // that does not apply, or a value PyTorch would refuse.
  std::unique_ptr<optim::Optimizer> make(std::vector<optim::ParameterRef> parameters) const;
  // Checks the name and the flags without building anything.
  void validate() const;
};

}  // namespace tapegrad::cli
