// Adamax, NAdam, RAdam, Adadelta, Rprop and ASGD against torch.optim's documented
// single-tensor algorithms, written out below for one scalar in plain double (the
// reference), on f(x) = x² − x·3/2 + sin(2x)·1/4 (gradient 2x − 3/2 + cos(2x)/2) for 60
// steps, with weight decay and maximize where the optimizer has them; the first step of
// each also worked by hand. Then the per-parameter numbers round-trip through
// state_dict, blocked kernels move entries as if alone, and bad hyperparameters are named.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace tg = tapegrad;
namespace opt = tapegrad::optim;

#include "optimizer_checks.hpp"

namespace {

using optimizer_checks::expect_entrywise;
using optimizer_checks::expect_error;

double gradient_at(double x) { return 2 * x - 1.5 + 0.5 * std::cos(2 * x); }

// Runs `optimizer` for `steps` from x0 and the reference `step(x, g, t)` alongside,
// expecting the same x after every step to 1e-12 relative.
void expect_matches_reference(opt::Optimizer& optimizer, tg::Parameter& x, int steps,
                              const std::function<double(double x, double g, int t)>& reference) {
  double r = x.value()(0);
  for (int t = 1; t <= steps; ++t) {
    optimizer.zero_grad();
    x.grad()(0) = gradient_at(x.value()(0));
    optimizer.step();
    r = reference(r, gradient_at(r), t);
    ASSERT_NEAR(x.value()(0), r, 1e-12 * std::max(1.0, std::abs(r))) << "step " << t;
  }
}

double lerp(double from, double to, double w) {
  return w < 0.5 ? from + w * (to - from) : to - (to - from) * (1 - w);
}

// ----------------------------------------------------------------------- Adamax

TEST(Adamax, FirstStepByHand) {
  // g = 2, m = 0.1·2 = 0.2, u = max(0, 2 + 1e-8), step γ/(1 − 0.9) = 1: x = 1 − 0.2/2.00000001.
  tg::Parameter x(1.0);
  opt::Adamax adamax({x}, {.lr = 0.1});
  x.grad()(0) = 2;
  adamax.step();
  EXPECT_NEAR(x.value()(0), 1 - 0.2 / 2.00000001, 1e-15);
}

TEST(Adamax, FollowsTorchsRule) {
  for (const bool maximize : {false, true}) {
    tg::Parameter x(0.3);
    const opt::AdamaxOptions o{
        .lr = 0.05, .beta1 = 0.8, .beta2 = 0.95, .eps = 1e-3, .weight_decay = 0.1, .maximize = maximize};
    opt::Adamax adamax({x}, o);
    double m = 0, u = 0;
    expect_matches_reference(adamax, x, 60, [&](double p, double g, int t) {
      if (o.maximize) g = -g;
      g += o.weight_decay * p;
      m = lerp(m, g, 1 - o.beta1);
      u = std::max(u * o.beta2, std::abs(g) + o.eps);
      return p - o.lr / (1 - std::pow(o.beta1, t)) * m / u;
    });
  }
}

// ------------------------------------------------------------------------ NAdam

TEST(NAdam, FirstStepByHand) {
  // t = 1, ψ = 0.004: μ1 = 0.9(1 − ½·0.96^0.004), μ2 = 0.9(1 − ½·0.96^0.008), Π = μ1.
  // g = 2, m = 0.2, v = 0.004, d = √(0.004/0.001) + 1e-8 = 2 + 1e-8.
  const double mu1 = 0.9 * (1 - 0.5 * std::pow(0.96, 0.004)), mu2 = 0.9 * (1 - 0.5 * std::pow(0.96, 0.008));
  const double d = 2 + 1e-8;
  const double expected = 1 - 0.1 * (1 - mu1) / (1 - mu1) * 2 / d - 0.1 * mu2 / (1 - mu1 * mu2) * 0.2 / d;
  tg::Parameter x(1.0);
  opt::NAdam nadam({x}, {.lr = 0.1});
  x.grad()(0) = 2;
  nadam.step();
  EXPECT_NEAR(x.value()(0), expected, 1e-15);
}

TEST(NAdam, FollowsTorchsRule) {
  tg::Parameter x(0.3);
  const opt::NAdamOptions o{
      .lr = 0.05, .beta1 = 0.85, .beta2 = 0.99, .eps = 1e-6, .weight_decay = 0.05, .momentum_decay = 0.01};
  opt::NAdam nadam({x}, o);
  double m = 0, v = 0, mu_product = 1;
  expect_matches_reference(nadam, x, 60, [&](double p, double g, int t) {
    g += o.weight_decay * p;
    const double mu = o.beta1 * (1 - 0.5 * std::pow(0.96, t * o.momentum_decay));
    const double mu_next = o.beta1 * (1 - 0.5 * std::pow(0.96, (t + 1) * o.momentum_decay));
    mu_product *= mu;
    m = lerp(m, g, 1 - o.beta1);
    v = o.beta2 * v + (1 - o.beta2) * g * g;
    const double d = std::sqrt(v / (1 - std::pow(o.beta2, t))) + o.eps;
    return p - o.lr * (1 - mu) / (1 - mu_product) * g / d -
           o.lr * mu_next / (1 - mu_product * mu_next) * m / d;
  });
}

// ------------------------------------------------------------------------ RAdam

TEST(RAdam, EarlyStepsAreBiasCorrectedMomentum) {
  // With β2 = 0.999, ρ∞ = 1999 and ρ_t ≤ 5 for the first steps (ρ_1 = 1): plain
  // momentum. Step 1: m̂ = (0.1·2)/0.1 = 2, x = 1 − 0.1·2 = 0.8.
  tg::Parameter x(1.0);
  opt::RAdam radam({x}, {.lr = 0.1});
  x.grad()(0) = 2;
  radam.step();
  EXPECT_NEAR(x.value()(0), 0.8, 1e-15);
}

TEST(RAdam, FollowsTorchsRuleThroughTheRectifiedPhase) {
  tg::Parameter x(0.3);
  // β2 = 0.9: ρ∞ = 19, and ρ_t passes 5 at t = 6, so both branches run.
  const opt::RAdamOptions o{.lr = 0.05, .beta1 = 0.8, .beta2 = 0.9, .eps = 1e-6, .weight_decay = 0.05};
  opt::RAdam radam({x}, o);
  double m = 0, v = 0;
  int rectified_steps = 0;
  expect_matches_reference(radam, x, 60, [&](double p, double g, int t) {
    g += o.weight_decay * p;
    m = lerp(m, g, 1 - o.beta1);
    v = o.beta2 * v + (1 - o.beta2) * g * g;
    const double bc1 = 1 - std::pow(o.beta1, t), bc2 = 1 - std::pow(o.beta2, t);
    const double rho_inf = 2 / (1 - o.beta2) - 1;
    const double rho_t = rho_inf - 2 * t * std::pow(o.beta2, t) / bc2;
    if (rho_t <= 5) return p - m / bc1 * o.lr;
    ++rectified_steps;
    const double rect =
        std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t));
    return p - m / bc1 * o.lr * (std::sqrt(bc2) / (std::sqrt(v) + o.eps)) * rect;
  });
  EXPECT_GT(rectified_steps, 40);
}

// --------------------------------------------------------------------- Adadelta

TEST(Adadelta, FirstStepByHand) {
  // ρ = 0.9, ε = 1e-6, γ = 1: v = 0.1·4 = 0.4, Δ = √(1e-6)/√(0.4 + 1e-6)·2, x = 1 − Δ.
  tg::Parameter x(1.0);
  opt::Adadelta adadelta({x});
  x.grad()(0) = 2;
  adadelta.step();
  EXPECT_NEAR(x.value()(0), 1 - std::sqrt(1e-6) / std::sqrt(0.4 + 1e-6) * 2, 1e-15);
}

TEST(Adadelta, FollowsTorchsRule) {
  for (const bool maximize : {false, true}) {
    tg::Parameter x(0.3);
    const opt::AdadeltaOptions o{
        .lr = 0.5, .rho = 0.8, .eps = 1e-4, .weight_decay = 0.1, .maximize = maximize};
    opt::Adadelta adadelta({x}, o);
    double v = 0, u = 0;
    expect_matches_reference(adadelta, x, 60, [&](double p, double g, int) {
      if (o.maximize) g = -g;
      g += o.weight_decay * p;
      v = o.rho * v + (1 - o.rho) * g * g;
      const double delta = std::sqrt(u + o.eps) / std::sqrt(v + o.eps) * g;
      u = o.rho * u + (1 - o.rho) * delta * delta;
      return p - o.lr * delta;
    });
  }
}

// ------------------------------------------------------------------------ Rprop

TEST(Rprop, StepSizesGrowShrinkAndForgetAfterASignChange) {
  // Gradients +1, +1, −1, −1 with lr 0.1, η = (0.5, 1.2):
  // 1: no previous sign, factor 1: δ = 0.1, x = 1 − 0.1 = 0.9
  // 2: same sign, δ = 0.12, x = 0.78
  // 3: sign change, δ = 0.06, gradient zeroed: x stays 0.78, and the memory is 0
  // 4: product with the zeroed memory is 0, factor 1: δ = 0.06, x = 0.78 + 0.06 = 0.84
  tg::Parameter x(1.0);
  opt::Rprop rprop({x}, {.lr = 0.1});
  const double gradients[] = {1, 1, -1, -1};
  const double expected[] = {0.9, 0.78, 0.78, 0.84};
  for (int k = 0; k < 4; ++k) {
    x.grad()(0) = gradients[k];
    rprop.step();
    EXPECT_NEAR(x.value()(0), expected[k], 1e-15) << "step " << k + 1;
  }
}

TEST(Rprop, FollowsTorchsRuleWithinTheStepSizeBounds) {
  tg::Parameter x(0.3);
  const opt::RpropOptions o{
      .lr = 0.05, .eta_minus = 0.4, .eta_plus = 1.5, .step_size_min = 1e-3, .step_size_max = 0.2};
  opt::Rprop rprop({x}, o);
  double previous = 0, step_size = o.lr;
  expect_matches_reference(rprop, x, 60, [&](double p, double g, int) {
    const double product = g * previous;
    const double factor = product > 0 ? o.eta_plus : (product < 0 ? o.eta_minus : 1.0);
    step_size = std::clamp(step_size * factor, o.step_size_min, o.step_size_max);
    if (factor == o.eta_minus) g = 0;
    previous = g;
    return p - (g > 0 ? 1 : (g < 0 ? -1 : 0)) * step_size;
  });
}

// ------------------------------------------------------------------------- ASGD

TEST(Asgd, FirstStepByHand) {
  // η = lr = 0.1 at first: x = 1·(1 − 1e-4·0.1) − 0.1·2; then ā = x (μ = 1).
  tg::Parameter x(1.0);
  opt::Asgd asgd({x}, {.lr = 0.1});
  x.grad()(0) = 2;
  asgd.step();
  const double expected = (1 - 1e-5) - 0.2;
  EXPECT_NEAR(x.value()(0), expected, 1e-15);
  EXPECT_NEAR(asgd.state_dict().entries.at("param.0.0.ax")[0], expected, 1e-15);
  EXPECT_NEAR(asgd.state_dict().scalar("param.0.0.eta"), 0.1 / std::pow(1 + 1e-4 * 0.1, 0.75), 1e-17);
}

TEST(Asgd, FollowsTorchsRuleAndAveragesAfterT0) {
  tg::Parameter x(0.3);
  const opt::AsgdOptions o{.lr = 0.05, .lambd = 0.01, .alpha = 0.6, .t0 = 10, .weight_decay = 0.1};
  opt::Asgd asgd({x}, o);
  double eta = o.lr, mu = 1, ax = 0;
  expect_matches_reference(asgd, x, 60, [&](double p, double g, int t) {
    g += o.weight_decay * p;
    p *= 1 - o.lambd * eta;
    p -= eta * g;
    ax = mu != 1 ? ax + (p - ax) * mu : p;
    eta = o.lr / std::pow(1 + o.lambd * o.lr * t, o.alpha);
    mu = 1 / std::max(1.0, t - o.t0);
    return p;
  });
  EXPECT_NEAR(asgd.state_dict().entries.at("param.0.0.ax")[0], ax, 1e-12);
  EXPECT_NEAR(asgd.state_dict().scalar("param.0.0.mu"), mu, 1e-15);
}

// ------------------------------------------------------------------------ common

// Saving after 7 steps and continuing in a new optimizer from the state follows the
// uninterrupted trajectory exactly: buffers and per-parameter numbers are all kept.
template <class Optimizer, class Options>
void expect_state_round_trip(const Options& options) {
  tg::Parameter a(0.3), b(0.3);
  Optimizer first({a}, options);
  const auto step = [](opt::Optimizer& o, tg::Parameter& p) {
    o.zero_grad();
    p.grad()(0) = gradient_at(p.value()(0));
    o.step();
  };
  for (int k = 0; k < 7; ++k) step(first, a);
  b.value()(0) = a.value()(0);
  Optimizer second({b}, options);
  second.load_state_dict(first.state_dict());
  for (int k = 0; k < 9; ++k) {
    step(first, a);
    step(second, b);
    ASSERT_EQ(a.value()(0), b.value()(0)) << Optimizer::name << ", step " << 8 + k;
  }
}

TEST(MoreOptimizers, StateDictRoundTripsMidRun) {
  expect_state_round_trip<opt::Adamax>(opt::AdamaxOptions{.lr = 0.05});
  expect_state_round_trip<opt::NAdam>(opt::NAdamOptions{.lr = 0.05});
  expect_state_round_trip<opt::RAdam>(opt::RAdamOptions{.lr = 0.05, .beta2 = 0.9});
  expect_state_round_trip<opt::Adadelta>(opt::AdadeltaOptions{});
  expect_state_round_trip<opt::Rprop>(opt::RpropOptions{});
  expect_state_round_trip<opt::Asgd>(opt::AsgdOptions{.lr = 0.05, .t0 = 3});
}

TEST(MoreOptimizers, BlockedKernelsMoveEveryEntryAsIfAlone) {
  expect_entrywise<opt::Adamax>(opt::AdamaxOptions{.lr = 0.1, .weight_decay = 0.1}, gradient_at, 4);
  expect_entrywise<opt::NAdam>(opt::NAdamOptions{.lr = 0.1}, gradient_at, 4);
  expect_entrywise<opt::RAdam>(opt::RAdamOptions{.lr = 0.1, .beta2 = 0.9}, gradient_at, 4);
  expect_entrywise<opt::Adadelta>(opt::AdadeltaOptions{}, gradient_at, 4);
  expect_entrywise<opt::Rprop>(opt::RpropOptions{}, gradient_at, 4);
  expect_entrywise<opt::Asgd>(opt::AsgdOptions{.t0 = 1}, gradient_at, 4);
}

TEST(MoreOptimizers, FloatParametersStep) {
  tg::FloatParameter x(1.0f);
  opt::Adadelta adadelta({x});
  x.grad()(0) = 2;
  adadelta.step();
  EXPECT_NEAR(x.value()(0), 1 - std::sqrt(1e-6) / std::sqrt(0.4 + 1e-6) * 2, 1e-6);
}

TEST(MoreOptimizers, InvalidHyperparametersNameTheirValue) {
  tg::Parameter x(1.0);
  expect_error([&] { opt::Adamax({x}, {.beta1 = 1.5}); }, "Adamax: beta1 = 1.5");
  expect_error([&] { opt::NAdam({x}, {.momentum_decay = -1}); }, "NAdam: momentum_decay = -1");
  expect_error([&] { opt::RAdam({x}, {.eps = -1}); }, "RAdam: eps = -1");
  expect_error([&] { opt::Adadelta({x}, {.rho = 1.5}); }, "Adadelta: rho = 1.5");
  expect_error([&] { opt::Rprop({x}, {.eta_minus = 1.5}); }, "Rprop: eta_minus = 1.5");
  expect_error([&] { opt::Rprop({x}, {.eta_plus = 0.5}); }, "Rprop: eta_plus = 0.5");
  expect_error([&] { opt::Asgd({x}, {.lr = -1}); }, "Asgd: lr = -1");
  expect_error([&] { opt::Adamax({x}, {.amsgrad = true}); },
               "Adamax: amsgrad is an option of Adam and AdamW only");
  expect_error([&] { opt::RAdam({x}, {.amsgrad = true}); },
               "RAdam: amsgrad is an option of Adam and AdamW only");
}

}  // namespace
