// The activations of models/activations.hpp: GELU (erf and tanh forms) and SiLU against
// their documented formulas, written out here with <cmath>; every activation as a layer,
// on tensors, by name. (test_every_rule.cpp gradient-checks the rules against finite
// differences, test_second_order.cpp their second derivatives.)
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <set>
#include <string>
#include <tapegrad/tapegrad.hpp>

#include "quiet_trainer.hpp"

namespace tg = tapegrad;
namespace models = tapegrad::models;

namespace {

constexpr double sqrt2 = std::numbers::sqrt2;
const double sqrt_2_over_pi = std::sqrt(2 / std::numbers::pi);

// Φ(x) and φ(x), the standard normal CDF and density.
double normal_cdf(double x) { return 0.5 * std::erfc(-x / sqrt2); }
double normal_pdf(double x) { return std::exp(-x * x / 2) / std::sqrt(2 * std::numbers::pi); }

// Value and derivative of f at x from the tape.
std::pair<double, double> on_tape(tg::Var (*f)(const tg::Var&), double x) {
  tg::Tape tape;
  tg::Var v = x;
  tg::Var y = f(v);
  tape.backward(y);
  return {y.value(), v.adjoint()};
}

tg::Var gelu_of(const tg::Var& x) { return tg::gelu(x); }
tg::Var gelu_tanh_of(const tg::Var& x) { return tg::gelu_tanh(x); }
tg::Var silu_of(const tg::Var& x) { return tg::silu(x); }

constexpr double points[] = {-12, -6, -3, -1, -0.5, -1e-3, 0, 1e-3, 0.3, 1, 2.5, 6, 12};

}  // namespace

TEST(Activations, GeluIsXTimesTheNormalCdf) {
  // Φ(1) = 0.8413447460685429 (tables of the normal distribution): gelu(1) = Φ(1).
  EXPECT_NEAR(on_tape(gelu_of, 1).first, 0.8413447460685429, 2e-16);
  for (double x : points) {
    const auto [value, derivative] = on_tape(gelu_of, x);
    // PyTorch's formula, 0.5·x·(1 + erf(x/√2)), where it does not cancel; its erfc form
    // keeps the left tail (gelu(−12) ≈ −2.1e-32, where 1 + erf gives 0).
    if (x > -3) {
      EXPECT_NEAR(value, 0.5 * x * (1 + std::erf(x / sqrt2)), 1e-15 * std::max(1.0, std::abs(x)));
    }
    // Relative to the value; erfc's condition number grows as x² in the tail, so −x/√2
    // rounded one way or the other moves the last digits by that much.
    EXPECT_NEAR(value, x * normal_cdf(x), 1e-15 * (1 + x * x) * std::abs(x * normal_cdf(x))) << x;
    // d/dx x·Φ(x) = Φ(x) + x·φ(x).
    const double expected = normal_cdf(x) + x * normal_pdf(x);
    EXPECT_NEAR(derivative, expected, 1e-15 * (1 + x * x) * std::max(1e-300, std::abs(expected))) << x;
  }
  EXPECT_LT(on_tape(gelu_of, -12).first, 0);
}

TEST(Activations, GeluTanhIsPyTorchsApproximation) {
  for (double x : points) {
    const auto [value, derivative] = on_tape(gelu_tanh_of, x);
    // torch.nn.functional.gelu(x, approximate='tanh'): 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))).
    const double u = sqrt_2_over_pi * (x + 0.044715 * x * x * x);
    const double t = std::tanh(u);
    EXPECT_NEAR(value, 0.5 * x * (1 + t), 1e-15 * std::max(1.0, std::abs(x))) << x;
    // By hand: 0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²).
    const double expected =
        0.5 * (1 + t) + 0.5 * x * (1 - t * t) * sqrt_2_over_pi * (1 + 3 * 0.044715 * x * x);
    EXPECT_NEAR(derivative, expected, 1e-14 * std::max(1.0, std::abs(expected))) << x;
  }
  // Near the erf form: within 1e-3 everywhere (the approximation's known accuracy).
  for (double x = -6; x <= 6; x += 0.25) EXPECT_NEAR(on_tape(gelu_tanh_of, x).first, x * normal_cdf(x), 1e-3);
}

TEST(Activations, SiluIsXTimesSigmoid) {
  // silu(1) = 1 / (1 + e^−1) = 0.7310585786300049.
  EXPECT_NEAR(on_tape(silu_of, 1).first, 0.7310585786300049, 2e-16);
  for (double x : points) {
    const auto [value, derivative] = on_tape(silu_of, x);
    const double s = 1 / (1 + std::exp(-x));
    EXPECT_NEAR(value, x * s, 1e-15 * std::max(1.0, std::abs(x))) << x;
    // d/dx x·σ(x) = σ(x)·(1 + x·(1 − σ(x))).
    EXPECT_NEAR(derivative, s * (1 + x * (1 - s)), 1e-15 * std::max(1.0, std::abs(x))) << x;
  }
}

TEST(Activations, EveryActivationIsALayerNamedByItsRule) {
  std::set<std::string> names;
  for (const auto& [activation, name] : models::activation_names) {
    names.insert(name);
    EXPECT_EQ(tg::value_named(name, models::activation_names), activation);
    tg::Tape tape;
    const Eigen::MatrixXd x{{-2.0, -0.5, 0.0}, {0.25, 1.0, 3.0}};
    const auto layer = models::make_activation<double>(activation);
    EXPECT_EQ(layer->kind(), name);
    const tg::Tensor out = layer->forward(tg::constant(x));
    // Entry by entry, the rule on Vars.
    for (Eigen::Index i = 0; i < x.rows(); ++i)
      for (Eigen::Index j = 0; j < x.cols(); ++j) {
        const std::string expression = std::string(name) + "(" + std::to_string(x(i, j)) + ")";
        double expected = 0;
        if (name == std::string("sigmoid")) expected = 1 / (1 + std::exp(-x(i, j)));
        if (name == std::string("tanh")) expected = std::tanh(x(i, j));
        if (name == std::string("relu")) expected = std::max(x(i, j), 0.0);
        if (name == std::string("gelu")) expected = x(i, j) * normal_cdf(x(i, j));
        if (name == std::string("gelu_tanh"))
          expected =
              0.5 * x(i, j) * (1 + std::tanh(sqrt_2_over_pi * (x(i, j) + 0.044715 * std::pow(x(i, j), 3))));
        if (name == std::string("silu")) expected = x(i, j) / (1 + std::exp(-x(i, j)));
        EXPECT_NEAR(out.value()(i, j), expected, 1e-15) << expression;
      }
  }
  EXPECT_EQ(names.size(), models::num_activations);
  EXPECT_TRUE(names.count("gelu") && names.count("gelu_tanh") && names.count("silu"));
}

TEST(Activations, ANetworkWithGeluOrSiluLearnsTheMoons) {
  const models::Dataset moons = models::make_moons(200, 0.1, 3);
  for (models::Activation a :
       {models::Activation::Gelu, models::Activation::GeluTanh, models::Activation::Silu}) {
    models::Mlp net({2, 16, 2}, {.activation = a, .seed = 2});
    net.standardize_on(moons);
    tg::optim::Adam adam(net.parameters(), {.lr = 0.05});
    models::Trainer(quiet(60, 32, 1)).fit(net, adam, moons);
    EXPECT_GE(net.evaluate(moons).accuracy, 0.95) << models::activation_name(a);
  }
}
