// The optimizer flags shared by `minimize` and `train`: --optimizer NAME and every
// hyperparameter, derived from the optimizer list (optim/optimizers.hpp) and each
// optimizer's options fields(). A flag takes its field's name with '-' for '_'; an
// absent flag keeps the field's default (PyTorch's). A flag that the chosen optimizer
// does not have is a usage error, not ignored.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "../optim/optimizer.hpp"

namespace tapegrad::cli {

// Which optimizers a command offers: train computes no Hessian, so it lists only the
// methods that need none (its --help shows neither newton nor newton's flags).
enum class Methods { All, WithoutCurvature };

class OptimizerFlags {
 public:
  // Registers --optimizer (default `default_name`) and the flags of every optimizer
  // `methods` admits.
  void add_to(CLI::App& command, const std::string& default_name, Methods methods = Methods::All);
  // The optimizer over `parameters`; throws UsageError for an unknown name, a flag
  // that does not apply, a value that does not parse, or one the optimizer refuses.
  std::unique_ptr<optim::Optimizer> make(std::vector<optim::ParameterRef> parameters) const;
  // Checks the name and the flags without building anything; an unknown name gets the
  // nearest known one. (The name was lower-cased as it was parsed: "Adam" is adam.)
  void validate() const;
  const std::string& name() const { return name_; }
  // The hyperparameter flags given on the command line ("--lr", …), for a method that
  // takes none of them; not those default_for() filled in.
  std::vector<std::string> given() const {
    std::vector<std::string> flags;
    for (const auto& [flag, text] : values_)
      if (text && defaulted_.count(flag) == 0) flags.push_back("--" + flag);
    for (const auto& [flag, on] : switches_)
      if (on) flags.push_back("--" + flag);
    return flags;
  }
  // How the chosen optimizer's hyperparameter behind `flag` ("--line-search") with the
  // saved `value` (a state_dict number) reads on the command line: "--line-search
  // strong-wolfe", "--lr 0.05", "--nesterov", "no --nesterov".
  std::string as_flag(const std::string& flag, double value) const;
  // The text given to --flag, if any; and giving it (a run of several learning rates
  // makes one optimizer per rate).
  std::optional<std::string> value(const std::string& flag) const {
    const auto it = values_.find(flag);
    return it == values_.end() ? std::nullopt : it->second;
  }
  void set(const std::string& flag, const std::string& text) { values_[flag] = text; }
  // When `optimizer` is chosen and --flag was not given, behave as if it were given as
  // `text` (minimize runs L-BFGS with its line search by default).
  void default_for(const std::string& optimizer, const std::string& flag, const std::string& text) {
    if (name_ == optimizer && !values_[flag]) {
      values_[flag] = text;
      defaulted_.insert(flag);
    }
  }

 private:
  std::string name_;
  Methods methods_ = Methods::All;
  std::set<std::string> defaulted_;
  // By flag name (without "--"): the text given to a valued flag, whether a switch was given.
  std::map<std::string, std::optional<std::string>> values_;
  std::map<std::string, bool> switches_;
};

}  // namespace tapegrad::cli
