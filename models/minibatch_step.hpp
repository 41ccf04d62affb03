/// \file
/// One optimizer step on one minibatch, as the Trainer takes it: the minibatch's rows
/// gathered into reused buffers, the loss recorded (or its recording replayed), swept,
/// and the optimizer stepped. MinibatchStepper is the Trainer's view of it; WholeBatch
/// is the step on one tape; data-parallel steps are in sharded_step.hpp.
#pragma once

#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "../autodiff/replay/recording.hpp"
#include "../autodiff/scalar/math.hpp"
#include "../autodiff/tensor/shape.hpp"
#include "../optim/optimizer.hpp"
#include "model.hpp"

namespace tapegrad::models::detail {

/// A minibatch's rows, copied out of the prepared data into reused buffers.
template <class T>
struct Batch {
  MatrixX<T> x, targets;
  std::vector<int> labels;
  Batch(Eigen::Index rows, const PreparedData<T>& data)
      : x(rows, data.x.cols()),
        targets(data.targets.size() > 0 ? rows : 0, data.targets.cols()),
        labels(data.labels.empty() ? 0 : static_cast<std::size_t>(rows)) {}
  Eigen::Index rows() const { return x.rows(); }
  /// Column by column, as the tensor operation rows() gathers (detail::gather_rows).
  void gather(const PreparedData<T>& data, std::span<const Eigen::Index> rows_of) {
    gather_rows(data.x, rows_of, x);
    if (targets.size() > 0) gather_rows(data.targets, rows_of, targets);
    for (std::size_t k = 0; k < labels.size(); ++k)
      labels[k] = data.labels[static_cast<std::size_t>(rows_of[k])];
  }
  static void gather_rows(const MatrixX<T>& from, std::span<const Eigen::Index> rows_of, MatrixX<T>& to) {
    tapegrad::detail::gather_rows(from.data(), from.rows(), from.cols(), rows_of, to.data());
  }
};

/// The training loss of a batch, times `scale` (a shard's share of its minibatch's mean).
template <class T>
BasicVar<T> scaled_loss(const BasicModel<T>& model, const BasicTensor<T>& out, const Batch<T>& batch,
                        T scale) {
  const BasicVar<T> loss = model.loss(out, batch.labels, &batch.targets);
  return scale == T(1) ? loss : BasicVar<T>(loss * scale);
}

/// A minibatch's step recorded once and replayed afterwards: the recording reads the
/// batch buffer through constant_view and the labels in place, and the Parameters where
/// they live, so a replay sees the new minibatch and weights (nothing is set before it).
template <class T>
struct StepRecording {
  tapegrad::detail::Recording<T> recording{"Trainer (replay_steps)"};
  BasicTensor<T> out;
  BasicVar<T> loss;

  /// The loss at the current batch and weights: recorded on first use, replayed after
  /// (and recorded again if a comparison of Vars in the model came out otherwise).
  T evaluate(BasicModel<T>& model, const Batch<T>& batch, T scale) {
    recording.evaluate([](T*) {},
                       [&] {
                         out = model.forward(constant_view(batch.x));
                         loss = scaled_loss(model, out, batch, scale);
                         return loss;
                       });
    return recording.value();
  }
  void sweep() { recording.backward(); }
};

/// A minibatch's (or a shard's) buffers and the recording of its step.
template <class T>
struct BatchSlot {
  Batch<T> batch;
  StepRecording<T> recording;
  BatchSlot(Eigen::Index rows, const PreparedData<T>& data) : batch(rows, data) {}
};

/// The loss of the slot's batch at the current weights, times `scale`, swept; and, when
/// `count` (the step's first evaluation: before the step), how many of its rows are
/// classified right (else 0). Recorded afresh on `fresh` (active, cleared) when given,
/// else by the slot's recording.
template <class T>
std::pair<T, Eigen::Index> sweep_batch(BasicModel<T>& model, BatchSlot<T>& slot, T scale, BasicTape<T>* fresh,
                                       bool count) {
  const Batch<T>& batch = slot.batch;
  const auto correct_in = [&](const BasicTensor<T>& out) {
    return count ? model.correct(tapegrad::detail::values(out), batch.labels) : Eigen::Index{0};
  };
  if (fresh != nullptr) {
    const BasicTensor<T> out = model.forward(constant_view(batch.x));
    const BasicVar<T> loss = scaled_loss(model, out, batch, scale);
    const Eigen::Index correct = correct_in(out);
    fresh->backward(loss);
    return {loss.value(), correct};
  }
  StepRecording<T>& r = slot.recording;
  const T loss = r.evaluate(model, batch, scale);
  const Eigen::Index correct = correct_in(r.out);
  r.sweep();
  return {loss, correct};
}

/// What the Trainer calls for each minibatch. The optimizer gets the minibatch as a
/// closure (L-BFGS evaluates it several times); the closure is built once, not per
/// batch: a std::function made in the loop would allocate on every step. A stepper says
/// how a minibatch is taken in (take) and how its loss is computed and swept (sweep).
template <class T>
class MinibatchStepper {
 public:
  MinibatchStepper(BasicModel<T>& model, optim::Optimizer& optimizer)
      : model_(model), optimizer_(optimizer), evaluate_([this] { return evaluate(); }) {}
  virtual ~MinibatchStepper();
  MinibatchStepper(const MinibatchStepper&) = delete;  ///< the closure points at this one
  MinibatchStepper& operator=(const MinibatchStepper&) = delete;

  /// Steps on the rows `rows_of` of `data` (the epoch's last, shorter minibatch has
  /// buffers and recordings of its own: last = true). Returns the minibatch's loss before
  /// the step, and how many of its rows were classified right.
  std::pair<double, Eigen::Index> step(const PreparedData<T>& data, std::span<const Eigen::Index> rows_of,
                                       bool last) {
    take(data, rows_of, last);
    correct_ = -1;
    const double loss = optimizer_.step(evaluate_);
    return {loss, correct_};
  }

 protected:
  virtual void take(const PreparedData<T>& data, std::span<const Eigen::Index> rows_of, bool last) = 0;
  /// The minibatch's loss at the current weights, swept into the Parameters' gradients
  /// (zeroed before); and, on the step's first evaluation, how many of its rows are
  /// classified right. Optimizers that evaluate again (L-BFGS) need neither that count
  /// nor the rows gathered again.
  virtual std::pair<double, Eigen::Index> sweep(bool first_evaluation) = 0;

  BasicModel<T>& model_;
  optim::Optimizer& optimizer_;

 private:
  double evaluate() {
    optimizer_.zero_grad();
    const bool first = correct_ < 0;
    const auto [loss, correct] = sweep(first);
    if (first) correct_ = correct;  // before the step
    return loss;
  }

  Eigen::Index correct_ = -1;
  optim::Closure evaluate_;
};

// Defaulted here, not in the class: see "Virtual destructors" in docs/architecture.md.
template <class T>
MinibatchStepper<T>::~MinibatchStepper() = default;

/// The whole minibatch on one tape.
template <class T>
class WholeBatch final : public MinibatchStepper<T> {
 public:
  WholeBatch(BasicModel<T>& model, optim::Optimizer& optimizer, bool replay)
      : MinibatchStepper<T>(model, optimizer), replay_(replay) {}

 private:
  void take(const PreparedData<T>& data, std::span<const Eigen::Index> rows_of, bool last) override {
    std::unique_ptr<BatchSlot<T>>& slot = last ? last_ : full_;
    if (!slot) slot = std::make_unique<BatchSlot<T>>(static_cast<Eigen::Index>(rows_of.size()), data);
    slot->batch.gather(data, rows_of);
    slot_ = slot.get();
  }
  std::pair<double, Eigen::Index> sweep(bool first_evaluation) override {
    if (!replay_) tape_.clear();
    const auto [loss, correct] =
        sweep_batch(this->model_, *slot_, T(1), replay_ ? nullptr : &tape_, first_evaluation);
    return {static_cast<double>(loss), correct};
  }

  bool replay_;
  BasicTape<T> tape_;
  std::unique_ptr<BatchSlot<T>> full_, last_;
  BatchSlot<T>* slot_ = nullptr;
};

}  // namespace tapegrad::models::detail
