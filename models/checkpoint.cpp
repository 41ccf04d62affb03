#include "checkpoint.hpp"

#include <tuple>

#include "../autodiff/support/atomic_file.hpp"
#include "../autodiff/support/json_document.hpp"
#include "model_file.hpp"

namespace tapegrad::models {
namespace {

using detail::Json;
using detail::JsonField;
using detail::Numbers;

// Version 1 is the first; a later one adds its conversion from the one before to open().
constexpr detail::FileFormat checkpoint_format{.what = "checkpoint",
                                               .name = "tapegrad-checkpoint",
                                               .version = checkpoint_file_version,
                                               .oldest_readable = 1};

// The members of the Trainer's state, its history and an epoch record that a checkpoint
// keeps as they are, each under its name: one list for writing and reading. (The row order,
// the early stop, the records and the best weights are written and checked below.)
// NaN and infinities, which optimizer states and histories may hold (a "none" figure,
// L-BFGS's first loss), are written as "nan", "inf", "-inf" (detail::json_number).
constexpr auto trainer_fields =
    std::tuple{JsonField{"rows", &TrainerState::rows},
               JsonField{"batch_size", &TrainerState::batch_size},
               JsonField{"seed", &TrainerState::seed},
               JsonField{"epochs_done", &TrainerState::epochs_done},
               JsonField{"random_state", &TrainerState::random_state},
               JsonField{"best", &TrainerState::best},
               JsonField{"epochs_without_improvement", &TrainerState::epochs_without_improvement}};
constexpr auto history_fields = std::tuple{JsonField{"best_epoch", &History::best_epoch},
                                           JsonField{"train_seconds", &History::train_seconds}};
constexpr auto epoch_fields = std::tuple{JsonField{"epoch", &EpochRecord::epoch},
                                         JsonField{"train_loss", &EpochRecord::train_loss},
                                         JsonField{"train_accuracy", &EpochRecord::train_accuracy},
                                         JsonField{"validation_loss", &EpochRecord::validation_loss},
                                         JsonField{"validation_accuracy", &EpochRecord::validation_accuracy},
                                         JsonField{"learning_rate", &EpochRecord::learning_rate},
                                         JsonField{"seconds", &EpochRecord::seconds},
                                         JsonField{"samples_per_second", &EpochRecord::samples_per_second}};

Json state_json(const optim::StateDict& state) {
  Json entries = Json::object();
  for (const auto& [key, values] : state.entries) {
    Json array = Json::array();
    for (double v : values) array.push_back(detail::json_number(v));
    entries[key] = std::move(array);
  }
  return entries;
}

optim::StateDict state_of(const Json& j, const detail::JsonReader& at, const std::string& where) {
  if (!j.is_object()) at.fail(where + " is not an object");
  optim::StateDict state;
  for (const auto& [key, values] : j.items())
    state.entries[key] = at.numbers(values, where + "." + key, Numbers::OrSpecial);
  return state;
}

// The optimizer's state with its name (which checkpoints written before names were
// saved lack: the name stays empty and is not checked).
optim::StateDict optimizer_state_of(const Json& doc, const detail::JsonReader& at) {
  optim::StateDict state = state_of(at.field(doc, "optimizer", "the checkpoint"), at, "the optimizer");
  if (const auto name = doc.find("optimizer_name"); name != doc.end()) {
    if (!name->is_string()) at.fail("the optimizer's name is not text");
    state.optimizer = name->get<std::string>();
  }
  return state;
}

Json trainer_json(const TrainerState& t) {
  Json j = Json::object();
  detail::write_fields(j, t, trainer_fields);
  detail::write_fields(j, t.history, history_fields);
  j["order"] = t.order;
  j["stopped_early"] = t.history.stop_reason == TrainingStop::EarlyStopping;
  Json epochs = Json::array();
  for (const EpochRecord& r : t.history.epochs) {
    Json record = Json::object();
    detail::write_fields(record, r, epoch_fields);
    epochs.push_back(std::move(record));
  }
  j["history"] = std::move(epochs);
  Json weights = Json::array();
  for (const Eigen::MatrixXd& w : t.best_weights)
    weights.push_back(
        detail::matrix_json(w.rows(), w.cols(), [&](Eigen::Index i, Eigen::Index k) { return w(i, k); }));
  j["best_weights"] = std::move(weights);
  return j;
}

TrainerState trainer_of(const Json& j, const detail::JsonReader& at) {
  const std::string where = "the trainer state";
  TrainerState t;
  detail::read_fields(at, j, where, t, trainer_fields);
  detail::read_fields(at, j, where, t.history, history_fields);
  const Json& order = at.field(j, "order", Json::value_t::array, where);
  if (t.rows < 0 || static_cast<Eigen::Index>(order.size()) != t.rows)
    at.fail("the row order does not hold one entry per row");
  std::vector<bool> seen(static_cast<std::size_t>(t.rows), false);
  for (const Json& i : order) {
    if (!i.is_number_integer() || i.get<long long>() < 0 || i.get<long long>() >= t.rows ||
        seen[static_cast<std::size_t>(i.get<long long>())])
      at.fail("the row order is not a permutation of the rows");
    seen[static_cast<std::size_t>(i.get<long long>())] = true;
    t.order.push_back(i.get<Eigen::Index>());
  }
  if (at.boolean(j, "stopped_early", where)) t.history.stop_reason = TrainingStop::EarlyStopping;
  const Json& epochs = at.field(j, "history", Json::value_t::array, where);
  for (std::size_t e = 0; e < epochs.size(); ++e) {
    EpochRecord r;
    detail::read_fields(at, epochs[e], "epoch record " + std::to_string(e), r, epoch_fields);
    t.history.epochs.push_back(r);
  }
  if (t.epochs_done < 0 || static_cast<std::size_t>(t.epochs_done) != t.history.epochs.size())
    at.fail("the epoch count and the history disagree");
  const Json& weights = at.field(j, "best_weights", Json::value_t::array, where);
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const auto w = at.matrix<double>(weights[i], "best weight " + std::to_string(i), Numbers::OrSpecial);
    t.best_weights.push_back(
        Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            w.values.data(), static_cast<Eigen::Index>(w.rows), static_cast<Eigen::Index>(w.cols)));
  }
  return t;
}

// Refuses a saved model whose network or loss differs from the one being trained.
template <class T>
void check_same_network(const detail::JsonReader& at, BasicModel<T>& from, BasicModel<T>& into) {
  if (from.loss_kind() != into.loss_kind())
    at.fail(std::string("it holds a model trained with ") + loss_name(from.loss_kind()) + ", this one uses " +
            loss_name(into.loss_kind()));
  const auto source = from.network().weights(), target = into.network().weights();
  bool same = source.size() == target.size() && from.network().size() == into.network().size();
  for (std::size_t i = 0; same && i < from.network().size(); ++i)
    same = from.network()[i].kind() == into.network()[i].kind();
  for (std::size_t i = 0; same && i < source.size(); ++i)
    same = source[i]->value().rows() == target[i]->value().rows() &&
           source[i]->value().cols() == target[i]->value().cols();
  if (!same) at.fail("its model has other layers or layer widths than this one");
}

template <class T>
void copy_weights(BasicModel<T>& from, BasicModel<T>& into) {
  const auto source = from.network().weights(), target = into.network().weights();
  for (std::size_t i = 0; i < source.size(); ++i) target[i]->value() = source[i]->value();
  into.set_scaling(from.scaling());
  into.set_names(from.feature_names(), from.class_names(), from.label_name());
}

}  // namespace

template <class T>
void save_checkpoint(const std::filesystem::path& path, const BasicModel<T>& model,
                     const optim::Optimizer& optimizer, const std::vector<optim::StateDict>& schedulers,
                     const TrainerState& trainer) {
  Json scheduler_states = Json::array();
  for (const optim::StateDict& s : schedulers) scheduler_states.push_back(state_json(s));
  const optim::StateDict optimizer_state = optimizer.state_dict();
  const Json doc = {{"model", Json::parse(model_to_json(model))},
                    {"optimizer", state_json(optimizer_state)},
                    {"optimizer_name", optimizer_state.optimizer},
                    {"schedulers", scheduler_states},
                    {"trainer", trainer_json(trainer)}};
  write_file_atomically(path, detail::seal_json(checkpoint_format, doc));
}

template <class T>
TrainerState load_checkpoint(const std::filesystem::path& path, BasicModel<T>& model,
                             optim::Optimizer& optimizer, std::vector<optim::StateDict>& schedulers,
                             const TrainerState& run) {
  const detail::JsonReader at(checkpoint_format, path.string());
  const Json doc = at.open_file(path);
  try {
    BasicModel<T> saved = model_from_json<T>(at.field(doc, "model", "the checkpoint").dump(), path.string());
    optim::StateDict optimizer_state = optimizer_state_of(doc, at);
    std::vector<optim::StateDict> scheduler_states;
    const Json& s = at.field(doc, "schedulers", "the checkpoint");
    if (!s.is_array()) at.fail("the schedulers are not an array");
    for (const Json& one : s) scheduler_states.push_back(state_of(one, at, "a scheduler"));
    TrainerState trainer = trainer_of(at.field(doc, "trainer", "the checkpoint"), at);
    const auto differs = [&](const char* what, auto in_file, auto now) {
      if (in_file != now)
        at.fail(std::string("it was written by a run with ") + what + " " + std::to_string(in_file) +
                ", this run has " + std::to_string(now));
    };
    differs("training rows", trainer.rows, run.rows);
    differs("batch size", trainer.batch_size, run.batch_size);
    differs("seed", trainer.seed, run.seed);
    check_same_network(at, saved, model);
    const auto weights = model.network().weights();
    bool fits = trainer.best_weights.empty() || trainer.best_weights.size() == weights.size();
    for (std::size_t i = 0; fits && i < trainer.best_weights.size(); ++i)
      fits = trainer.best_weights[i].rows() == weights[i]->value().rows() &&
             trainer.best_weights[i].cols() == weights[i]->value().cols();
    if (!fits) at.fail("its best weights do not fit the model");
    if (scheduler_states.size() != schedulers.size())
      at.fail("it holds " + std::to_string(scheduler_states.size()) + " schedulers' states, this run has " +
              std::to_string(schedulers.size()));
    // Everything is read and checked; now the optimizer (which checks its own state
    // against its parameters), then the model.
    const optim::StateDict before = optimizer.state_dict();
    if (!optimizer_state.optimizer.empty() && !before.optimizer.empty() &&
        optimizer_state.optimizer != before.optimizer)
      at.fail("it was written by a run with the optimizer " + optimizer_state.optimizer + ", this run has " +
              before.optimizer);
    try {
      optimizer.load_state_dict(optimizer_state);
    } catch (const Error& e) {
      optimizer.load_state_dict(before);
      at.fail(std::string("its optimizer state does not fit this optimizer: ").append(e.message()));
    }
    copy_weights(saved, model);
    schedulers = std::move(scheduler_states);
    return trainer;
  } catch (const Json::exception& e) {
    at.fail(std::string("unexpected content: ") + e.what());
  }
}

CheckpointRun read_checkpoint_run(const std::filesystem::path& path) {
  const detail::JsonReader at(checkpoint_format, path.string());
  const Json doc = at.open_file(path);
  try {
    return {optimizer_state_of(doc, at), trainer_of(at.field(doc, "trainer", "the checkpoint"), at)};
  } catch (const Json::exception& e) {
    at.fail(std::string("unexpected content: ") + e.what());
  }
}

template void save_checkpoint(const std::filesystem::path&, const BasicModel<float>&, const optim::Optimizer&,
                              const std::vector<optim::StateDict>&, const TrainerState&);
template void save_checkpoint(const std::filesystem::path&, const BasicModel<double>&,
                              const optim::Optimizer&, const std::vector<optim::StateDict>&,
                              const TrainerState&);
template TrainerState load_checkpoint(const std::filesystem::path&, BasicModel<float>&, optim::Optimizer&,
                                      std::vector<optim::StateDict>&, const TrainerState&);
template TrainerState load_checkpoint(const std::filesystem::path&, BasicModel<double>&, optim::Optimizer&,
                                      std::vector<optim::StateDict>&, const TrainerState&);

}  // namespace tapegrad::models
