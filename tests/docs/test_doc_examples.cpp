// The examples of the reference documentation. Each block between a pair of `//! [name]`
// lines is shown by a `\snippet test_doc_examples.cpp name` in a header's doc comment;
// here it is compiled and run, and its result checked against a value derived by hand
// (in the comment beside it), so an example in the reference cannot stop compiling or
// start giving another answer unnoticed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace tg = tapegrad;
namespace models = tapegrad::models;

namespace {

TEST(DocExamples, Gradient) {
  //! [gradient]
  tg::Tape tape;  // records on this thread while it lives
  tg::Var x = 3.0, y = 2.0;
  tg::Var f = x * x * y + tg::sin(y);
  std::vector<double> g = tg::gradient(f, {x, y});  // {2xy, x² + cos y}
  //! [gradient]
  EXPECT_DOUBLE_EQ(f.value(), 18.0 + std::sin(2.0));
  EXPECT_DOUBLE_EQ(g[0], 12.0);
  EXPECT_DOUBLE_EQ(g[1], 9.0 + std::cos(2.0));
}

TEST(DocExamples, Tape) {
  std::vector<double> slopes;
  //! [tape]
  tg::Tape tape;
  for (double at : {0.0, 1.0, 2.0}) {
    tape.clear();  // keeps the memory: no allocation after the first pass
    tg::Var x = at;
    tg::Var f = x * tg::exp(x);
    tape.backward(f);
    slopes.push_back(x.adjoint());  // d(x·eˣ)/dx = (1 + x)·eˣ
  }
  //! [tape]
  for (std::size_t i = 0; i < 3; ++i) {
    const double at = static_cast<double>(i);
    EXPECT_NEAR(slopes[i], (1 + at) * std::exp(at), 1e-14 * std::exp(at));
  }
}

TEST(DocExamples, Hessian) {
  //! [hessian]
  // Written once over its scalar type: called with Vars of Dual numbers here.
  auto f = [](auto x) { return x[0] * x[0] * x[1] + x[1] * x[1] * x[1]; };
  const std::vector<double> at{1.0, 2.0};
  const Eigen::MatrixXd h = tg::hessian(f, at);               // [[2y, 2x], [2x, 6y]]
  const std::vector<double> hv = tg::hvp(f, at, {1.0, 0.0});  // H's first column
  //! [hessian]
  EXPECT_DOUBLE_EQ(h(0, 0), 4.0);
  EXPECT_DOUBLE_EQ(h(0, 1), 2.0);
  EXPECT_DOUBLE_EQ(h(1, 0), 2.0);
  EXPECT_DOUBLE_EQ(h(1, 1), 12.0);
  EXPECT_DOUBLE_EQ(hv[0], 4.0);
  EXPECT_DOUBLE_EQ(hv[1], 2.0);
}

TEST(DocExamples, SparseHessian) {
  //! [sparse_hessian]
  // The extended Rosenbrock function: a tridiagonal Hessian, whatever n.
  auto f = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    V s = 0.0;
    for (std::size_t i = 0; i + 1 < x.size(); ++i)
      s += 100.0 * tg::square(x[i + 1] - x[i] * x[i]) + tg::square(1.0 - x[i]);
    return s;
  };
  std::vector<double> x(100000, 0.5);
  tg::SparseHessian h(f, x);                // pattern and coloring, once
  Eigen::SparseMatrix<double> H = h.at(x);  // 3 colors: one sweep gives all 299998 nonzeros
  x[7] = -1.0;
  std::vector<double> nonzeros(h.pattern().nonzeros()), gradient(x.size());
  h.values(x, nonzeros, gradient);  // at a new point, in the pattern's order (for a solver)
  //! [sparse_hessian]
  EXPECT_EQ(h.colors(), 3u);
  EXPECT_EQ(H.nonZeros(), 3 * 100000 - 2);
  // ∂²f/∂x₀² = 1200x₀² − 400x₁ + 2 and ∂²f/∂x₀∂x₁ = −400x₀ at x = 0.5.
  EXPECT_DOUBLE_EQ(H.coeff(0, 0), 1200 * 0.25 - 400 * 0.5 + 2);
  EXPECT_DOUBLE_EQ(H.coeff(0, 1), -200.0);
  // Row 7 at x₇ = −1: its diagonal is 1200 − 400·0.5 + 2 + 200 (x₇ is also the second argument of term 6).
  const auto row = h.pattern().row(7);
  const std::size_t diagonal = h.pattern().row_begin[7] +
                               static_cast<std::size_t>(std::find(row.begin(), row.end(), 7u) - row.begin());
  EXPECT_DOUBLE_EQ(nonzeros[diagonal], 1200.0 - 200 + 2 + 200);
}

TEST(DocExamples, SparseJacobian) {
  //! [sparse_jacobian]
  // Broyden's tridiagonal system: F_i = (3 − 2x_i)x_i − x_{i−1} − 2x_{i+1} + 1.
  auto F = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    std::vector<V> r;
    for (std::size_t i = 0; i < x.size(); ++i) {
      V v = (3.0 - 2.0 * x[i]) * x[i] + 1.0;
      if (i > 0) v -= x[i - 1];
      if (i + 1 < x.size()) v -= 2.0 * x[i + 1];
      r.push_back(v);
    }
    return r;
  };
  tg::SparseJacobian j(F, std::vector<double>(1000, -1.0));
  Eigen::SparseMatrix<double> J = j.at(std::vector<double>(1000, 0.5));  // 3 colors
  //! [sparse_jacobian]
  EXPECT_EQ(j.colors(), 3u);
  EXPECT_EQ(J.nonZeros(), 3 * 1000 - 2);
  EXPECT_DOUBLE_EQ(J.coeff(5, 5), 3.0 - 4 * 0.5);
  EXPECT_DOUBLE_EQ(J.coeff(5, 4), -1.0);
  EXPECT_DOUBLE_EQ(J.coeff(5, 6), -2.0);
}

TEST(DocExamples, Optimizer) {
  //! [optimizer]
  tg::Parameter w(Eigen::MatrixXd::Zero(1, 1));
  tg::optim::Adam adam({w}, {.lr = 0.1});
  tg::Tape tape;
  for (int step = 0; step < 300; ++step) {
    tape.clear();
    tg::Var loss = tg::square(w.var() - 3.0);  // minimum at w = 3
    tape.backward(loss);                       // fills w.grad()
    adam.step();
    adam.zero_grad();
  }
  //! [optimizer]
  EXPECT_NEAR(w.value()(0, 0), 3.0, 1e-2);

  // The same first step again, checked by Adam's rule with g = −6: m = −0.6, v = 0.036,
  // step size γ/(1 − β1) = 1, so w = 0.6 / (√0.036/√0.001 + ε) = 0.6 / (6 + 1e-8).
  tg::Parameter fresh(Eigen::MatrixXd::Zero(1, 1));
  tg::optim::Adam first({fresh}, {.lr = 0.1});
  tape.clear();
  tape.backward(tg::Var(tg::square(fresh.var() - 3.0)));
  first.step();
  EXPECT_NEAR(fresh.value()(0, 0), 0.6 / (6 + 1e-8), 1e-15);
}

TEST(DocExamples, Minimize) {
  //! [minimize]
  // f(x, y) = (x − 1)² + 2·(y + 3)², minimum at (1, −3).
  auto f = [](std::span<const tg::Var> x) { return tg::square(x[0] - 1.0) + 2.0 * tg::square(x[1] + 3.0); };
  const tg::optim::MinimizeResult r = tg::optim::minimize(
      f, std::vector<double>{0.0, 0.0}, [](tg::Parameter& x) { return tg::optim::Adam({x}, {.lr = 0.1}); },
      {.max_steps = 5000, .gradient_norm = 1e-9});
  // r.x, r.f, r.steps; tg::optim::converged(r.reason) says whether a stopping rule was met
  //! [minimize]
  ASSERT_TRUE(tg::optim::converged(r.reason)) << tg::optim::to_string(r.reason);
  EXPECT_NEAR(r.x[0], 1.0, 1e-8);
  EXPECT_NEAR(r.x[1], -3.0, 1e-8);
}

TEST(DocExamples, CustomOp) {
  //! [custom_op]
  tg::Tape tape;
  tg::Var x = 0.5, y = 2.0;
  // x·y computed outside the tape, with its partials (y, x) given by hand.
  const double value = x.value() * y.value();
  tg::Var product =
      tg::custom_op(value, std::vector<tg::Var>{x, y}, std::vector<double>{y.value(), x.value()});
  tg::Var f = tg::sin(product);
  std::vector<double> g = tg::gradient(f, {x, y});  // cos(xy)·(y, x)
  //! [custom_op]
  EXPECT_DOUBLE_EQ(g[0], std::cos(1.0) * 2.0);
  EXPECT_DOUBLE_EQ(g[1], std::cos(1.0) * 0.5);
}

TEST(DocExamples, CheckpointedLoop) {
  //! [checkpointed_loop]
  tg::Tape tape;
  const std::vector<tg::Var> x0{2.0};
  // 100 steps of x ← 1.01·x, keeping 10 states instead of 100 steps' recordings.
  const std::vector<tg::Var> x = tg::checkpointed_loop(
      100, x0, [](std::span<const tg::Var> u, std::size_t) { return std::vector<tg::Var>{1.01 * u[0]}; },
      {.snapshots = 10});
  const tg::Var f = tg::square(x[0]);
  const double slope = tg::gradient(f, x0)[0];  // 2·x0·1.01²⁰⁰
  //! [checkpointed_loop]
  EXPECT_NEAR(slope, 2 * 2.0 * std::pow(1.01, 200), 1e-12 * slope);
}

TEST(DocExamples, Checkpoint) {
  //! [checkpoint]
  tg::Tape tape;
  const std::vector<tg::Var> x{0.5, 3.0};
  // exp(x0)·x1 is recorded again in the reverse sweep; the tape keeps x and y only.
  const tg::Var y = tg::checkpoint([](std::span<const tg::Var> v) { return tg::exp(v[0]) * v[1]; }, x);
  const std::vector<double> g = tg::gradient(y, x);  // (exp(x0)·x1, exp(x0))
  //! [checkpoint]
  EXPECT_DOUBLE_EQ(g[0], std::exp(0.5) * 3.0);
  EXPECT_DOUBLE_EQ(g[1], std::exp(0.5));
}

TEST(DocExamples, Preaccumulate) {
  //! [preaccumulate]
  tg::Tape tape;
  const std::vector<tg::Var> x{0.5, 3.0};
  // The tape records y with its two partials, whatever the region's length.
  const tg::Var y = tg::preaccumulate(
      [](std::span<const tg::Var> v) {
        tg::Var s = v[0];
        for (int i = 0; i < 100; ++i) s = s + 0.01 * v[1];  // x0 + x1
        return s * s;
      },
      x);
  const std::vector<double> g = tg::gradient(y, x);  // 2·(x0 + x1)·(1, 1)
  //! [preaccumulate]
  EXPECT_EQ(tape.num_operands(), 2u);
  EXPECT_NEAR(g[0], 2 * 3.5, 1e-12);
  EXPECT_NEAR(g[1], 2 * 3.5, 1e-12);
}

TEST(DocExamples, CheckGradient) {
  //! [check_gradient]
  const tg::GradientCheck check = tg::check_gradient(
      [](const std::vector<tg::Var>& x) { return tg::exp(x[0]) * tg::atan(x[1]); }, {0.3, -1.2});
  // check.gradient (the tape's) beside check.finite_differences; check.max_rel_error
  //! [check_gradient]
  EXPECT_TRUE(check.passed);
  EXPECT_NEAR(check.gradient[0], std::exp(0.3) * std::atan(-1.2), 1e-15);
  EXPECT_NEAR(check.gradient[1], std::exp(0.3) / (1 + 1.44), 1e-15);
  EXPECT_LT(check.max_rel_error, 1e-8);
}

TEST(DocExamples, Newton) {
  //! [newton]
  auto rosenbrock = [](auto x) {
    return 100.0 * tg::square(x[1] - tg::square(x[0])) + tg::square(1.0 - x[0]);
  };
  const tg::optim::MinimizeResult r = tg::optim::minimize(
      rosenbrock, std::vector<double>{-1.2, 1.0}, [](tg::Parameter& x) { return tg::optim::Newton({x}); },
      {.max_steps = 100, .gradient_norm = 1e-10});
  //! [newton]
  ASSERT_TRUE(tg::optim::converged(r.reason)) << tg::optim::to_string(r.reason);
  EXPECT_NEAR(r.x[0], 1.0, 1e-9);  // the minimum is (1, 1)
  EXPECT_NEAR(r.x[1], 1.0, 1e-9);
}

TEST(DocExamples, Lbfgs) {
  //! [lbfgs]
  auto bowl = [](auto x) { return tg::square(x[0] - 1.0) + 10.0 * tg::square(x[1] + 2.0); };
  const tg::optim::MinimizeResult r = tg::optim::minimize(
      bowl, std::vector<double>{0.0, 0.0},
      [](tg::Parameter& x) {
        // L-BFGS's own stopping tests off: minimize's gradient norm decides.
        return tg::optim::Lbfgs(
            {x},
            {.tolerance_grad = 0, .tolerance_change = 0, .line_search = tg::optim::LineSearch::StrongWolfe});
      },
      {.max_steps = 50, .gradient_norm = 1e-10});
  //! [lbfgs]
  ASSERT_TRUE(tg::optim::converged(r.reason)) << tg::optim::to_string(r.reason);
  EXPECT_NEAR(r.x[0], 1.0, 1e-10);  // the minimum is (1, −2)
  EXPECT_NEAR(r.x[1], -2.0, 1e-10);
}

TEST(DocExamples, LeastSquares) {
  //! [least_squares]
  // y = a·exp(b·t) through five points of y = 2·exp(−t/2): residuals a·exp(b·tᵢ) − yᵢ.
  const std::vector<double> t{0, 1, 2, 3, 4};
  std::vector<double> y;
  for (double ti : t) y.push_back(2 * std::exp(-0.5 * ti));
  const tg::optim::MinimizeResult fit = tg::optim::least_squares(
      [&](std::span<const tg::Var> p) {
        std::vector<tg::Var> r;
        for (std::size_t i = 0; i < t.size(); ++i) r.push_back(p[0] * tg::exp(p[1] * t[i]) - y[i]);
        return r;
      },
      std::vector<double>{1.0, 0.0}, {}, {.max_steps = 100, .gradient_norm = 1e-14});
  //! [least_squares]
  EXPECT_NEAR(fit.x[0], 2.0, 1e-8);
  EXPECT_NEAR(fit.x[1], -0.5, 1e-8);
}

TEST(DocExamples, Solve) {
  //! [solve]
  // The circle x² + y² = 4 meets the line x = y at (√2, √2).
  const tg::optim::SolveResult root = tg::optim::solve(
      [](std::span<const tg::Var> v) {
        return std::vector<tg::Var>{v[0] * v[0] + v[1] * v[1] - 4.0, v[0] - v[1]};
      },
      std::vector<double>{1.0, 0.5});
  //! [solve]
  ASSERT_TRUE(root.converged()) << tg::optim::to_string(root.reason);
  EXPECT_NEAR(root.x[0], std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(root.x[1], std::sqrt(2.0), 1e-12);
}

// The OR of two bits, as a classification data set.
models::Dataset or_data() {
  //! [dataset]
  models::Dataset data;  // classification by default
  data.features.resize(4, 2);
  data.features << 0, 0, 0, 1, 1, 0, 1, 1;
  data.labels = {0, 1, 1, 1};  // the OR of the two features
  data.class_names = {"false", "true"};
  data.feature_names = {"a", "b"};
  data.label_name = "a or b";
  data.validate();  // throws tapegrad::Error naming any inconsistency
  //! [dataset]
  return data;
}

TEST(DocExamples, Dataset) {
  const models::Dataset data = or_data();
  EXPECT_EQ(data.rows(), 4);
  EXPECT_EQ(data.feature_count(), 2);
  EXPECT_EQ(data.class_count(), 2);
}

TEST(DocExamples, LinearRegression) {
  models::Dataset data;
  data.task = models::Task::Regress;
  data.features = Eigen::VectorXd::LinSpaced(10, 0, 9);
  data.targets = 2 * data.features.array() + 1;  // y = 2x + 1, exactly
  data.feature_names = {"x"};
  data.label_name = "y";
  //! [linear_regression]
  models::LinearRegression line(1);  // one input, one output
  line.fit_closed_form(data);        // least squares, by QR
  const double slope = line.slope(), intercept = line.intercept();
  //! [linear_regression]
  EXPECT_NEAR(slope, 2.0, 1e-12);
  EXPECT_NEAR(intercept, 1.0, 1e-12);
}

TEST(DocExamples, Mlp) {
  //! [mlp]
  // 2 inputs, 8 relu units, 3 classes (softmax cross-entropy, the default for 3 outputs).
  models::Mlp net({2, 8, 3}, {.activation = models::Activation::Relu, .seed = 1});
  const Eigen::MatrixXd p = net.predict(Eigen::MatrixXd::Random(5, 2));  // 5 × 3 probabilities
  //! [mlp]
  EXPECT_EQ(net.network().size(), 3u);  // Linear, Relu, Linear
  EXPECT_EQ(net.loss_kind(), models::Loss::SoftmaxCrossEntropy);
  ASSERT_EQ(p.rows(), 5);
  ASSERT_EQ(p.cols(), 3);
  for (Eigen::Index i = 0; i < 5; ++i) EXPECT_NEAR(p.row(i).sum(), 1.0, 1e-6);
}

TEST(DocExamples, Trainer) {
  const models::Dataset data = or_data();
  //! [trainer]
  models::LogisticRegression model(2, 2);  // 2 features, 2 classes
  tg::optim::Adam adam(model.parameters(), {.lr = 0.1});
  models::Trainer trainer({.epochs = 300, .batch_size = 4, .progress = models::ProgressStyle::Silent});
  const models::History history = trainer.fit(model, adam, data);
  const models::Metrics metrics = model.evaluate(data);
  //! [trainer]
  EXPECT_EQ(history.epochs.size(), 300u);
  EXPECT_EQ(history.stop_reason, models::TrainingStop::EpochsDone);
  EXPECT_EQ(metrics.accuracy, 1.0);  // OR is linearly separable
}

// The README's "data of your own": the Dataset above, trained, then classified.
TEST(DocExamples, ClassifyOwnData) {
  const models::Dataset data = or_data();
  models::LogisticRegression model(2, 2);
  tg::optim::Adam adam(model.parameters(), {.lr = 0.1});
  models::Trainer({.epochs = 300, .batch_size = 4, .progress = models::ProgressStyle::Silent})
      .fit(model, adam, data);
  const std::vector<int> classes = model.classify(data.features);
  const Eigen::MatrixXd probabilities = model.predict(data.features);
  EXPECT_EQ(classes, data.labels);  // OR is linearly separable
  ASSERT_EQ(probabilities.rows(), 4);
  ASSERT_EQ(probabilities.cols(), 2);
  for (Eigen::Index i = 0; i < 4; ++i) {
    EXPECT_NEAR(probabilities.row(i).sum(), 1.0, 1e-6);
    Eigen::Index most = 0;
    probabilities.row(i).maxCoeff(&most);
    EXPECT_EQ(most, classes[static_cast<std::size_t>(i)]);
  }
  models::Dataset unnamed = data;
  unnamed.class_names.clear();
  try {
    unnamed.validate();
    ADD_FAILURE() << "a data set without class names was accepted";
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("class_names is empty"), std::string::npos) << e.what();
  }
}

TEST(DocExamples, SaveModel) {
  const models::Dataset data = or_data();
  models::LogisticRegression trained(2, 2);
  tg::optim::Adam adam(trained.parameters(), {.lr = 0.1});
  models::Trainer({.epochs = 50, .batch_size = 4, .progress = models::ProgressStyle::Silent})
      .fit(trained, adam, data);
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / "tapegrad_doc_example_model.json";
  //! [save_model]
  models::save_model(trained, file);
  models::BasicModel<double> loaded = models::load_model<double>(file);
  const Eigen::MatrixXd p = loaded.predict(data.features);  // the same as trained.predict(…)
  //! [save_model]
  EXPECT_EQ(p, trained.predict(data.features));
  EXPECT_EQ(loaded.feature_names(), data.feature_names);
  EXPECT_EQ(loaded.class_names(), data.class_names);
  std::filesystem::remove(file);
}

TEST(DocExamples, Tensor) {
  const Eigen::MatrixXd x{{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}};
  const Eigen::MatrixXd y{{1.0}, {0.0}, {2.0}};
  //! [tensor]
  tg::Tape tape;
  tg::Parameter w(Eigen::MatrixXd{{0.5}, {-0.5}});
  tg::Tensor residual = tg::matmul(tg::constant(x), w.tensor()) - tg::constant(y);
  tg::Var loss = tg::mean(tg::square(residual));  // (1/n)·‖x·w − y‖²
  tape.backward(loss);                            // w.grad() = (2/n)·xᵀ(x·w − y)
  //! [tensor]
  const Eigen::VectorXd r = x * Eigen::Vector2d(0.5, -0.5) - y;
  EXPECT_NEAR(loss.value(), r.squaredNorm() / 3, 1e-15);
  const Eigen::VectorXd expected = 2.0 / 3.0 * x.transpose() * r;
  EXPECT_NEAR(w.grad()(0, 0), expected(0), 1e-14);
  EXPECT_NEAR(w.grad()(1, 0), expected(1), 1e-14);
}

TEST(DocExamples, Parameter) {
  //! [parameter]
  tg::Parameter w(Eigen::MatrixXd{{1.0, -2.0}, {3.0, 0.5}});
  for (int pass = 0; pass < 2; ++pass) {  // two backward passes, no zero_grad between
    tg::Tape tape;
    tg::Var f = tg::sum(tg::square(w.tensor()));  // Σ w², gradient 2w
    tape.backward(f);
  }
  const Eigen::MatrixXd accumulated = w.grad();  // 2 passes × 2w = 4w
  w.zero_grad();
  //! [parameter]
  EXPECT_TRUE(accumulated.isApprox(4 * w.value(), 1e-15));
  EXPECT_TRUE(w.grad().isZero());
}

TEST(DocExamples, ShardedGradient) {
  // Eight rows, two coefficients: the loss (1/n)·Σ (x_i·w − y_i)², in four shards.
  const Eigen::MatrixXd x = Eigen::MatrixXd::Random(8, 2);
  const Eigen::MatrixXd y = Eigen::MatrixXd::Random(8, 1);
  const double n = 8;
  //! [sharded_gradient]
  tg::Parameter w(Eigen::MatrixXd::Zero(2, 1));
  tg::ShardedGradient sharded({&w}, {.threads = 2});
  const double loss = sharded.gradient(4, [&](Eigen::Index shard) {  // rows 2·shard, 2·shard + 1
    tg::Tensor rows = tg::constant(x.middleRows(2 * shard, 2));
    tg::Tensor targets = tg::constant(y.middleRows(2 * shard, 2));
    return tg::sum(tg::square(tg::matmul(rows, w.tensor()) - targets)) / n;
  });  // w.grad() now holds the whole batch's gradient, the same bits on any thread count
  //! [sharded_gradient]
  EXPECT_NEAR(loss, y.squaredNorm() / n, 1e-15);  // w = 0: the residual is −y
  const Eigen::VectorXd expected = -2.0 / n * x.transpose() * y;
  EXPECT_NEAR(w.grad()(0, 0), expected(0), 1e-14);
  EXPECT_NEAR(w.grad()(1, 0), expected(1), 1e-14);
}

TEST(DocExamples, RecordedFunction) {
  //! [recorded_function]
  tg::RecordedFunction f = tg::record_function([](auto x) { return tg::square(x[0]) * x[1]; }, {1.0, 2.0});
  const double value = f.value({3.0, 4.0});              // x²·y = 36, replayed
  const std::vector<double> g = f.gradient({3.0, 4.0});  // (2xy, x²) = (24, 9)
  //! [recorded_function]
  EXPECT_DOUBLE_EQ(value, 36.0);
  EXPECT_DOUBLE_EQ(g[0], 24.0);
  EXPECT_DOUBLE_EQ(g[1], 9.0);
}

TEST(DocExamples, ReplayTape) {
  std::vector<double> slopes;
  //! [replay_tape]
  tg::ReplayTape tape;  // records as a Tape does, and keeps what replaying needs
  tg::Var x = 0.0;
  const tg::Var f = x * tg::exp(x);
  for (double at : {0.0, 1.0, 2.0}) {
    tape.set_input(x.index(), at);
    tape.replay();  // f and its partials recomputed at x = at, nothing recorded
    tape.backward(f);
    slopes.push_back(x.adjoint());  // d(x·eˣ)/dx = (1 + x)·eˣ
  }
  //! [replay_tape]
  for (std::size_t i = 0; i < 3; ++i) {
    const double at = static_cast<double>(i);
    EXPECT_NEAR(slopes[i], (1 + at) * std::exp(at), 1e-14 * std::exp(at));
  }
}

TEST(DocExamples, PlotPath) {
  const std::filesystem::path file = std::filesystem::temp_directory_path() / "tapegrad_doc_example_path.svg";
  //! [plot_path]
  auto bowl = [](auto x) { return tg::square(x[0]) + 4.0 * tg::square(x[1]); };
  tg::plot::PathRecorder path;
  tg::optim::minimize(
      bowl, std::vector<double>{2.0, 1.0}, [](tg::Parameter& x) { return tg::optim::Sgd({x}, {.lr = 0.1}); },
      {.max_steps = 20}, path);
  tg::plot::plot_path(file, bowl, path);  // contours of f and the 21 iterates
  //! [plot_path]
  ASSERT_EQ(path.runs.size(), 1u);
  EXPECT_EQ(path.runs[0].x.size(), 21u);  // the start and 20 steps
  // Gradient descent on x² with step 0.1 multiplies x by 1 − 0.2 each step.
  EXPECT_NEAR(path.runs[0].x[20][0], 2.0 * std::pow(0.8, 20), 1e-12);
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("<svg"), std::string::npos);
  EXPECT_NE(text.str().find("</svg>"), std::string::npos);
  std::filesystem::remove(file);
}

}  // namespace
