// One training step of a sigmoid multi-layer perceptron in float, the way a user of
// tapegrad writes it: clear the tape, forward, loss, backward, optimizer step (SGD or
// Adam), zero the gradients. The same
// network, data and initial weights feed the LibTorch step (peer_torch.cpp) and the
// bare matrix products that bound what any step can reach (`products`: the same products,
// through the same gemm, on the same threads).
//
// Layers: z = h·W + b (W is in × out, b a 1 × out row), sigmoid between layers, none
// after the last. Loss: softmax cross-entropy on integer labels, or binary
// cross-entropy on logits when there is one output.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <random>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace bench {

struct MlpShape {
  std::vector<int> widths;  // input, hidden…, output
  int batch;
  std::string label() const {
    std::string s;
    for (std::size_t i = 0; i < widths.size(); ++i) {
      if (i > 0) s += '-';
      s += std::to_string(widths[i]);
    }
    s += "_b";
    s += std::to_string(batch);
    return s;
  }
  // 6 · batch · Σ in·out: two flops per multiply-add, one product forward, two backward.
  double flops_per_step() const {
    double sum = 0;
    for (std::size_t i = 0; i + 1 < widths.size(); ++i) sum += double(widths[i]) * widths[i + 1];
    return 6.0 * batch * sum;
  }
};

inline std::vector<MlpShape> mlp_shapes() {
  return {{{2, 4, 1}, 4},
          {{64, 32, 10}, 64},
          {{64, 128, 10}, 256},
          {{784, 256, 10}, 128},
          {{784, 1024, 1024, 10}, 128}};
}

using FloatMatrix = Eigen::MatrixXf;

// The update rule of a step: SGD (lr 0.05) or Adam (lr 1e-3, PyTorch's other defaults).
enum class MlpOptimizer { sgd, adam };
inline const char* variant_suffix(MlpOptimizer o) { return o == MlpOptimizer::sgd ? "" : "_adam"; }

// Data and initial weights, from a fixed seed (PyTorch's default init range for Linear,
// U(−1/√in, 1/√in), for weights and biases).
struct MlpSetup {
  MlpShape shape;
  FloatMatrix x;                             // batch × input
  std::vector<int> labels;                   // class per row (output > 1)
  FloatMatrix targets;                       // batch × 1 in {0, 1} (output == 1)
  std::vector<FloatMatrix> weights, biases;  // in × out, 1 × out
  static constexpr float sgd_learning_rate = 0.05f;
  static constexpr float adam_learning_rate = 1e-3f;

  explicit MlpSetup(MlpShape s) : shape(std::move(s)) {
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> unit(-1, 1);
    const int in = shape.widths.front(), out = shape.widths.back();
    x = FloatMatrix::NullaryExpr(shape.batch, in, [&] { return unit(rng); });
    std::uniform_int_distribution<int> label(0, out - 1);
    for (int i = 0; i < shape.batch; ++i) labels.push_back(label(rng));
    targets = FloatMatrix::NullaryExpr(shape.batch, 1, [&] { return unit(rng) > 0 ? 1.0f : 0.0f; });
    for (std::size_t l = 0; l + 1 < shape.widths.size(); ++l) {
      const float bound = 1.0f / std::sqrt(static_cast<float>(shape.widths[l]));
      weights.push_back(
          FloatMatrix::NullaryExpr(shape.widths[l], shape.widths[l + 1], [&] { return bound * unit(rng); }));
      biases.push_back(FloatMatrix::NullaryExpr(1, shape.widths[l + 1], [&] { return bound * unit(rng); }));
    }
  }
};

// The tapegrad model: Parameters for every layer and the step, recorded every step, or
// (replay) recorded once and replayed on the Parameters' new values, as the Trainer does.
struct TapegradMlp {
  const MlpSetup* setup;
  std::vector<tapegrad::FloatParameter> weights, biases;
  // A BasicReplayTape when replaying: a plain tape otherwise, which keeps nothing for replay.
  std::unique_ptr<tapegrad::BasicTape<float>> tape;
  bool replay;
  tapegrad::BasicVar<float> recorded_loss;
  std::unique_ptr<tapegrad::optim::Optimizer> optimizer;

  explicit TapegradMlp(const MlpSetup& s, bool replay_steps = false, MlpOptimizer rule = MlpOptimizer::sgd)
      : setup(&s),
        tape(replay_steps ? std::make_unique<tapegrad::BasicReplayTape<float>>()
                          : std::make_unique<tapegrad::BasicTape<float>>()),
        replay(replay_steps) {
    weights.reserve(s.weights.size());  // the recording points at them: they must not move
    biases.reserve(s.weights.size());
    std::vector<tapegrad::optim::ParameterRef> parameters;
    for (std::size_t l = 0; l < s.weights.size(); ++l) {
      weights.emplace_back(s.weights[l]);
      biases.emplace_back(s.biases[l]);
      parameters.emplace_back(weights.back());
      parameters.emplace_back(biases.back());
    }
    if (rule == MlpOptimizer::sgd)
      optimizer = std::make_unique<tapegrad::optim::Sgd>(
          parameters, tapegrad::optim::SgdOptions{.lr = MlpSetup::sgd_learning_rate});
    else
      optimizer = std::make_unique<tapegrad::optim::Adam>(
          parameters, tapegrad::optim::AdamOptions{.lr = MlpSetup::adam_learning_rate});
  }

  // Returns the loss before the update.
  float step() {
    namespace tg = tapegrad;
    float value;
    if (replay && recorded_loss.is_recorded()) {
      auto& replay_tape = static_cast<tapegrad::BasicReplayTape<float>&>(*tape);
      replay_tape.replay();
      value = replay_tape.replayed_value(recorded_loss.index());
    } else {
      tape->clear();
      tg::FloatTensor h = tg::constant_view(setup->x);
      for (std::size_t l = 0; l < weights.size(); ++l) {
        h = tg::matmul(h, weights[l].tensor()) + biases[l].tensor();
        if (l + 1 < weights.size()) h = tg::sigmoid(h);
      }
      recorded_loss = setup->shape.widths.back() == 1
                          ? tg::bce_with_logits(h, tg::constant_view(setup->targets))
                          : tg::softmax_cross_entropy(h, setup->labels);
      value = recorded_loss.value();
    }
    tape->backward(recorded_loss);
    optimizer->step();
    optimizer->zero_grad();
    return value;
  }
};

// The matrix products of one step, and nothing else, through the gemm that matmul uses
// (same BLAS, same threads): forward h·W per layer; backward dW = hᵀ·dZ per layer and
// dH = dZ·Wᵀ for every layer but the first (the input needs no gradient). This is the
// step's floor: the fraction of its rate that a full step reaches is the framework's
// overhead.
struct BareProducts {
  const MlpSetup* setup;
  std::vector<FloatMatrix> activations, deltas, weight_grads;

  explicit BareProducts(const MlpSetup& s) : setup(&s) {
    const auto& w = s.shape.widths;
    for (std::size_t l = 0; l < w.size(); ++l) {
      activations.push_back(FloatMatrix::Random(s.shape.batch, w[l]) * 0.5f);
      deltas.push_back(FloatMatrix::Random(s.shape.batch, w[l]) * 0.5f);
    }
    for (const FloatMatrix& W : s.weights) weight_grads.push_back(FloatMatrix::Zero(W.rows(), W.cols()));
  }

  static tapegrad::detail::GemmOperand<float> operand(const FloatMatrix& m, bool transposed) {
    return {m.data(), m.rows(), m.cols(), transposed};
  }

  void run() {
    using tapegrad::detail::gemm;
    const std::size_t layers = setup->weights.size();
    auto input = [&](std::size_t l) -> const FloatMatrix& { return l == 0 ? setup->x : activations[l]; };
    for (std::size_t l = 0; l < layers; ++l)
      gemm(operand(input(l), false), operand(setup->weights[l], false), activations[l + 1].data(), false);
    for (std::size_t l = layers; l-- > 0;) {
      gemm(operand(input(l), true), operand(deltas[l + 1], false), weight_grads[l].data(), false);
      if (l > 0)
        gemm(operand(deltas[l + 1], false), operand(setup->weights[l], true), deltas[l].data(), false);
    }
  }
};

}  // namespace bench
