// tapegrad predict --model FILE --data PATH.csv: one prediction per row of a saved
// model (a class name, or the regression outputs).
#include <cmath>
#include <filesystem>
#include <memory>
#include <variant>

#include "../models/models.hpp"
#include "arguments.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace tapegrad::cli {
namespace {

namespace fs = std::filesystem;
using models::Dataset;

struct PredictOptions {
  std::string model, data, delimiter = ",";
  bool json = false;
};

// The rows of a CSV in the order of the model's features: by header name when the
// header has them all, else by position. The label column, when the file has one, is
// read as labels (for the accuracy or RMSE) and left out of the features.
struct Rows {
  Eigen::MatrixXd features;
  const Dataset* labelled = nullptr;  // the file's labels, when it has them
};

template <class T>
Rows rows_for(const models::BasicModel<T>& net, const Dataset& d, const std::string& path) {
  const std::vector<std::string>& wanted = net.feature_names();
  std::vector<Eigen::Index> columns;
  for (const std::string& name : wanted) {
    const auto it = std::find(d.feature_names.begin(), d.feature_names.end(), name);
    if (it == d.feature_names.end()) break;
    columns.push_back(it - d.feature_names.begin());
  }
  const bool has_labels = !d.label_name.empty();
  if (!wanted.empty() && columns.size() == wanted.size())
    return {d.features(Eigen::all, columns), has_labels ? &d : nullptr};
  Eigen::Index expected = wanted.empty() ? d.feature_count() : static_cast<Eigen::Index>(wanted.size());
  if (d.feature_count() == expected) return {d.features, has_labels ? &d : nullptr};
  throw UsageError(path + ": " + std::to_string(d.feature_count()) + " feature columns, the model takes " +
                   std::to_string(expected) +
                   (has_labels ? " (the label column " + d.label_name + " left out)" : ""));
}

// Numbers as precise as the model: 9 significant digits for float, 17 for double.
template <class T>
constexpr int model_digits = std::is_same_v<T, float> ? 9 : 17;

template <class T>
void predict_with(models::BasicModel<T>& net, const PredictOptions& o) {
  models::CsvOptions csv;
  csv.delimiter = parse_delimiter(o.delimiter, "--delimiter");
  if (net.label_name().empty()) {
    csv.labelled = false;
  } else {  // the label column, when the file has one, is read as labels and left out
    csv.label_column = net.label_name();
    csv.label_optional = true;
    csv.task = net.task();
  }
  const Dataset d = models::load_csv(o.data, csv);
  const Rows rows = rows_for(net, d, o.data);
  Json out = Json::object();
  if (net.task() == models::Task::Classify) {
    const std::vector<int> classes = net.classify(rows.features);
    Json all = Json::array();
    long right = 0;
    for (std::size_t r = 0; r < classes.size(); ++r) {
      const int c = classes[r];
      const std::string name =
          static_cast<std::size_t>(c) < net.class_names().size() ? net.class_names()[c] : std::to_string(c);
      if (rows.labelled != nullptr && rows.labelled->class_names[rows.labelled->labels[r]] == name) ++right;
      if (o.json)
        all.push_back(name);
      else
        std::printf("%s\n", name.c_str());
    }
    out["predictions"] = all;
    if (rows.labelled != nullptr) {
      const double accuracy =
          classes.empty() ? 0 : static_cast<double>(right) / static_cast<double>(classes.size());
      out["accuracy"] = accuracy;
      if (!o.json)
        std::fprintf(stderr, "accuracy %.2f%% (%ld of %zu rows labelled %s)\n", 100 * accuracy, right,
                     classes.size(), d.label_name.c_str());
    }
  } else {
    const Eigen::MatrixXd y = net.predict(rows.features);
    Json all = Json::array();
    for (Eigen::Index i = 0; i < y.rows(); ++i) {
      std::string line;
      Json row = Json::array();
      for (Eigen::Index j = 0; j < y.cols(); ++j) {
        if (j > 0) line += ',';
        line += number(y(i, j), model_digits<T>);
        row.push_back(y(i, j));
      }
      if (o.json)
        all.push_back(y.cols() == 1 ? row[0] : row);
      else
        std::printf("%s\n", line.c_str());
    }
    out["predictions"] = all;
    if (rows.labelled != nullptr && rows.labelled->targets.rows() == y.rows() &&
        rows.labelled->targets.cols() == y.cols()) {
      const double rmse =
          std::sqrt((y - rows.labelled->targets).squaredNorm() / static_cast<double>(y.size()));
      out["rmse"] = rmse;
      if (!o.json)
        std::fprintf(stderr, "RMSE %s (%td labelled rows)\n", number(rmse, model_digits<T>).c_str(),
                     y.rows());
    }
  }
  if (o.json) print_json(out);
}

void run_predict(const PredictOptions& o) {
  if (!fs::exists(o.model)) throw UsageError("--model: no file " + o.model);
  parse_delimiter(o.delimiter, "--delimiter");  // before the model is read
  // A model saved in float or in double, as it was saved.
  models::AnyModel model = models::load_any_model(o.model);
  std::visit([&](auto& net) { predict_with(net, o); }, model);
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto o = std::make_shared<PredictOptions>();
  CLI::App* cmd = app.add_subcommand("predict", "predictions of a saved model, one line per row");
  cmd->add_option("--model", o->model, "a model.json written by train")->required();
  cmd->add_option("--data", o->data, "a CSV file of feature rows")->required();
  cmd->add_option("--delimiter", o->delimiter, "the CSV's field separator (, ; | or tab)")
      ->capture_default_str();
  cmd->add_flag("--json", o->json,
                "one JSON object: {\"predictions\": […]}, with \"accuracy\" or \"rmse\" for labelled rows");
  cmd->callback([o] { run_predict(*o); });
}

}  // namespace tapegrad::cli
