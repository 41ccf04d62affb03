// tapegrad train …: a network trained as the Trainer does, on a shipped, generated or
// CSV data set, with test metrics, the model and its loss curve written to --out.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include "../models/models.hpp"
#include "../optim/optim.hpp"
#include "arguments.hpp"
#include "commands.hpp"
#include "limits.hpp"
#include "optimizer_flags.hpp"
#include "output.hpp"
#include "plural.hpp"
#include "process_group.hpp"

namespace tapegrad::cli {
namespace {

namespace fs = std::filesystem;
using models::Dataset;

struct TrainOptions {
  std::string data = "digits", label_column, task = "auto", hidden = "32", activation = "tanh";
  std::string test_data, out, resume, delimiter = ",";
  OptimizerFlags optimizer;
  int epochs = 1000;
  long batch_size = 32;
  std::uint64_t seed = 0;
  double test_fraction = 0.2, validation_fraction = 0;
  // Defaults chosen so that every shipped set trains well with no flags (README): stop
  // once the watched loss (training, or validation when some is held out) has not
  // fallen by 1e-3 for 10 epochs, as scikit-learn's MLPClassifier does by default.
  int patience = 10;
  double min_delta = 1e-3;
  double checkpoint_seconds = 10;
  int threads = 0;
  long shard_rows = ShardRule{}.min_rows, max_shards = ShardRule{}.max_shards;  // the library's defaults
  bool json = false;
  bool optimizer_given = false;  // --optimizer was on the command line (else adam, the default)
};

// classify, regress, or auto: a label column of numbers with many distinct values (more
// than 20, and more than a tenth of the rows) is a regression target.
std::optional<models::Task> task_of(const std::string& name) {
  if (name == "classify") return models::Task::Classify;
  if (name == "regress") return models::Task::Regress;
  if (name == "auto") return std::nullopt;
  throw UsageError("--task: '" + name + "' (expected auto, classify or regress)");
}

bool looks_like_regression(const Dataset& d) {
  const auto classes = static_cast<Eigen::Index>(d.class_names.size());
  if (classes <= 20 || classes * 10 <= d.rows()) return false;
  for (const std::string& name : d.class_names) {
    char* end = nullptr;
    std::strtod(name.c_str(), &end);
    if (name.empty() || *end != '\0') return false;  // a class name, not a number
  }
  return true;
}

Dataset load_data(const std::string& name, const TrainOptions& o, const char* flag) {
  const std::vector<std::string> builtin = models::builtin_dataset_names();
  const std::string canonical = name == "spiral" ? "spirals" : name;
  if (std::find(builtin.begin(), builtin.end(), canonical) != builtin.end()) {
    if (!o.label_column.empty() || task_of(o.task) == models::Task::Regress || o.delimiter != ",")
      throw UsageError(
          std::string(flag) + " " + name +
          " is a built-in classification set: --label-column, --task and --delimiter apply to CSV "
          "files");
    return models::load_builtin(canonical, o.seed);
  }
  if (!fs::exists(name)) {
    const std::string near = closest_name(canonical, builtin);
    throw UsageError(std::string(flag) + ": '" + name +
                     "' is neither a data set (digits, iris, xor, moons, spiral) nor an existing file" +
                     (near.empty() ? "" : "; did you mean " + near + "?"));
  }
  models::CsvOptions csv;
  csv.label_column = o.label_column;
  csv.delimiter = parse_delimiter(o.delimiter, "--delimiter");
  const std::optional<models::Task> task = task_of(o.task);
  csv.task = task.value_or(models::Task::Classify);
  Dataset d = models::load_csv(name, csv);
  if (!task && looks_like_regression(d)) {
    csv.task = models::Task::Regress;
    d = models::load_csv(name, csv);
  }
  return d;
}

// --out is checked before any data is read: it must be a folder this program can
// write in. A folder made only for the check is removed again, so a run that fails
// later leaves nothing behind.
void check_writable_folder(const std::string& folder, const char* flag) {
  std::error_code ec;
  fs::path first_made = fs::absolute(folder, ec);
  while (first_made.has_parent_path() && first_made != first_made.parent_path() &&
         !fs::exists(first_made.parent_path(), ec))
    first_made = first_made.parent_path();
  const bool existed = fs::exists(folder, ec);
  fs::create_directories(folder, ec);
  if (ec)
    throw UsageError(std::string(flag) + " " + folder + ": cannot create the folder (" + ec.message() + ")");
  if (!fs::is_directory(folder, ec)) throw UsageError(std::string(flag) + " " + folder + " is not a folder");
  const fs::path probe = fs::path(folder) / ".tapegrad-write-test";
  std::FILE* f = std::fopen(probe.c_str(), "w");
  if (f != nullptr) std::fclose(f);
  fs::remove(probe, ec);
  if (!existed) fs::remove_all(first_made, ec);
  if (f == nullptr) throw UsageError(std::string(flag) + " " + folder + ": cannot write in this folder");
}

// "sigmoid, tanh, relu, …": every activation of models/activations.hpp.
std::string activation_list() {
  std::string names;
  for (const auto& [activation, name] : models::activation_names)
    names += (names.empty() ? "" : ", ") + std::string(name);
  return names;
}

// --threads within what the machine can use; ThreadPool refuses more too, but the
// message here names the flag.
void check_threads(int threads) {
  if (threads >= 0 && threads <= ThreadPool::max_threads()) return;
  throw UsageError(
      "--threads " + std::to_string(threads) + ": must be 0 to " + std::to_string(ThreadPool::max_threads()) +
      " on this machine (4 per hardware thread, and never fewer than 8; more would only wait for a "
      "core)");
}

// Says when some of --threads would have no shard to compute (the Trainer starts only as
// many threads as a minibatch has shards), naming the limit that binds: --max-shards, the
// data's size, or the batch.
void note_idle_threads(const TrainOptions& o, const models::Trainer& trainer, const Dataset& train) {
  const Eigen::Index rows = trainer.training_rows(train);
  const int used = trainer.threads_with_work(rows);
  if (o.threads <= used) return;
  const Eigen::Index batch = std::min<Eigen::Index>(o.batch_size, rows);
  const std::string advice = used >= o.max_shards ? "a larger --max-shards gives more threads work"
                             : batch == rows
                                 ? "a smaller --shard-rows gives more threads work (the minibatch "
                                   "already holds every training row)"
                                 : "a larger --batch-size or a smaller --shard-rows gives more "
                                   "threads work";
  std::fprintf(
      stderr,
      "tapegrad: note: a minibatch of %s makes %s (shards of at least --shard-rows %ld rows, at most "
      "--max-shards %ld), so %d of --threads %d %s work; %s\n",
      counted(batch, "row").c_str(), counted(used, "shard").c_str(), o.shard_rows, o.max_shards, used,
      o.threads, used == 1 ? "has" : "have", advice.c_str());
}

// The network's parameter count, refused above max_network_weights before it is built.
void check_network_size(const std::vector<Eigen::Index>& widths) {
  double parameters = 0;
  for (std::size_t i = 0; i + 1 < widths.size(); ++i)
    parameters += static_cast<double>(widths[i] + 1) * static_cast<double>(widths[i + 1]);
  if (parameters > max_network_weights)
    throw UsageError("--hidden: this network would have " + number(parameters, 3) +
                     " weights, more than the " + number(max_network_weights, 3) + " train builds");
}

// The state_dict field behind a hyperparameter's flag: "--weight-decay" → "weight_decay".
std::string field_of(const std::string& flag) {
  std::string field = flag.substr(2);
  std::replace(field.begin(), field.end(), '-', '_');
  return field;
}

// A resumed run continues with the optimizer and hyperparameters it was trained with
// (they are in its checkpoint). A flag that asks for others is refused, naming what the
// run has: applying it silently would train on something neither run asked for.
void check_resumed_optimizer(const TrainOptions& o, const optim::StateDict& saved) {
  Parameter probe(Eigen::MatrixXd::Zero(1, 1));
  const optim::StateDict ours = o.optimizer.make({probe})->state_dict();
  const std::string where = "--resume " + o.resume + ": ";
  if (!saved.optimizer.empty() && saved.optimizer != ours.optimizer) {
    std::string run_name = saved.optimizer;
    for (char& c : run_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    throw UsageError(where + "the run was trained with --optimizer " + run_name + ", this command " +
                     (o.optimizer_given ? "gives " : "has the default ") + o.optimizer.name() +
                     "; a resumed run keeps its optimizer (give --optimizer " + run_name +
                     ", or start a new run with --out)");
  }
  std::string changed;
  for (const std::string& flag : o.optimizer.given()) {
    const std::string key = "group.0." + field_of(flag);
    const auto run_value = saved.entries.find(key), our_value = ours.entries.find(key);
    if (run_value == saved.entries.end() || our_value == ours.entries.end() ||
        run_value->second == our_value->second)
      continue;
    changed += (changed.empty() ? "" : ", ") + o.optimizer.as_flag(flag, our_value->second.front()) +
               " (the run has " + o.optimizer.as_flag(flag, run_value->second.front()) + ")";
  }
  if (!changed.empty())
    throw UsageError(where + "a resumed run keeps the hyperparameters it was trained with: " + changed +
                     "; leave the flag out or give the run's value, or start a new run with --out");
}

// What a resumed run will do, said before it does it when that is nothing.
void note_nothing_to_resume(const TrainOptions& o, const models::TrainerState& saved) {
  const bool stopped_early = saved.history.stop_reason == models::TrainingStop::EarlyStopping &&
                             o.patience > 0 && saved.epochs_without_improvement >= o.patience;
  if (stopped_early)
    std::fprintf(
        stderr,
        "tapegrad: note: %s ended by early stopping after epoch %d (%d epochs without a fall of "
        "--min-delta in the watched loss): nothing more to train; resume with a larger --patience, or "
        "--patience 0, to train on\n",
        o.resume.c_str(), saved.epochs_done, saved.epochs_without_improvement);
  else if (saved.epochs_done >= o.epochs)
    std::fprintf(
        stderr,
        "tapegrad: note: %s has trained %d epochs, and --epochs is %d: nothing more to train; give a "
        "larger --epochs to train on\n",
        o.resume.c_str(), saved.epochs_done, o.epochs);
}

models::Activation activation_of(const std::string& name) {
  if (const auto activation = value_named(name, models::activation_names)) return *activation;
  throw UsageError("--activation: '" + name + "' (expected one of " + activation_list() + ")");
}

void run_train(TrainOptions& o) {
  // Everything the flags can get wrong is checked before any data is read.
  o.optimizer.default_for("adam", "lr", "0.01");
  o.optimizer.default_for("adam", "weight-decay", "1e-4");
  o.optimizer.default_for("lbfgs", "line-search", "strong-wolfe");
  o.optimizer.validate();
  const models::Activation activation = activation_of(o.activation);
  const std::vector<long> hidden = parse_widths(o.hidden, "--hidden");
  if (o.epochs < 1) throw UsageError("--epochs must be at least 1");
  if (o.batch_size < 1) throw UsageError("--batch-size must be at least 1");
  if (o.test_data.empty() && !(o.test_fraction > 0 && o.test_fraction < 1))
    throw UsageError("--test-fraction must be strictly between 0 and 1");
  if (!(o.validation_fraction >= 0 && o.validation_fraction < 1))
    throw UsageError("--validation-fraction must be at least 0 and below 1");
  if (o.patience < 0) throw UsageError("--patience must be 0 or more");
  if (o.threads < 0) throw UsageError("--threads must be 0 or more");
  check_threads(o.threads);
  if (o.shard_rows < 1) throw UsageError("--shard-rows must be at least 1");
  if (o.max_shards < 1) throw UsageError("--max-shards must be at least 1");
  if (!(o.min_delta >= 0)) throw UsageError("--min-delta must be 0 or more");
  task_of(o.task);
  parse_delimiter(o.delimiter, "--delimiter");
  if (!o.resume.empty()) {
    if (!o.out.empty() && fs::path(o.out) != fs::path(o.resume))
      throw UsageError("--resume DIR continues the run in DIR and writes there: leave out --out");
    o.out = o.resume;
    if (!fs::exists(fs::path(o.resume) / "checkpoint.json"))
      throw UsageError("--resume " + o.resume + ": no checkpoint.json there (train --out DIR writes one)");
    const models::CheckpointRun saved = models::read_checkpoint_run(fs::path(o.resume) / "checkpoint.json");
    check_resumed_optimizer(o, saved.optimizer);
    if (lead_process()) note_nothing_to_resume(o, saved.trainer);
  }
  // Under mpirun every process trains; only rank 0 writes (process_group.hpp).
  const bool lead = lead_process();
  if (!o.out.empty() && lead) check_writable_folder(o.out, o.resume.empty() ? "--out" : "--resume");
  const bool out_existed = !o.out.empty() && fs::exists(o.out);

  const Dataset all = load_data(o.data, o, "--data");
  models::Split split;
  if (o.test_data.empty()) {
    split = models::train_test_split(all, o.test_fraction, o.seed);
  } else {
    split.train = all;
    split.test = load_data(o.test_data, o, "--test-data");
  }
  std::vector<Eigen::Index> widths{split.train.feature_count()};
  for (long h : hidden) widths.push_back(h);
  const bool classify = split.train.task == models::Task::Classify;
  widths.push_back(classify ? (split.train.class_count() == 2 ? 1 : split.train.class_count())
                            : split.train.targets.cols());
  check_network_size(widths);
  models::MlpOptions mlp{.activation = activation, .seed = o.seed};
  if (!classify) mlp.loss = models::Loss::Mse;
  models::Mlp net(widths, mlp);
  net.standardize_on(split.train);
  net.accept(split.train);
  net.check(split.test);
  const std::unique_ptr<optim::Optimizer> optimizer = o.optimizer.make(net.parameters());

  models::TrainerOptions t;
  t.epochs = o.epochs;
  t.batch_size = o.batch_size;
  t.seed = o.seed;
  t.validation_fraction = o.validation_fraction;  // the test set is never looked at during training
  t.patience = o.patience;
  t.min_delta = o.min_delta;
  t.output = stderr;  // stdout carries the result (and the JSON object)
  t.threads = o.threads;
  t.sharding = {.min_rows = o.shard_rows, .max_shards = o.max_shards};
  t.communicator = process_group();
  if (!o.out.empty()) {
    if (lead) fs::create_directories(o.out);
    t.checkpoint = fs::path(o.out) / "checkpoint.json";
    t.checkpoint_seconds = o.checkpoint_seconds;
    t.resume = !o.resume.empty();
  }
  models::Trainer trainer(t);
  if (lead) note_idle_threads(o, trainer, split.train);
  const models::History history = trainer.fit(net, *optimizer, split.train);
  if (history.stop_reason == models::TrainingStop::Diverged) {
    // A folder this run made holds only checkpoints of a run that diverged: removed, so
    // a failed run leaves nothing behind (as a refused one does).
    std::error_code ec;
    if (lead && !o.out.empty() && !out_existed) fs::remove_all(o.out, ec);
    const double last = history.epochs.back().train_loss;
    throw RunFailed("training diverged at epoch " + std::to_string(history.epochs.size()) +
                    " (training loss " + (std::isnan(last) ? std::string("not a number") : number(last)) +
                    "); try a smaller --lr" +
                    (o.optimizer.name() == "lbfgs" ? std::string(" or --line-search strong-wolfe") : "") +
                    ". The model was not written.");
  }
  const models::Metrics test = net.evaluate(split.test);
  if (!lead) return;

  if (!o.out.empty()) {
    models::save_model(net, fs::path(o.out) / "model.json");
    history.write_csv(fs::path(o.out) / "loss.csv");
    history.write_svg(fs::path(o.out) / "loss.svg", o.data + " network");
  }
  const std::string source = all.source.empty() ? o.data : all.source;
  if (o.json) {
    Json j{{"data", source},
           {"task", classify ? "classify" : "regress"},
           {"test_loss", test.loss},
           {"epochs", history.epochs.size()},
           {"stop_reason", models::stop_reason_name(history.stop_reason)},
           {"train_seconds", history.train_seconds}};
    if (classify) j["test_accuracy"] = test.accuracy;
    if (history.has_validation()) j["best_validation_epoch"] = history.best_epoch;
    if (!o.out.empty()) j["model"] = (fs::path(o.out) / "model.json").string();
    print_json(j);
    return;
  }
  std::printf("data: %s (%td training rows, %s)\n", source.c_str(), split.train.rows(),
              classify ? counted(split.train.class_count(), "class", "classes").c_str() : "regression");
  std::printf("test loss %.6g", test.loss);
  if (classify) std::printf(", test accuracy %.2f%%", 100 * test.accuracy);
  std::printf(" (%s), %s, %s of training\n", counted(split.test.rows(), "test row").c_str(),
              counted(static_cast<long long>(history.epochs.size()), "epoch").c_str(),
              models::format_duration(history.train_seconds).c_str());
  if (!o.out.empty())
    std::printf("wrote %s/model.json, loss.csv, loss.svg and checkpoint.json\n", o.out.c_str());
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* cmd = app.add_subcommand("train", "train a network and report its test metrics");
  cmd->add_option("--data", o->data, "digits, iris, xor, moons, spiral, or a CSV file")
      ->capture_default_str();
  cmd->add_option("--label-column", o->label_column,
                  "CSV: the label column's name or 0-based index (default: last)");
  cmd->add_option("--task", o->task,
                  "CSV: classify, regress, or auto (regress when the label holds many distinct numbers)")
      ->capture_default_str();
  cmd->add_option("--delimiter", o->delimiter, "CSV: the field separator (, ; | or tab)")
      ->capture_default_str();
  cmd->add_option("--hidden", o->hidden, "hidden layer widths, e.g. 32,16 (empty: none)")
      ->capture_default_str();
  cmd->add_option(
         "--activation", o->activation,
         activation_list() + " (gelu: x·Φ(x); gelu_tanh: its tanh approximation; silu: x·sigmoid(x))")
      ->capture_default_str();
  o->optimizer.add_to(*cmd, "adam", Methods::WithoutCurvature);
  cmd->add_option("--epochs", o->epochs, "passes over the training data at most")->capture_default_str();
  cmd->add_option("--batch-size", o->batch_size, "rows per minibatch")->capture_default_str();
  cmd->add_option("--seed", o->seed, "split, initial weights and batch order")->capture_default_str();
  cmd->add_option("--test-fraction", o->test_fraction,
                  "held out for testing (stratified), used only at the end")
      ->capture_default_str();
  cmd->add_option("--test-data", o->test_data, "a separate test set instead of --test-fraction");
  cmd->add_option("--validation-fraction", o->validation_fraction,
                  "of the training rows, held out to watch and stop on (else the training loss is watched)")
      ->capture_default_str();
  cmd->add_option(
         "--patience", o->patience,
         "stop after this many epochs without a fall of --min-delta in the watched loss, keeping the "
         "best weights (0: every epoch runs)")
      ->capture_default_str();
  cmd->add_option("--min-delta", o->min_delta, "the least fall of the watched loss that counts")
      ->capture_default_str();
  cmd->add_option(
      "--out", o->out,
      "folder for model.json, loss.csv, loss.svg and checkpoint.json (the model only on success)");
  cmd->add_option("--checkpoint-seconds", o->checkpoint_seconds,
                  "write checkpoint.json at most this often, in seconds of training, and after the last "
                  "epoch (0: after every epoch)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option(
      "--resume", o->resume,
      "continue the run whose --out was DIR from its checkpoint (give the same flags; --epochs may grow)");
  cmd->add_option("--threads", o->threads,
                  "data-parallel training on N threads: each minibatch is cut into shards (as many as have "
                  "--shard-rows rows, at most --max-shards) and their gradients added in a fixed order, so "
                  "every N (and every number of mpirun processes) trains the same weights, bit for bit. 0: "
                  "each minibatch on one tape")
      ->capture_default_str();
  cmd->add_option("--shard-rows", o->shard_rows,
                  "the fewest rows of a shard (with --threads or under mpirun)")
      ->capture_default_str();
  cmd->add_option("--max-shards", o->max_shards,
                  "the most shards of a minibatch: at least the threads × processes that should share it")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "one JSON object with test_accuracy, test_loss, epochs, train_seconds");
  cmd->footer(
      "Defaults: one hidden layer of 32 tanh units, Adam with lr 0.01 and weight decay 1e-4, minibatches of "
      "32, up to 1000 epochs, stopping once the training loss has not fallen by 1e-3 for 10 epochs.");
  cmd->callback([o, cmd] {
    o->optimizer_given = cmd->count("--optimizer") > 0;
    run_train(*o);
  });
}

}  // namespace tapegrad::cli
