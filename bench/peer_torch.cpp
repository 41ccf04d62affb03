// LibTorch as a peer for the MLP training step: the same network, data and initial
// weights as TapegradMlp (mlp.hpp), written as a LibTorch user writes it (nn::Linear,
// torch::sigmoid, the functional losses, optim::SGD or optim::Adam), at LibTorch's
// defaults (its intra-op threads, and its BLAS's own threads), as a user runs it.
// Before its timing counts, one step from the shared initial weights must land on the
// same weights as tapegrad's step.
#include <torch/torch.h>

#include <cmath>
#include <memory>

#include "harness.hpp"
#include "mlp.hpp"

namespace bench {

namespace {

struct TorchMlp {
  std::vector<torch::nn::Linear> layers;
  std::vector<torch::Tensor> parameters;
  torch::Tensor x, labels, targets;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  bool binary;

  TorchMlp(const MlpSetup& s, MlpOptimizer rule) : binary(s.shape.widths.back() == 1) {
    torch::NoGradGuard no_grad;
    for (std::size_t l = 0; l < s.weights.size(); ++l) {
      const FloatMatrix& W = s.weights[l];  // in × out, column-major: the bytes of Wᵀ row-major
      torch::nn::Linear layer(W.rows(), W.cols());
      layer->weight.copy_(torch::from_blob(const_cast<float*>(W.data()), {W.cols(), W.rows()}));
      layer->bias.copy_(torch::from_blob(const_cast<float*>(s.biases[l].data()), {W.cols()}));
      layers.push_back(layer);
      parameters.push_back(layer->weight);
      parameters.push_back(layer->bias);
    }
    // x is column-major batch × in: its bytes are xᵀ row-major.
    x = torch::from_blob(const_cast<float*>(s.x.data()), {s.x.cols(), s.x.rows()}).t().contiguous();
    labels = torch::tensor(std::vector<int64_t>(s.labels.begin(), s.labels.end()), torch::kLong);
    targets = torch::from_blob(const_cast<float*>(s.targets.data()), {s.targets.rows(), 1}).clone();
    if (rule == MlpOptimizer::sgd)
      optimizer = std::make_unique<torch::optim::SGD>(parameters,
                                                      torch::optim::SGDOptions(MlpSetup::sgd_learning_rate));
    else
      optimizer = std::make_unique<torch::optim::Adam>(
          parameters, torch::optim::AdamOptions(MlpSetup::adam_learning_rate));
  }

  float step() {
    optimizer->zero_grad();
    torch::Tensor h = x;
    for (std::size_t l = 0; l < layers.size(); ++l) {
      h = layers[l]->forward(h);
      if (l + 1 < layers.size()) h = torch::sigmoid(h);
    }
    torch::Tensor loss = binary ? torch::binary_cross_entropy_with_logits(h, targets)
                                : torch::nn::functional::cross_entropy(h, labels);
    loss.backward();
    optimizer->step();
    return loss.item<float>();
  }
};

// One step each from the same start; the updated weights must agree to float precision.
bool same_step_as_tapegrad(const MlpSetup& setup, MlpOptimizer rule) {
  TorchMlp torch_model(setup, rule);
  TapegradMlp ours(setup, false, rule);
  const float torch_loss = torch_model.step(), our_loss = ours.step();
  if (std::abs(torch_loss - our_loss) > 1e-5f * std::max(1.0f, std::abs(torch_loss))) return false;
  for (std::size_t l = 0; l < ours.weights.size(); ++l) {
    const torch::Tensor w = torch_model.layers[l]->weight.contiguous();
    const Eigen::Map<const FloatMatrix> torch_w(w.data_ptr<float>(), ours.weights[l].rows(),
                                                ours.weights[l].cols());
    if (!torch_w.isApprox(ours.weights[l].value(), 1e-4f)) return false;
  }
  return true;
}

}  // namespace

void register_torch_mlp_variants() {
  for (const MlpShape& shape : mlp_shapes()) {
    auto setup = std::make_shared<const MlpSetup>(shape);
    for (const MlpOptimizer rule : {MlpOptimizer::sgd, MlpOptimizer::adam}) {
      const bool agrees = same_step_as_tapegrad(*setup, rule);
      register_variant(
          "mlp/" + shape.label(), std::string("libtorch") + variant_suffix(rule),
          [setup, agrees, rule](benchmark::State& state) {
            if (!agrees) {
              state.SkipWithError("LibTorch's step differs from tapegrad's");
              return;
            }
            TorchMlp model(*setup, rule);
            for (auto _ : state) benchmark::DoNotOptimize(model.step());
          },
          Clock::wall);
    }
  }
}

}  // namespace bench
