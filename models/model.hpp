/// \file
/// A model: a network (Sequential), the loss it is trained with, the standardization of
/// its inputs, and the names of its features and classes. It is what the Trainer fits,
/// what a model file holds, and what turns raw feature rows into predictions. Mlp,
/// LinearRegression and LogisticRegression are models built a particular way.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>

#include "../autodiff/support/enum_names.hpp"
#include "../autodiff/support/instantiate.hpp"
#include "../autodiff/tensor/losses.hpp"
#include "data/dataset.hpp"
#include "data/standardize.hpp"
#include "layers.hpp"
#include "sequential.hpp"

namespace tapegrad::models {

/// The training loss of a model, which also says its task.
enum class Loss {
  SoftmaxCrossEntropy,  ///< classes ≥ 2, one output (logit) per class
  BinaryCrossEntropy,   ///< two classes, one output: the logit of class 1
  Mse                   ///< regression, one output per target
};

/// The names of the losses, as model files and the command line write them.
inline constexpr EnumNames<Loss, 3> loss_names = {{{Loss::SoftmaxCrossEntropy, "softmax_cross_entropy"},
                                                   {Loss::BinaryCrossEntropy, "binary_cross_entropy"},
                                                   {Loss::Mse, "mse"}}};
/// The name of `loss`.
inline const char* loss_name(Loss loss) { return name_of(loss, loss_names); }

/// Loss and accuracy over a data set; accuracy is NaN for regression.
struct Metrics {
  /// The mean loss.
  double loss = std::numeric_limits<double>::quiet_NaN();
  /// The fraction of rows classified correctly (NaN for regression).
  double accuracy = std::numeric_limits<double>::quiet_NaN();
};

/// A data set made ready for a model of scalar T: standardized features, and the
/// targets in the form its loss takes.
template <class T>
struct PreparedData {
  /// The standardized features.
  MatrixX<T> x;
  std::vector<int> labels;  ///< classification
  MatrixX<T> targets;       ///< binary cross-entropy (0/1 column) or regression
  /// The number of rows.
  Eigen::Index rows() const { return x.rows(); }
};

/// A trainable model: a Sequential network with its loss, the input standardization fitted on the training
/// data, and the feature, class and label names of the data it was trained on, all of which save_model()
/// writes. Its subclasses (BasicLinearRegression, BasicLogisticRegression, BasicMlp) only build the network.
/// T is float or double.
template <class T>
class BasicModel {
 public:
  /// The matrix type of its inputs and outputs.
  using Matrix = MatrixX<T>;

  BasicModel() = default;
  /// A model of `network`, trained with `loss`.
  BasicModel(Sequential<T> network, Loss loss) : network_(std::move(network)), loss_(loss) {}

  /// The layers.
  ///@{
  Sequential<T>& network() { return network_; }
  const Sequential<T>& network() const { return network_; }
  ///@}
  /// The training loss.
  Loss loss_kind() const { return loss_; }
  /// Classification or regression, from the loss.
  Task task() const { return loss_ == Loss::Mse ? Task::Regress : Task::Classify; }
  /// Every Parameter of the network, for an optimizer.
  std::vector<optim::ParameterRef> parameters() { return network_.parameters(); }

  /// The network's output (logits, or predictions for regression) for standardized inputs.
  BasicTensor<T> forward(const BasicTensor<T>& x) { return network_.forward(x); }
  /// The same as forward(x).
  BasicTensor<T> operator()(const BasicTensor<T>& x) { return forward(x); }

  /// The training loss of an output batch against its targets: the batch's class labels
  /// (classification) or its rows of PreparedData::targets (binary cross-entropy, mse).
  BasicVar<T> loss(const BasicTensor<T>& output, std::span<const int> labels, const Matrix* targets) const {
    switch (loss_) {
      case Loss::SoftmaxCrossEntropy:
        return softmax_cross_entropy(output, labels);
      case Loss::BinaryCrossEntropy:
        return bce_with_logits(output, constant_view(*targets));
      case Loss::Mse:
        return mse(output, constant_view(*targets));
    }
    throw Error("BasicModel::loss: unknown loss");
  }

  /// How many rows of an output batch are classified right (0 for regression).
  Eigen::Index correct(const Eigen::Ref<const Matrix>& output, std::span<const int> labels) const {
    if (loss_ == Loss::Mse) return 0;
    Eigen::Index right = 0;
    for (Eigen::Index i = 0; i < output.rows(); ++i)
      right += predicted_class(output.row(i)) == labels[static_cast<std::size_t>(i)];
    return right;
  }

  // --- Data: names, standardization, preparation -------------------------------------

  /// Fits the input standardization on `train` (the training split only).
  void standardize_on(const Dataset& train) { scaling_ = Standardizer::fit(train.features); }
  /// The input standardization (empty before standardize_on()).
  const Standardizer& scaling() const { return scaling_; }
  /// Sets the input standardization (as a loaded model does).
  void set_scaling(Standardizer s) { scaling_ = std::move(s); }

  /// The feature names of the training data.
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  /// The class names of the training data (classification).
  const std::vector<std::string>& class_names() const { return class_names_; }
  /// The label column's name of the training data.
  const std::string& label_name() const { return label_name_; }
  /// Sets the names a model file stores.
  void set_names(std::vector<std::string> features, std::vector<std::string> classes, std::string label) {
    feature_names_ = std::move(features);
    class_names_ = std::move(classes);
    label_name_ = std::move(label);
  }

  /// Throws when `data` cannot go through this model: its task, feature count or class
  /// count differ. A model without names adopts the data set's.
  void accept(const Dataset& data) {
    check(data);
    if (feature_names_.empty()) set_names(data.feature_names, data.class_names, data.label_name);
  }
  /// Throws tapegrad::Error when `data` cannot go through this model (another task, feature count or class
  /// count), naming the data set and the difference.
  void check(const Dataset& data) const {
    data.validate();
    const std::string where = data.source.empty() ? "the data" : data.source;
    if (data.task != task())
      throw Error("a " + std::string(task() == Task::Classify ? "classification" : "regression") +
                  " model (loss " + loss_name(loss_) + ") cannot take " + where + ", which is for " +
                  (data.task == Task::Classify ? "classification" : "regression"));
    check_features(data.features, where);
    const Eigen::Index outputs = network_.output_width(data.feature_count());
    if (loss_ == Loss::SoftmaxCrossEntropy && outputs != data.class_count())
      throw Error("the model has " + std::to_string(outputs) + " outputs, " + where + " has " +
                  std::to_string(data.class_count()) + " classes");
    if (loss_ == Loss::BinaryCrossEntropy && (outputs != 1 || data.class_count() != 2))
      throw Error("binary cross-entropy needs one output and two classes; the model has " +
                  std::to_string(outputs) + " outputs, " + where + " has " +
                  std::to_string(data.class_count()) + " classes");
    if (loss_ == Loss::Mse && outputs != data.targets.cols())
      throw Error("the model has " + std::to_string(outputs) + " outputs, " + where + " has " +
                  std::to_string(data.targets.cols()) + " targets");
    if (!class_names_.empty() && data.class_names != class_names_)
      throw Error("" + where + "'s classes are not the ones the model was trained on");
  }

  /// Standardized features in T, and targets in the loss's form.
  PreparedData<T> prepare(const Dataset& data) const {
    check(data);
    PreparedData<T> p;
    p.x = scaling_.apply(data.features).template cast<T>();
    p.labels = data.labels;
    if (loss_ == Loss::BinaryCrossEntropy) {
      p.targets.resize(data.rows(), 1);
      for (Eigen::Index i = 0; i < data.rows(); ++i)
        p.targets(i, 0) = T(data.labels[static_cast<std::size_t>(i)]);
    } else if (loss_ == Loss::Mse) {
      p.targets = data.targets.template cast<T>();
    }
    return p;
  }

  // --- Prediction ----------------------------------------------------------------------

  /// Raw network outputs for raw (unstandardized) feature rows.
  Matrix outputs(const Eigen::MatrixXd& features) {
    BasicTape<T> tape;
    return forward_raw(features).value();
  }
  /// Class probabilities (rows × classes; two columns for binary cross-entropy) for
  /// classification, predictions for regression: the network's output through the
  /// tape's own softmax or sigmoid.
  Eigen::MatrixXd predict(const Eigen::MatrixXd& features) {
    BasicTape<T> tape;
    const BasicTensor<T> out = forward_raw(features);
    switch (loss_) {
      case Loss::Mse:
        return out.value().template cast<double>();
      case Loss::SoftmaxCrossEntropy:
        return softmax(out).value().template cast<double>();
      case Loss::BinaryCrossEntropy:
        break;
    }
    const Eigen::VectorXd p1 = sigmoid(out).value().col(0).template cast<double>();
    Eigen::MatrixXd p(p1.size(), 2);
    p << (1.0 - p1.array()).matrix(), p1;
    return p;
  }
  /// The predicted class of each row (classification models).
  std::vector<int> classify(const Eigen::MatrixXd& features) {
    if (loss_ == Loss::Mse) throw Error("classify: a regression model (loss mse) has no classes");
    const Matrix out = outputs(features);
    std::vector<int> classes(static_cast<std::size_t>(out.rows()));
    for (Eigen::Index i = 0; i < out.rows(); ++i)
      classes[static_cast<std::size_t>(i)] = predicted_class(out.row(i));
    return classes;
  }

  /// Mean loss and accuracy over a data set (in batches; no gradient kept).
  ///@{
  Metrics evaluate(const Dataset& data) { return evaluate(prepare(data)); }
  Metrics evaluate(const PreparedData<T>& data) {
    constexpr Eigen::Index chunk = 4096;
    double loss_sum = 0;
    Eigen::Index right = 0;
    BasicTape<T> tape;
    Matrix x, targets;
    for (Eigen::Index first = 0; first < data.rows(); first += chunk) {
      const Eigen::Index n = std::min(chunk, data.rows() - first);
      tape.clear();
      x = data.x.middleRows(first, n);
      if (data.targets.size() > 0) targets = data.targets.middleRows(first, n);
      const std::span<const int> labels =
          data.labels.empty() ? std::span<const int>()
                              : std::span<const int>(data.labels)
                                    .subspan(static_cast<std::size_t>(first), static_cast<std::size_t>(n));
      const BasicTensor<T> out = forward(constant_view(x));
      loss_sum += static_cast<double>(loss(out, labels, &targets).value()) * static_cast<double>(n);
      right += correct(out.value(), labels);
    }
    Metrics m;
    if (data.rows() == 0) return m;
    m.loss = loss_sum / static_cast<double>(data.rows());
    if (loss_ != Loss::Mse) m.accuracy = static_cast<double>(right) / static_cast<double>(data.rows());
    return m;
  }
  ///@}

 private:
  // A row of a column-major matrix is strided: a Ref with unit stride would copy it (an
  // allocation for every row classified).
  int predicted_class(
      const Eigen::Ref<const Eigen::Matrix<T, 1, Eigen::Dynamic>, 0, Eigen::InnerStride<>>& row) const {
    if (loss_ == Loss::BinaryCrossEntropy) return row(0) > T(0) ? 1 : 0;
    Eigen::Index best = 0;
    row.maxCoeff(&best);
    return static_cast<int>(best);
  }

  void check_features(const Eigen::MatrixXd& features, const std::string& where) const {
    const Eigen::Index expected = input_width();
    if (expected >= 0 && features.cols() != expected)
      throw Error("the model takes " + std::to_string(expected) + " features, " + where + " has " +
                  std::to_string(features.cols()));
    if (!features.allFinite()) throw Error("" + where + " holds a NaN or infinite feature value");
  }

  // The input width the first Linear fixes (−1 when there is none).
  Eigen::Index input_width() const {
    if (!scaling_.empty()) return scaling_.mean.size();
    for (std::size_t i = 0; i < network_.size(); ++i)
      if (const auto* linear = dynamic_cast<const Linear<T>*>(&network_[i])) return linear->in();
    return -1;
  }

  // The network's output for raw feature rows, recorded on the active tape.
  BasicTensor<T> forward_raw(const Eigen::MatrixXd& features) {
    check_features(features, "the data");
    return forward(constant(scaling_.apply(features).template cast<T>()));
  }

  Sequential<T> network_;
  Loss loss_ = Loss::SoftmaxCrossEntropy;
  Standardizer scaling_;
  std::vector<std::string> feature_names_, class_names_;
  std::string label_name_;
};

/// A network in float, the usual type for training.
using Model = BasicModel<float>;

TAPEGRAD_COMPILED_IN_LIBRARY(class BasicModel<float>)
TAPEGRAD_COMPILED_IN_LIBRARY(class BasicModel<double>)

}  // namespace tapegrad::models
