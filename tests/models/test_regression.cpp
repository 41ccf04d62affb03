// Linear and logistic regression: closed-form and iterative fits agree, and the loss
// gradients are the hand-derived ones.
#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <tapegrad/tapegrad.hpp>

#include "quiet_trainer.hpp"

namespace tg = tapegrad;
namespace models = tapegrad::models;

namespace {

// Every step on the whole data set: plain (full-batch) optimization.
models::TrainerOptions full_batch(int epochs, Eigen::Index rows) {
  models::TrainerOptions o = quiet(epochs, rows);
  o.shuffle = false;
  return o;
}

// y = 3x − 2 + noise, x uniform on [0, 4].
models::Dataset line_data(Eigen::Index n) {
  models::Random random(11);
  models::Dataset d;
  d.task = models::Task::Regress;
  d.features.resize(n, 1);
  d.targets.resize(n, 1);
  for (Eigen::Index i = 0; i < n; ++i) {
    d.features(i, 0) = random.uniform(0, 4);
    d.targets(i, 0) = 3 * d.features(i, 0) - 2 + 0.3 * random.normal();
  }
  return d;
}

}  // namespace

TEST(LinearRegression, ClosedFormIsTheTextbookLeastSquaresLine) {
  const models::Dataset d = line_data(200);
  models::LinearRegression model(1);
  model.fit_closed_form(d);
  // slope = Σ(x − x̄)(y − ȳ) / Σ(x − x̄)², intercept = ȳ − slope·x̄.
  const Eigen::ArrayXd x = d.features.col(0).array(), y = d.targets.col(0).array();
  const double slope = ((x - x.mean()) * (y - y.mean())).sum() / (x - x.mean()).square().sum();
  EXPECT_NEAR(model.slope(), slope, 1e-12);
  EXPECT_NEAR(model.intercept(), y.mean() - slope * x.mean(), 1e-12);
  EXPECT_NEAR(model.slope(), 3, 0.1);  // and near the line the data came from
}

TEST(LinearRegression, IterativeFitsAgreeWithTheClosedFormTo1e6) {
  const models::Dataset d = line_data(200);
  models::LinearRegression exact(1);
  exact.fit_closed_form(d);

  models::LinearRegression by_lbfgs(1);
  tg::optim::Lbfgs lbfgs(by_lbfgs.parameters(), {.tolerance_grad = 1e-12,
                                                 .tolerance_change = 1e-15,
                                                 .line_search = tg::optim::LineSearch::StrongWolfe});
  models::Trainer(full_batch(20, d.rows())).fit(by_lbfgs, lbfgs, d);
  EXPECT_NEAR(by_lbfgs.slope(), exact.slope(), 1e-6);
  EXPECT_NEAR(by_lbfgs.intercept(), exact.intercept(), 1e-6);

  // Plain gradient descent with momentum, the whole data set per step.
  models::LinearRegression by_descent(1);
  tg::optim::Sgd sgd(by_descent.parameters(), {.lr = 0.05, .momentum = 0.9});
  models::Trainer(full_batch(3000, d.rows())).fit(by_descent, sgd, d);
  EXPECT_NEAR(by_descent.slope(), exact.slope(), 1e-6);
  EXPECT_NEAR(by_descent.intercept(), exact.intercept(), 1e-6);
}

TEST(LinearRegression, LossGradientIsTheHandDerivedOne) {
  // L(a, b) = (1/n) Σ (a·xᵢ + b − yᵢ)²  ⇒  ∂L/∂a = (2/n) Σ rᵢ·xᵢ,  ∂L/∂b = (2/n) Σ rᵢ.
  const models::Dataset d = line_data(50);
  models::LinearRegression model(1);
  model.linear().weight().value()(0, 0) = 0.5;
  model.linear().bias().value()(0, 0) = 0.25;
  const Eigen::ArrayXd x = d.features.col(0).array(), y = d.targets.col(0).array();
  const Eigen::ArrayXd r = 0.5 * x + 0.25 - y;
  const double n = static_cast<double>(d.rows());

  tg::Tape tape;
  const tg::Var loss = model.loss(model.forward(tg::constant(d.features)), {}, &d.targets);
  tape.backward(loss);
  EXPECT_NEAR(loss.value(), r.square().sum() / n, 1e-12);
  EXPECT_NEAR(model.linear().weight().grad()(0, 0), 2 / n * (r * x).sum(), 1e-12);
  EXPECT_NEAR(model.linear().bias().grad()(0, 0), 2 / n * r.sum(), 1e-12);
}

TEST(LinearRegression, MultivariateWithSeveralTargets) {
  // y = x·A + b + noise with 3 features and 2 targets.
  models::Random random(5);
  Eigen::MatrixXd a(3, 2);
  a << 1, -2, 0.5, 3, -1, 0;
  models::Dataset d;
  d.task = models::Task::Regress;
  d.features = Eigen::MatrixXd::NullaryExpr(300, 3, [&] { return random.normal(); });
  d.targets = d.features * a;
  d.targets.rowwise() += Eigen::RowVector2d(4, -1);
  d.targets += Eigen::MatrixXd::NullaryExpr(300, 2, [&] { return 0.1 * random.normal(); });

  models::LinearRegression exact(3, 2);
  exact.fit_closed_form(d);
  // The normal equations [x 1]ᵀ[x 1]·β = [x 1]ᵀy, solved another way.
  Eigen::MatrixXd design(300, 4);
  design << d.features, Eigen::VectorXd::Ones(300);
  const Eigen::MatrixXd beta = (design.transpose() * design).ldlt().solve(design.transpose() * d.targets);
  EXPECT_LT((exact.linear().weight().value() - beta.topRows(3)).cwiseAbs().maxCoeff(), 1e-10);
  EXPECT_LT((exact.linear().bias().value() - beta.bottomRows(1)).cwiseAbs().maxCoeff(), 1e-10);

  models::LinearRegression iterative(3, 2);
  tg::optim::Lbfgs lbfgs(iterative.parameters(), {.tolerance_grad = 1e-12,
                                                  .tolerance_change = 1e-15,
                                                  .line_search = tg::optim::LineSearch::StrongWolfe});
  models::Trainer(full_batch(20, 300)).fit(iterative, lbfgs, d);
  EXPECT_LT((iterative.linear().weight().value() - beta.topRows(3)).cwiseAbs().maxCoeff(), 1e-6);
  EXPECT_LT((iterative.linear().bias().value() - beta.bottomRows(1)).cwiseAbs().maxCoeff(), 1e-6);
}

TEST(LinearRegression, DependentFeaturesAreRefused) {
  models::Dataset d = line_data(20);
  d.features.conservativeResize(20, 2);
  d.features.col(1) = 2 * d.features.col(0);
  models::LinearRegression model(2);
  EXPECT_THROW(model.fit_closed_form(d), tg::Error);
}

TEST(LogisticRegression, BinaryGradientIsHandDerivedAndTheFitIsStationary) {
  // Two overlapping Gaussian clouds, so the maximum-likelihood fit is finite.
  models::Random random(3);
  models::Dataset d;
  d.features.resize(200, 2);
  for (Eigen::Index i = 0; i < 200; ++i) {
    const int label = i % 2;
    d.labels.push_back(label);
    d.features(i, 0) = random.normal() + (label ? 1.0 : -1.0);
    d.features(i, 1) = random.normal() + 0.5 * label;
  }
  d.class_names = {"no", "yes"};
  models::LogisticRegression model(2, 2);
  // L = (1/n) Σ −[y log σ(z) + (1 − y) log(1 − σ(z))], z = x·w + b  ⇒  ∂L/∂w = (1/n) xᵀ(σ(z) − y).
  model.linear().weight().value() << 0.3, -0.2;
  const auto gradient_at_current = [&] {
    const models::PreparedData<double> p = model.prepare(d);
    model.linear().weight().zero_grad();
    model.linear().bias().zero_grad();
    tg::Tape tape;
    tape.backward(model.loss(model.forward(tg::constant_view(p.x)), p.labels, &p.targets));
    Eigen::VectorXd g(3);
    g << model.linear().weight().grad().col(0), model.linear().bias().grad()(0, 0);
    return g;
  };
  const Eigen::VectorXd z = d.features * model.linear().weight().value().col(0);
  Eigen::VectorXd residual(200);
  for (Eigen::Index i = 0; i < 200; ++i) residual(i) = 1 / (1 + std::exp(-z(i))) - d.labels[std::size_t(i)];
  const Eigen::VectorXd g = gradient_at_current();
  EXPECT_LT((g.head(2) - d.features.transpose() * residual / 200).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_NEAR(g(2), residual.mean(), 1e-12);

  tg::optim::Lbfgs lbfgs(model.parameters(), {.tolerance_grad = 1e-10,
                                              .tolerance_change = 1e-15,
                                              .line_search = tg::optim::LineSearch::StrongWolfe});
  models::Trainer(full_batch(10, 200)).fit(model, lbfgs, d);
  EXPECT_LT(gradient_at_current().norm(), 1e-8);  // the likelihood's maximum
  EXPECT_GT(model.evaluate(d).accuracy, 0.8);
}

TEST(LogisticRegression, SoftmaxOnIris) {
  const models::Split split = models::train_test_split(models::load_builtin("iris"), 0.2, 0);
  models::LogisticRegression model(4, 3);
  model.standardize_on(split.train);
  tg::optim::Adam adam(model.parameters(), {.lr = 0.05});
  models::Trainer(quiet(200, 16)).fit(model, adam, split.train);
  EXPECT_EQ(model.loss_kind(), models::Loss::SoftmaxCrossEntropy);
  EXPECT_GE(model.evaluate(split.test).accuracy, 0.9);
}
