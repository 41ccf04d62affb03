#include "dataset.hpp"

#include <algorithm>

#include "../../autodiff/support/error.hpp"

namespace tapegrad::models {

Dataset Dataset::subset(std::span<const Eigen::Index> row_indices) const {
  Dataset out;
  out.task = task;
  out.feature_names = feature_names;
  out.class_names = class_names;
  out.label_name = label_name;
  out.source = source;
  out.features.resize(static_cast<Eigen::Index>(row_indices.size()), features.cols());
  if (task == Task::Classify) out.labels.reserve(row_indices.size());
  if (task == Task::Regress) out.targets.resize(out.features.rows(), targets.cols());
  for (std::size_t k = 0; k < row_indices.size(); ++k) {
    const Eigen::Index r = row_indices[k];
    if (r < 0 || r >= rows())
      throw Error("Dataset::subset: row " + std::to_string(r) + " of a data set of " +
                  std::to_string(rows()) + " rows");
    const auto i = static_cast<Eigen::Index>(k);
    out.features.row(i) = features.row(r);
    if (task == Task::Classify) out.labels.push_back(labels[static_cast<std::size_t>(r)]);
    if (task == Task::Regress) out.targets.row(i) = targets.row(r);
  }
  return out;
}

void Dataset::validate() const {
  const std::string where = "data set" + (source.empty() ? std::string() : " " + source) + ": ";
  if (!feature_names.empty() && static_cast<Eigen::Index>(feature_names.size()) != features.cols())
    throw Error(where + std::to_string(feature_names.size()) + " feature names for " +
                std::to_string(features.cols()) + " feature columns");
  if (task == Task::Classify) {
    if (static_cast<Eigen::Index>(labels.size()) != rows())
      throw Error(where + std::to_string(labels.size()) + " labels for " + std::to_string(rows()) + " rows");
    if (class_names.empty() && !labels.empty()) {
      const int classes = 1 + *std::max_element(labels.begin(), labels.end());
      throw Error(where +
                  "class_names is empty: a classification data set names its classes, one name per class "
                  "index (labels here go up to " +
                  std::to_string(classes - 1) + ", so " + std::to_string(classes) +
                  " names, such as \"0\" … \"" + std::to_string(classes - 1) + "\")");
    }
    for (std::size_t i = 0; i < labels.size(); ++i)
      if (labels[i] < 0 || labels[i] >= class_count())
        throw Error(where + "label " + std::to_string(labels[i]) + " of row " + std::to_string(i) +
                    " is not one of the " + std::to_string(class_count()) + " classes");
  } else if (targets.rows() != rows() || targets.cols() == 0) {
    throw Error(where + "targets are " + std::to_string(targets.rows()) + "×" +
                std::to_string(targets.cols()) + " for " + std::to_string(rows()) + " rows");
  }
}

}  // namespace tapegrad::models
