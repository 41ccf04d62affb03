#include "optimizer_flags.hpp"

#include "../optim/optim.hpp"
#include "arguments.hpp"

namespace tapegrad::cli {
namespace {

const std::vector<std::string> optimizer_names = {"sgd", "adam", "adamw", "rmsprop", "adagrad", "lbfgs"};

// Which flags each optimizer has.
std::vector<std::string> flags_of(const std::string& name) {
  if (name == "sgd") return {"lr", "momentum", "dampening", "nesterov", "weight-decay"};
  if (name == "adam" || name == "adamw") return {"lr", "beta1", "beta2", "eps", "weight-decay", "amsgrad"};
  if (name == "rmsprop") return {"lr", "alpha", "eps", "weight-decay", "momentum", "centered"};
  if (name == "adagrad") return {"lr", "lr-decay", "weight-decay", "eps"};
  return {"lr", "history-size", "max-iter", "line-search"};  // lbfgs
}

}  // namespace

void OptimizerFlags::add_to(CLI::App& command, const std::string& default_name) {
  name = default_name;
  command.add_option("--optimizer", name, "sgd, adam, adamw, rmsprop, adagrad or lbfgs")
      ->capture_default_str();
  command.add_option("--lr", lr, "learning rate");
  command.add_option("--momentum", momentum, "sgd, rmsprop");
  command.add_option("--dampening", dampening, "sgd");
  command.add_flag("--nesterov", nesterov, "sgd");
  command.add_option("--weight-decay", weight_decay, "L2 penalty (adamw: decoupled)");
  command.add_option("--beta1", beta1, "adam, adamw");
  command.add_option("--beta2", beta2, "adam, adamw");
  command.add_option("--eps", eps, "adam, adamw, rmsprop, adagrad");
  command.add_flag("--amsgrad", amsgrad, "adam, adamw");
  command.add_option("--alpha", alpha, "rmsprop smoothing constant");
  command.add_flag("--centered", centered, "rmsprop");
  command.add_option("--lr-decay", lr_decay, "adagrad");
  command.add_option("--history-size", history_size, "lbfgs");
  command.add_option("--max-iter", max_iter, "lbfgs iterations per step");
  command.add_option("--line-search", line_search, "lbfgs: strong-wolfe or none");
}

void OptimizerFlags::validate() const {
  if (std::find(optimizer_names.begin(), optimizer_names.end(), name) == optimizer_names.end())
    throw UsageError("--optimizer: unknown optimizer '" + name +
                     "' (known: sgd, adam, adamw, rmsprop, adagrad, lbfgs)");
  const std::vector<std::string> allowed = flags_of(name);
  const std::pair<const char*, bool> given[] = {{"lr", lr.has_value()},
                                                {"momentum", momentum.has_value()},
                                                {"dampening", dampening.has_value()},
                                                {"nesterov", nesterov},
                                                {"weight-decay", weight_decay.has_value()},
                                                {"beta1", beta1.has_value()},
                                                {"beta2", beta2.has_value()},
                                                {"eps", eps.has_value()},
                                                {"amsgrad", amsgrad},
                                                {"alpha", alpha.has_value()},
                                                {"centered", centered},
                                                {"lr-decay", lr_decay.has_value()},
                                                {"history-size", history_size.has_value()},
                                                {"max-iter", max_iter.has_value()},
                                                {"line-search", line_search.has_value()}};
  for (const auto& [flag, present] : given)
    if (present && std::find(allowed.begin(), allowed.end(), flag) == allowed.end())
      throw UsageError("--" + std::string(flag) + " does not apply to " + name);
  if (line_search && *line_search != "strong-wolfe" && *line_search != "none")
    throw UsageError("--line-search: '" + *line_search + "' (expected strong-wolfe or none)");
  if (history_size && *history_size < 1) throw UsageError("--history-size must be at least 1");
  if (max_iter && *max_iter < 1) throw UsageError("--max-iter must be at least 1");
}

std::unique_ptr<optim::Optimizer> OptimizerFlags::make(std::vector<optim::ParameterRef> parameters) const {
  validate();
  try {
    if (name == "sgd") {
      optim::SgdOptions o;
      if (lr) o.lr = *lr;
      if (momentum) o.momentum = *momentum;
      if (dampening) o.dampening = *dampening;
      if (weight_decay) o.weight_decay = *weight_decay;
      o.nesterov = nesterov;
      return std::make_unique<optim::Sgd>(std::move(parameters), o);
    }
    if (name == "adam" || name == "adamw") {
      const auto fill = [&](auto o) {
        if (lr) o.lr = *lr;
        if (beta1) o.beta1 = *beta1;
        if (beta2) o.beta2 = *beta2;
        if (eps) o.eps = *eps;
        if (weight_decay) o.weight_decay = *weight_decay;
        o.amsgrad = amsgrad;
        return o;
      };
      if (name == "adam")
        return std::make_unique<optim::Adam>(std::move(parameters), fill(optim::AdamOptions{}));
      return std::make_unique<optim::AdamW>(std::move(parameters), fill(optim::AdamWOptions{}));
    }
    if (name == "rmsprop") {
      optim::RmsPropOptions o;
      if (lr) o.lr = *lr;
      if (alpha) o.alpha = *alpha;
      if (eps) o.eps = *eps;
      if (weight_decay) o.weight_decay = *weight_decay;
      if (momentum) o.momentum = *momentum;
      o.centered = centered;
      return std::make_unique<optim::RmsProp>(std::move(parameters), o);
    }
    if (name == "adagrad") {
      optim::AdagradOptions o;
      if (lr) o.lr = *lr;
      if (lr_decay) o.lr_decay = *lr_decay;
      if (weight_decay) o.weight_decay = *weight_decay;
      if (eps) o.eps = *eps;
      return std::make_unique<optim::Adagrad>(std::move(parameters), o);
    }
    optim::LbfgsOptions o;
    if (lr) o.lr = *lr;
    if (history_size) o.history_size = static_cast<int>(*history_size);
    if (max_iter) o.max_iter = static_cast<int>(*max_iter);
    if (line_search)
      o.line_search =
          *line_search == "strong-wolfe" ? optim::LineSearch::StrongWolfe : optim::LineSearch::None;
    return std::make_unique<optim::Lbfgs>(std::move(parameters), o);
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    throw UsageError(e.what());  // a hyperparameter the optimizer refuses (it names it)
  }
}

}  // namespace tapegrad::cli
