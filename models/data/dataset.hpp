// A data set as the models see it: a rows × features matrix of doubles and, per row,
// a class (classification) or a vector of targets (regression), with the names that
// make predictions readable. Loaders (csv.hpp), generators (generate.hpp) and splits
// (split.hpp) produce it; the Trainer and the models consume it.
#pragma once

#include <Eigen/Core>
#include <span>
#include <string>
#include <vector>

namespace tapegrad::models {

enum class Task { Classify, Regress };

struct Dataset {
  Task task = Task::Classify;
  Eigen::MatrixXd features;                // rows × features
  std::vector<int> labels;                 // Classify: class index of each row
  Eigen::MatrixXd targets;                 // Regress: rows × outputs
  std::vector<std::string> feature_names;  // one per feature column
  std::vector<std::string> class_names;    // Classify: the name of class k
  std::string label_name;
  std::string source;  // where it came from, for error messages

  Eigen::Index rows() const { return features.rows(); }
  Eigen::Index feature_count() const { return features.cols(); }
  int class_count() const { return static_cast<int>(class_names.size()); }

  // The given rows, in the given order.
  Dataset subset(std::span<const Eigen::Index> rows) const;
  // Throws tapegrad::Error when the parts disagree (label count, label range, names).
  void validate() const;
};

}  // namespace tapegrad::models
