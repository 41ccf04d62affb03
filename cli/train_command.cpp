// tapegrad train …: a network trained as the Trainer does, on a shipped, generated or
// CSV data set, with test metrics, the model and its loss curve written to --out.
#include <filesystem>
#include <memory>

#include "../models/models.hpp"
#include "../optim/optim.hpp"
#include "arguments.hpp"
#include "commands.hpp"
#include "optimizer_flags.hpp"
#include "output.hpp"

namespace tapegrad::cli {
namespace {

namespace fs = std::filesystem;
using models::Dataset;

struct TrainOptions {
  std::string data = "digits", label_column, task = "classify", hidden = "32", activation = "sigmoid";
  std::string test_data, out;
  OptimizerFlags optimizer;
  int epochs = 40;
  long batch_size = 32;
  std::uint64_t seed = 0;
  double test_fraction = 0.2;
  bool json = false;
};

models::Task task_of(const std::string& name) {
  if (name == "classify") return models::Task::Classify;
  if (name == "regress") return models::Task::Regress;
  throw UsageError("--task: '" + name + "' (expected classify or regress)");
}

Dataset load_data(const std::string& name, const TrainOptions& o, const char* flag) {
  const std::vector<std::string> builtin = models::builtin_dataset_names();
  const std::string canonical = name == "spiral" ? "spirals" : name;
  if (std::find(builtin.begin(), builtin.end(), canonical) != builtin.end()) {
    if (!o.label_column.empty() || o.task != "classify")
      throw UsageError(std::string(flag) + " " + name +
                       " is a built-in classification set: --label-column and --task apply to CSV files");
    return models::load_builtin(canonical, o.seed);
  }
  if (!fs::exists(name))
    throw UsageError(std::string(flag) + ": '" + name +
                     "' is neither a data set (digits, iris, xor, moons, spiral) nor an existing file");
  models::CsvOptions csv;
  csv.label_column = o.label_column;
  csv.task = task_of(o.task);
  return models::load_csv(name, csv);
}

models::Activation activation_of(const std::string& name) {
  if (const auto activation = value_named(name, models::activation_names)) return *activation;
  throw UsageError("--activation: '" + name + "' (expected sigmoid, tanh or relu)");
}

void run_train(TrainOptions& o) {
  // Everything the flags can get wrong is checked before any data is read.
  o.optimizer.validate();
  const models::Activation activation = activation_of(o.activation);
  const std::vector<long> hidden = parse_widths(o.hidden, "--hidden");
  if (o.epochs < 1) throw UsageError("--epochs must be at least 1");
  if (o.batch_size < 1) throw UsageError("--batch-size must be at least 1");
  if (o.test_data.empty() && !(o.test_fraction > 0 && o.test_fraction < 1))
    throw UsageError("--test-fraction must be strictly between 0 and 1");
  task_of(o.task);

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
  t.output = stderr;  // stdout carries the result (and the JSON object)
  const models::History history = models::Trainer(t).fit(net, *optimizer, split.train, split.test);
  const models::Metrics test = net.evaluate(split.test);

  if (!o.out.empty()) {
    fs::create_directories(o.out);
    models::save_model(net, fs::path(o.out) / "model.json");
    history.write_csv(fs::path(o.out) / "loss.csv");
    history.write_svg(fs::path(o.out) / "loss.svg", o.data + " network");
  }
  if (o.json) {
    Json j{{"test_loss", test.loss},
           {"epochs", history.epochs.size()},
           {"train_seconds", history.train_seconds}};
    if (classify) j["test_accuracy"] = test.accuracy;
    if (!o.out.empty()) j["model"] = (fs::path(o.out) / "model.json").string();
    print_json(j);
    return;
  }
  std::printf("test loss %.6g", test.loss);
  if (classify) std::printf(", test accuracy %.2f%%", 100 * test.accuracy);
  std::printf(" (%td test rows), %zu epochs, %.3f s of training\n", split.test.rows(), history.epochs.size(),
              history.train_seconds);
  if (!o.out.empty()) std::printf("wrote %s/model.json, loss.csv and loss.svg\n", o.out.c_str());
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* cmd = app.add_subcommand("train", "train a network and report its test metrics");
  cmd->add_option("--data", o->data, "digits, iris, xor, moons, spiral, or a CSV file")
      ->capture_default_str();
  cmd->add_option("--label-column", o->label_column,
                  "CSV: the label column's name or 0-based index (default: last)");
  cmd->add_option("--task", o->task, "CSV: classify or regress")->capture_default_str();
  cmd->add_option("--hidden", o->hidden, "hidden layer widths, e.g. 32,16 (empty: none)")
      ->capture_default_str();
  cmd->add_option("--activation", o->activation, "sigmoid, tanh or relu")->capture_default_str();
  o->optimizer.add_to(*cmd, "adam");
  cmd->add_option("--epochs", o->epochs, "passes over the training data")->capture_default_str();
  cmd->add_option("--batch-size", o->batch_size, "rows per minibatch")->capture_default_str();
  cmd->add_option("--seed", o->seed, "split, initial weights and batch order")->capture_default_str();
  cmd->add_option("--test-fraction", o->test_fraction, "held out for testing (stratified)")
      ->capture_default_str();
  cmd->add_option("--test-data", o->test_data, "a separate test set instead of --test-fraction");
  cmd->add_option("--out", o->out, "folder for model.json, loss.csv and loss.svg (written only on success)");
  cmd->add_flag("--json", o->json, "one JSON object with test_accuracy, test_loss, epochs, train_seconds");
  cmd->callback([o] { run_train(*o); });
}

}  // namespace tapegrad::cli
