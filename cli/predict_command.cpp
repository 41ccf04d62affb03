// tapegrad predict --model FILE --data PATH.csv: one prediction per row of a saved
// model (a class name, or the regression outputs); with --probabilities each class's
// probability beside it, with --out the same table written as a CSV file.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <variant>

#include "../autodiff/support/atomic_file.hpp"
#include "../models/models.hpp"
#include "arguments.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace tapegrad::cli {
namespace {

namespace fs = std::filesystem;
using models::Dataset;

struct PredictOptions {
  std::string model, data, delimiter = ",", out;
  std::uint64_t seed = 0;
  bool json = false, probabilities = false;
};

// The rows of a data set in the order of the model's features. The label column, when
// the file has one, is read as labels (for the accuracy or RMSE) and left out of the
// features.
struct Rows {
  Eigen::MatrixXd features;
  const Dataset* labelled = nullptr;  // the file's labels, when it has them
};

// The CSV reader names the columns of a file without a header column_0, column_1, …
bool without_header(const Dataset& d) {
  return std::all_of(d.feature_names.begin(), d.feature_names.end(), [](const std::string& name) {
    return name.size() > 7 && name.rfind("column_", 0) == 0 &&
           name.find_first_not_of("0123456789", 7) == std::string::npos;
  });
}

std::string listed(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.size() > 300 ? out.substr(0, 300) + "…" : out;
}

// A file with a header is matched by name, so that its columns may come in any order;
// one that lacks a feature of the model is refused naming it, since matching by position
// instead would predict from the wrong columns without a sign. A file without a header
// has only positions to go by.
template <class T>
Rows rows_for(const models::BasicModel<T>& net, const Dataset& d, const std::string& path) {
  const std::vector<std::string>& wanted = net.feature_names();
  const bool has_labels = !d.label_name.empty();
  const Dataset* labels = has_labels ? &d : nullptr;
  if (!wanted.empty() && !without_header(d)) {
    std::vector<Eigen::Index> columns;
    std::vector<std::string> missing;
    for (const std::string& name : wanted) {
      const auto it = std::find(d.feature_names.begin(), d.feature_names.end(), name);
      if (it == d.feature_names.end())
        missing.push_back(name);
      else
        columns.push_back(it - d.feature_names.begin());
    }
    if (missing.empty()) return {d.features(Eigen::all, columns), labels};
    throw UsageError(
        path + ": the model's feature column" + (missing.size() == 1 ? " " : "s ") + listed(missing) +
        (missing.size() == 1 ? " is" : " are") + " not in the header (it has " + listed(d.feature_names) +
        (has_labels ? ", and the label column " + d.label_name : std::string()) + ")" +
        (missing.size() < wanted.size() ? "; the model takes " + listed(wanted) : std::string()));
  }
  const Eigen::Index expected = wanted.empty() ? d.feature_count() : static_cast<Eigen::Index>(wanted.size());
  if (d.feature_count() == expected) return {d.features, labels};
  throw UsageError(path + ": " + std::to_string(d.feature_count()) + " feature columns, the model takes " +
                   std::to_string(expected) +
                   (has_labels ? " (the label column " + d.label_name + " left out)" : ""));
}

// The rows to predict: a built-in data set by name, as train takes it, or a CSV file.
Dataset load_rows(const PredictOptions& o, const models::CsvOptions& csv) {
  const std::vector<std::string> builtin = models::builtin_dataset_names();
  const std::string canonical = o.data == "spiral" ? "spirals" : o.data;
  if (std::find(builtin.begin(), builtin.end(), canonical) != builtin.end()) {
    if (o.delimiter != ",")
      throw UsageError("--data " + o.data + " is a built-in data set: --delimiter applies to CSV files");
    return models::load_builtin(canonical, o.seed);
  }
  if (!fs::exists(o.data)) {
    const std::string near = closest_name(canonical, builtin);
    throw UsageError("--data: '" + o.data + "' is neither a data set (" + listed(builtin) +
                     ") nor an existing file" + (near.empty() ? "" : "; did you mean " + near + "?"));
  }
  return models::load_csv(o.data, csv);
}

// A CSV field: quoted when it holds the delimiter, a quote, a line break or white space
// at an end, so that any class name reads back as itself.
std::string csv_field(const std::string& text) {
  const bool plain = text.find_first_of(",\"\r\n") == std::string::npos && !text.empty() &&
                     text.front() != ' ' && text.back() != ' ';
  if (plain) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Numbers as precise as the model: 9 significant digits for float, 17 for double.
template <class T>
constexpr int model_digits = std::is_same_v<T, float> ? 9 : 17;

// The predictions as a table: printed one row per line, written by --out as a CSV file
// with its header, and in the JSON object.
struct Table {
  std::vector<std::string> header;
  std::vector<std::string> lines;  // each row as CSV text
};

template <class T>
void predict_with(models::BasicModel<T>& net, const PredictOptions& o) {
  const bool classify = net.task() == models::Task::Classify;
  if (o.probabilities && !classify)
    throw UsageError("--probabilities: " + o.model +
                     " is a regression model (loss mse): it predicts numbers, not classes");
  models::CsvOptions csv;
  csv.delimiter = parse_delimiter(o.delimiter, "--delimiter");
  if (net.label_name().empty()) {
    csv.labelled = false;
  } else {  // the label column, when the file has one, is read as labels and left out
    csv.label_column = net.label_name();
    csv.label_optional = true;
    csv.task = net.task();
  }
  const Dataset d = load_rows(o, csv);
  const Rows rows = rows_for(net, d, o.data);
  Json out = Json::object();
  Table table;
  std::string summary;  // the accuracy or RMSE, on stderr
  if (classify) {
    const std::vector<int> classes = net.classify(rows.features);
    const Eigen::MatrixXd p = o.probabilities ? net.predict(rows.features) : Eigen::MatrixXd();
    const auto class_name = [&](Eigen::Index c) {
      return static_cast<std::size_t>(c) < net.class_names().size() ? net.class_names()[c]
                                                                    : std::to_string(c);
    };
    table.header.push_back("prediction");
    for (Eigen::Index k = 0; k < p.cols(); ++k) table.header.push_back(class_name(k));
    Json all = Json::array(), probabilities = Json::array();
    long right = 0;
    for (std::size_t r = 0; r < classes.size(); ++r) {
      const std::string name = class_name(classes[r]);
      if (rows.labelled != nullptr && rows.labelled->class_names[rows.labelled->labels[r]] == name) ++right;
      all.push_back(name);
      // Without probabilities a line is the class name as it is, as before; a table with
      // more columns quotes it where CSV needs.
      std::string line = o.probabilities || !o.out.empty() ? csv_field(name) : name;
      Json row = Json::object();
      for (Eigen::Index k = 0; k < p.cols(); ++k) {
        const auto i = static_cast<Eigen::Index>(r);
        line += ',' + number(p(i, k), model_digits<T>);
        row[table.header[static_cast<std::size_t>(k) + 1]] = p(i, k);
      }
      if (o.probabilities) probabilities.push_back(std::move(row));
      table.lines.push_back(std::move(line));
    }
    out["predictions"] = all;
    if (o.probabilities) out["probabilities"] = probabilities;
    if (rows.labelled != nullptr) {
      const double accuracy =
          classes.empty() ? 0 : static_cast<double>(right) / static_cast<double>(classes.size());
      out["accuracy"] = accuracy;
      char buffer[64];
      std::snprintf(buffer, sizeof buffer, "accuracy %.2f%% (%ld of %zu rows labelled ", 100 * accuracy,
                    right, classes.size());
      summary = buffer + d.label_name + ")";
    }
  } else {
    const Eigen::MatrixXd y = net.predict(rows.features);
    for (Eigen::Index j = 0; j < y.cols(); ++j)
      table.header.push_back(y.cols() == 1 ? "prediction" : "prediction_" + std::to_string(j));
    Json all = Json::array();
    for (Eigen::Index i = 0; i < y.rows(); ++i) {
      std::string line;
      Json row = Json::array();
      for (Eigen::Index j = 0; j < y.cols(); ++j) {
        if (j > 0) line += ',';
        line += number(y(i, j), model_digits<T>);
        row.push_back(y(i, j));
      }
      all.push_back(y.cols() == 1 ? row[0] : row);
      table.lines.push_back(std::move(line));
    }
    out["predictions"] = all;
    if (rows.labelled != nullptr && rows.labelled->targets.rows() == y.rows() &&
        rows.labelled->targets.cols() == y.cols()) {
      const double rmse =
          std::sqrt((y - rows.labelled->targets).squaredNorm() / static_cast<double>(y.size()));
      out["rmse"] = rmse;
      summary = "RMSE " + number(rmse, model_digits<T>) + " (" + std::to_string(y.rows()) + " labelled rows)";
    }
  }
  std::string header;
  for (const std::string& h : table.header) header += (header.empty() ? "" : ",") + csv_field(h);
  if (!o.out.empty()) {
    std::string text = header + "\n";
    for (const std::string& line : table.lines) (text += line) += '\n';
    write_file_atomically(o.out, text);
    out["out"] = o.out;
  }
  if (o.json) return print_json(out);
  if (!o.out.empty()) {
    std::printf("wrote %zu predictions to %s\n", table.lines.size(), o.out.c_str());
  } else {
    if (o.probabilities) std::printf("%s\n", header.c_str());
    for (const std::string& line : table.lines) std::printf("%s\n", line.c_str());
  }
  if (!summary.empty()) std::fprintf(stderr, "%s\n", summary.c_str());
}

void run_predict(const PredictOptions& o) {
  if (!fs::exists(o.model)) throw UsageError("--model: no file " + o.model);
  parse_delimiter(o.delimiter, "--delimiter");  // before the model is read
  std::error_code ec;
  if (!o.out.empty() && fs::exists(o.data, ec) && fs::equivalent(o.out, o.data, ec))
    throw UsageError("--out " + o.out + " is the --data file: write the predictions elsewhere");
  // A model saved in float or in double, as it was saved.
  models::AnyModel model = models::load_any_model(o.model);
  std::visit([&](auto& net) { predict_with(net, o); }, model);
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto o = std::make_shared<PredictOptions>();
  CLI::App* cmd = app.add_subcommand("predict", "predictions of a saved model, one line per row");
  cmd->add_option("--model", o->model, "a model.json written by train")->required();
  cmd->add_option("--data", o->data,
                  "a CSV file of feature rows (columns matched by header name), or a built-in data set "
                  "as train takes it (digits, iris, xor, moons, spirals)")
      ->required();
  cmd->add_option("--delimiter", o->delimiter, "the CSV's field separator (, ; | or tab)")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "the seed of a generated data set (xor, moons, spirals), as train's")
      ->capture_default_str();
  cmd->add_flag("--probabilities", o->probabilities,
                "a classifier's probability of each class beside the prediction: a header line "
                "(prediction, then the class names) and one CSV row per data row");
  cmd->add_option("--out", o->out, "write the predictions to this CSV file (with a header line) instead");
  cmd->add_flag("--json", o->json,
                "one JSON object: {\"predictions\": […]}, with \"probabilities\" (one object per row, "
                "by class name), and \"accuracy\" or \"rmse\" for labelled rows");
  cmd->callback([o] { run_predict(*o); });
}

}  // namespace tapegrad::cli
