/// \file
/// A data set as the models see it: a rows × features matrix of doubles and, per row,
/// a class (classification) or a vector of targets (regression), with the names that
/// make predictions readable. Loaders (csv.hpp), generators (generate.hpp) and splits
/// (split.hpp) produce it; the Trainer and the models consume it.
#pragma once

#include <Eigen/Core>
#include <span>
#include <string>
#include <vector>

namespace tapegrad::models {

/// What a data set is for: classification (labels are class indices) or regression (targets are numbers).
enum class Task {
  Classify,  ///< labels are class indices
  Regress    ///< targets are numbers
};

/// A data set in memory: a feature matrix with class labels (classification) or target rows (regression), and
/// the names that go with them. Loaded by load_csv() or load_builtin(), or built by hand:
///
/// \snippet test_doc_examples.cpp dataset
struct Dataset {
  /// Classification or regression.
  Task task = Task::Classify;
  Eigen::MatrixXd features;                ///< rows × features
  std::vector<int> labels;                 ///< Classify: class index of each row
  Eigen::MatrixXd targets;                 ///< Regress: rows × outputs
  std::vector<std::string> feature_names;  ///< one per feature column
  std::vector<std::string> class_names;    ///< Classify: the name of class k
  /// The label column's name.
  std::string label_name;
  std::string source;  ///< where it came from, for error messages

  /// The number of rows (samples).
  Eigen::Index rows() const { return features.rows(); }
  /// The number of feature columns.
  Eigen::Index feature_count() const { return features.cols(); }
  /// The number of classes (classification).
  int class_count() const { return static_cast<int>(class_names.size()); }

  /// The given rows, in the given order.
  Dataset subset(std::span<const Eigen::Index> rows) const;
  /// Throws tapegrad::Error when the parts disagree (label count, label range, names).
  void validate() const;
};

}  // namespace tapegrad::models
