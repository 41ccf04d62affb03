// tapegrad predict --model FILE --data PATH.csv: one prediction per row of a saved
// model (a class name, or the regression outputs).
#include <filesystem>
#include <memory>

#include "../models/models.hpp"
#include "arguments.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace tapegrad::cli {
namespace {

namespace fs = std::filesystem;
using models::Dataset;

struct PredictOptions {
  std::string model, data;
  bool json = false;
};

// The rows of a CSV in the order of the model's features: by header name when the
// header has them all, else by position; the label column, if present, is left out.
Eigen::MatrixXd features_for(const models::Model& net, const std::string& path) {
  models::CsvOptions csv;
  if (net.label_name().empty()) {
    csv.labelled = false;
  } else {  // the label column, when the file has one, is read as labels and left out
    csv.label_column = net.label_name();
    csv.label_optional = true;
    csv.task = net.task();
  }
  const Dataset d = models::load_csv(path, csv);
  const std::vector<std::string>& wanted = net.feature_names();
  std::vector<Eigen::Index> columns;
  for (const std::string& name : wanted) {
    const auto it = std::find(d.feature_names.begin(), d.feature_names.end(), name);
    if (it == d.feature_names.end()) break;
    columns.push_back(it - d.feature_names.begin());
  }
  if (!wanted.empty() && columns.size() == wanted.size()) return d.features(Eigen::all, columns);
  Eigen::Index expected = wanted.empty() ? d.feature_count() : static_cast<Eigen::Index>(wanted.size());
  if (d.feature_count() == expected) return d.features;
  if (d.feature_count() == expected + 1 && !net.label_name().empty() &&
      d.feature_names.back() == net.label_name())
    return d.features.leftCols(expected);
  throw UsageError(path + ": " + std::to_string(d.feature_count()) + " columns, the model takes " +
                   std::to_string(expected) + " features");
}

void run_predict(const PredictOptions& o) {
  if (!fs::exists(o.model)) throw UsageError("--model: no file " + o.model);
  models::Model net = models::load_model<float>(o.model);
  const Eigen::MatrixXd x = features_for(net, o.data);
  if (net.task() == models::Task::Classify) {
    const std::vector<int> classes = net.classify(x);
    Json all = Json::array();
    for (int c : classes) {
      const std::string name =
          static_cast<std::size_t>(c) < net.class_names().size() ? net.class_names()[c] : std::to_string(c);
      if (o.json)
        all.push_back(name);
      else
        std::printf("%s\n", name.c_str());
    }
    if (o.json) print_json({{"predictions", all}});
    return;
  }
  const Eigen::MatrixXd y = net.predict(x);
  Json all = Json::array();
  for (Eigen::Index i = 0; i < y.rows(); ++i) {
    std::string line;
    Json row = Json::array();
    for (Eigen::Index j = 0; j < y.cols(); ++j) {
      if (j > 0) line += ',';
      line += number(y(i, j));
      row.push_back(y(i, j));
    }
    if (o.json)
      all.push_back(y.cols() == 1 ? row[0] : row);
    else
      std::printf("%s\n", line.c_str());
  }
  if (o.json) print_json({{"predictions", all}});
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto o = std::make_shared<PredictOptions>();
  CLI::App* cmd = app.add_subcommand("predict", "predictions of a saved model, one line per row");
  cmd->add_option("--model", o->model, "a model.json written by train")->required();
  cmd->add_option("--data", o->data, "a CSV file of feature rows")->required();
  cmd->add_flag("--json", o->json, "one JSON object: {\"predictions\": […]}");
  cmd->callback([o] { run_predict(*o); });
}

}  // namespace tapegrad::cli
