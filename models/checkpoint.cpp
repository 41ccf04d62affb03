#include "checkpoint.hpp"

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../autodiff/support/atomic_file.hpp"
#include "model_file.hpp"

namespace tapegrad::models {
namespace {

using Json = nlohmann::json;
constexpr const char* format_name = "tapegrad-checkpoint";

// JSON has no NaN or infinity, which optimizer states and histories may hold (a "none"
// figure, L-BFGS's first loss): those are written as the strings "nan", "inf", "-inf".
// Finite doubles are written as shortest round-trip decimals, so they read back exactly.
Json number_json(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}
  [[noreturn]] void fail(const std::string& what) const {
    throw Error("tapegrad: checkpoint " + source_ + ": " + what);
  }
  const Json& field(const Json& object, const char* key, const std::string& where) const {
    if (!object.is_object()) fail(where + " is not an object");
    const auto it = object.find(key);
    if (it == object.end()) fail(where + " has no \"" + key + "\"");
    return *it;
  }
  double number(const Json& j, const std::string& where) const {
    if (j.is_number()) return j.get<double>();
    if (j == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (j == "inf") return std::numeric_limits<double>::infinity();
    if (j == "-inf") return -std::numeric_limits<double>::infinity();
    fail(where + " is not a number");
  }
  double number(const Json& object, const char* key, const std::string& where) const {
    return number(field(object, key, where), where + "." + key);
  }
  long long whole(const Json& object, const char* key, const std::string& where) const {
    const Json& j = field(object, key, where);
    if (!j.is_number_integer()) fail(where + "." + key + " is not a whole number");
    return j.get<long long>();
  }
  std::vector<double> numbers(const Json& j, const std::string& where) const {
    if (!j.is_array()) fail(where + " is not an array");
    std::vector<double> out;
    out.reserve(j.size());
    for (const Json& v : j) out.push_back(number(v, where));
    return out;
  }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

Json state_json(const optim::StateDict& state) {
  Json entries = Json::object();
  for (const auto& [key, values] : state.entries) {
    Json array = Json::array();
    for (double v : values) array.push_back(number_json(v));
    entries[key] = std::move(array);
  }
  return entries;
}

optim::StateDict state_of(const Json& j, const Reader& at, const std::string& where) {
  if (!j.is_object()) at.fail(where + " is not an object");
  optim::StateDict state;
  for (const auto& [key, values] : j.items()) state.entries[key] = at.numbers(values, where + "." + key);
  return state;
}

Json record_json(const EpochRecord& r) {
  return {{"epoch", r.epoch},
          {"train_loss", number_json(r.train_loss)},
          {"train_accuracy", number_json(r.train_accuracy)},
          {"validation_loss", number_json(r.validation_loss)},
          {"validation_accuracy", number_json(r.validation_accuracy)},
          {"learning_rate", number_json(r.learning_rate)},
          {"seconds", number_json(r.seconds)},
          {"samples_per_second", number_json(r.samples_per_second)}};
}

EpochRecord record_of(const Json& j, const Reader& at, const std::string& where) {
  EpochRecord r;
  r.epoch = static_cast<int>(at.whole(j, "epoch", where));
  r.train_loss = at.number(j, "train_loss", where);
  r.train_accuracy = at.number(j, "train_accuracy", where);
  r.validation_loss = at.number(j, "validation_loss", where);
  r.validation_accuracy = at.number(j, "validation_accuracy", where);
  r.learning_rate = at.number(j, "learning_rate", where);
  r.seconds = at.number(j, "seconds", where);
  r.samples_per_second = at.number(j, "samples_per_second", where);
  return r;
}

Json trainer_json(const TrainerState& t) {
  Json weights = Json::array();
  for (const Eigen::MatrixXd& w : t.best_weights) {
    Json values = Json::array();
    for (Eigen::Index i = 0; i < w.rows(); ++i)
      for (Eigen::Index k = 0; k < w.cols(); ++k) values.push_back(number_json(w(i, k)));
    weights.push_back({{"rows", w.rows()}, {"cols", w.cols()}, {"values", values}});
  }
  Json epochs = Json::array();
  for (const EpochRecord& r : t.history.epochs) epochs.push_back(record_json(r));
  return {{"rows", t.rows},
          {"batch_size", t.batch_size},
          {"seed", t.seed},
          {"epochs_done", t.epochs_done},
          {"order", t.order},
          {"random_state", t.random_state},
          {"best", number_json(t.best)},
          {"epochs_without_improvement", t.epochs_without_improvement},
          {"best_epoch", t.history.best_epoch},
          {"stopped_early", t.history.stop_reason == StopReason::EarlyStopping},
          {"train_seconds", number_json(t.history.train_seconds)},
          {"history", epochs},
          {"best_weights", weights}};
}

TrainerState trainer_of(const Json& j, const Reader& at) {
  const std::string where = "the trainer state";
  TrainerState t;
  t.rows = at.whole(j, "rows", where);
  t.batch_size = at.whole(j, "batch_size", where);
  const Json& seed = at.field(j, "seed", where);
  if (!seed.is_number_unsigned() && !(seed.is_number_integer() && seed.get<long long>() >= 0))
    at.fail("the seed is not a whole number ≥ 0");
  t.seed = seed.get<std::uint64_t>();
  t.epochs_done = static_cast<int>(at.whole(j, "epochs_done", where));
  const Json& order = at.field(j, "order", where);
  if (!order.is_array() || static_cast<Eigen::Index>(order.size()) != t.rows)
    at.fail("the row order does not hold one entry per row");
  std::vector<bool> seen(static_cast<std::size_t>(t.rows), false);
  for (const Json& i : order) {
    if (!i.is_number_integer() || i.get<long long>() < 0 || i.get<long long>() >= t.rows ||
        seen[static_cast<std::size_t>(i.get<long long>())])
      at.fail("the row order is not a permutation of the rows");
    seen[static_cast<std::size_t>(i.get<long long>())] = true;
    t.order.push_back(i.get<Eigen::Index>());
  }
  const Json& random = at.field(j, "random_state", where);
  if (!random.is_string()) at.fail("the random generator state is not a string");
  t.random_state = random.get<std::string>();
  t.best = at.number(j, "best", where);
  t.epochs_without_improvement = static_cast<int>(at.whole(j, "epochs_without_improvement", where));
  t.history.best_epoch = static_cast<int>(at.whole(j, "best_epoch", where));
  const Json& stopped_early = at.field(j, "stopped_early", where);
  if (!stopped_early.is_boolean()) at.fail("\"stopped_early\" is not true or false");
  if (stopped_early.get<bool>()) t.history.stop_reason = StopReason::EarlyStopping;
  t.history.train_seconds = at.number(j, "train_seconds", where);
  const Json& epochs = at.field(j, "history", where);
  if (!epochs.is_array()) at.fail("the history is not an array");
  for (const Json& r : epochs) t.history.epochs.push_back(record_of(r, at, "an epoch record"));
  if (t.epochs_done < 0 || static_cast<std::size_t>(t.epochs_done) != t.history.epochs.size())
    at.fail("the epoch count and the history disagree");
  const Json& weights = at.field(j, "best_weights", where);
  if (!weights.is_array()) at.fail("the best weights are not an array");
  for (const Json& w : weights) {
    const long long rows = at.whole(w, "rows", "a best weight"), cols = at.whole(w, "cols", "a best weight");
    const std::vector<double> values = at.numbers(at.field(w, "values", "a best weight"), "a best weight");
    if (rows < 0 || cols < 0 || static_cast<long long>(values.size()) != rows * cols)
      at.fail("a best weight's shape does not fit its values");
    t.best_weights.push_back(
        Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            values.data(), rows, cols));
  }
  return t;
}

// Refuses a saved model whose network or loss differs from the one being trained.
template <class T>
void check_same_network(const Reader& at, BasicModel<T>& from, BasicModel<T>& into) {
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
  Json doc = {{"format", format_name},
              {"version", checkpoint_file_version},
              {"model", Json::parse(model_to_json(model))},
              {"optimizer", state_json(optimizer.state_dict())},
              {"schedulers", scheduler_states},
              {"trainer", trainer_json(trainer)}};
  doc["checksum"] = content_checksum(doc.dump());
  write_file_atomically(path, doc.dump(1) + "\n");
}

template <class T>
TrainerState load_checkpoint(const std::filesystem::path& path, BasicModel<T>& model,
                             optim::Optimizer& optimizer, std::vector<optim::StateDict>& schedulers,
                             const TrainerState& run) {
  const Reader at(path.string());
  std::ifstream in(path, std::ios::binary);
  if (!in) at.fail("cannot be opened");
  std::ostringstream text;
  text << in.rdbuf();
  Json doc;
  try {
    doc = Json::parse(text.str());
  } catch (const Json::exception& e) {
    at.fail("not valid JSON (truncated or corrupted?)");
  }
  if (!doc.is_object() || doc.value("format", "") != format_name) at.fail("not a tapegrad checkpoint");
  if (!doc.contains("version") || doc["version"] != checkpoint_file_version)
    at.fail("version " + (doc.contains("version") ? doc["version"].dump() : std::string("missing")) +
            ", this tapegrad reads version " + std::to_string(checkpoint_file_version));
  const Json& checksum = at.field(doc, "checksum", "the checkpoint");
  Json payload = doc;
  payload.erase("checksum");
  if (!checksum.is_string() || checksum.get<std::string>() != content_checksum(payload.dump()))
    at.fail("the checksum does not match its content (damaged or edited)");
  try {
    BasicModel<T> saved = model_from_json<T>(at.field(doc, "model", "the checkpoint").dump(), path.string());
    optim::StateDict optimizer_state =
        state_of(at.field(doc, "optimizer", "the checkpoint"), at, "the optimizer");
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
    try {
      optimizer.load_state_dict(optimizer_state);
    } catch (const Error& e) {
      optimizer.load_state_dict(before);
      at.fail(std::string("its optimizer state does not fit this optimizer: ") + e.what());
    }
    copy_weights(saved, model);
    schedulers = std::move(scheduler_states);
    return trainer;
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
