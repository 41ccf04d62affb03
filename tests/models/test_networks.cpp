// Networks and the Trainer: initializers, gradients against finite differences, XOR,
// the digits, and the Trainer's habits (seeded batches, validation, early stopping,
// schedulers, callbacks, progress output).
#include <gtest/gtest.h>

#include <cstdio>
#include <tapegrad/tapegrad.hpp>

#include "quiet_trainer.hpp"

namespace tg = tapegrad;
namespace models = tapegrad::models;

namespace {

std::string read_all(std::FILE* f) {
  std::rewind(f);
  std::string text;
  for (int c; (c = std::fgetc(f)) != EOF;) text += static_cast<char>(c);
  return text;
}

}  // namespace

TEST(Initializers, GlorotAndHeBoundsAndZeroBiases) {
  models::Mlp sigmoid_net({50, 30, 10}, {.seed = 1});
  models::Mlp relu_net({50, 30, 10}, {.activation = models::Activation::Relu, .seed = 1});
  const auto check = [](models::Mlp& net, double bound_first, double bound_second) {
    const auto w = net.network().weights();  // w0, b0, w1, b1
    ASSERT_EQ(w.size(), 4u);
    EXPECT_LE(w[0]->value().cwiseAbs().maxCoeff(), bound_first);
    EXPECT_GT(w[0]->value().cwiseAbs().maxCoeff(), 0.9 * bound_first);  // the whole range is used
    EXPECT_LE(w[2]->value().cwiseAbs().maxCoeff(), bound_second);
    EXPECT_EQ(w[1]->value().cwiseAbs().maxCoeff(), 0);
    // U(−a, a) has variance a²/3.
    const double variance = w[0]->value().cast<double>().array().square().mean();
    EXPECT_NEAR(variance, bound_first * bound_first / 3, 0.1 * bound_first * bound_first / 3);
  };
  check(sigmoid_net, std::sqrt(6.0 / 80), std::sqrt(6.0 / 40));
  check(relu_net, std::sqrt(6.0 / 50), std::sqrt(6.0 / 30));
  // Seeded: the same seed gives the same weights, another seed others.
  models::Mlp again({50, 30, 10}, {.seed = 1}), other({50, 30, 10}, {.seed = 2});
  EXPECT_EQ(again.network().weights()[0]->value(), sigmoid_net.network().weights()[0]->value());
  EXPECT_NE(other.network().weights()[0]->value(), sigmoid_net.network().weights()[0]->value());
}

TEST(Mlp, StructureAndDefaultLosses) {
  models::Mlp net({4, 8, 6, 3});
  ASSERT_EQ(net.network().size(), 5u);  // linear sigmoid linear sigmoid linear
  EXPECT_EQ(net.network()[1].kind(), "sigmoid");
  EXPECT_EQ(net.network()[4].kind(), "linear");
  EXPECT_EQ(net.parameters().size(), 6u);
  EXPECT_EQ(net.loss_kind(), models::Loss::SoftmaxCrossEntropy);
  EXPECT_EQ(models::Mlp({2, 4, 1}).loss_kind(), models::Loss::BinaryCrossEntropy);
  EXPECT_EQ(models::Mlp({2, 1}, {.loss = models::Loss::Mse}).task(), models::Task::Regress);
  EXPECT_THROW(models::Mlp({4}), tg::Error);
  EXPECT_THROW(models::Mlp({4, 0, 2}), tg::Error);
}

TEST(Mlp, EveryActivationAndLossMatchesCentralDifferences) {
  models::Random random(4);
  const Eigen::MatrixXd x = Eigen::MatrixXd::NullaryExpr(6, 3, [&] { return random.normal(); });
  const std::vector<int> labels = {0, 2, 1, 1, 0, 2};
  const Eigen::MatrixXd binary = (Eigen::MatrixXd(6, 1) << 0, 1, 1, 0, 1, 0).finished();
  const Eigen::MatrixXd values = Eigen::MatrixXd::NullaryExpr(6, 2, [&] { return random.normal(); });
  for (const models::Activation a : models::all_activations)
    for (models::Loss loss :
         {models::Loss::SoftmaxCrossEntropy, models::Loss::BinaryCrossEntropy, models::Loss::Mse}) {
      const Eigen::Index outputs = loss == models::Loss::SoftmaxCrossEntropy ? 3
                                   : loss == models::Loss::Mse               ? 2
                                                                             : 1;
      models::BasicMlp<double> net({3, 5, outputs}, {.activation = a, .loss = loss, .seed = 8});
      const Eigen::MatrixXd* targets = loss == models::Loss::Mse ? &values : &binary;
      const auto f = [&] {
        tg::Tape tape;
        return net.loss(net.forward(tg::constant(x)), labels, targets).value();
      };
      for (tg::Parameter* p : net.network().weights()) {
        p->zero_grad();
      }
      {
        tg::Tape tape;
        tape.backward(net.loss(net.forward(tg::constant(x)), labels, targets));
      }
      for (tg::Parameter* p : net.network().weights())
        for (Eigen::Index k = 0; k < p->size(); ++k) {
          double& v = p->value().data()[k];
          const double saved = v, h = 1e-6;
          v = saved + h;
          const double up = f();
          v = saved - h;
          const double down = f();
          v = saved;
          EXPECT_NEAR(p->grad().data()[k], (up - down) / (2 * h), 1e-7)
              << models::activation_name(a) << " " << models::loss_name(loss) << " entry " << k;
        }
    }
}

TEST(Mlp, XorWithTwoFourOneSigmoidConverges) {
  const models::Dataset xor4 = models::xor_truth_table();
  models::Mlp net({2, 4, 1}, {.seed = 0});
  tg::optim::Adam adam(net.parameters(), {.lr = 0.1});
  const models::History h = models::Trainer(quiet(500, 4)).fit(net, adam, xor4);
  EXPECT_EQ(net.classify(xor4.features), xor4.labels);
  EXPECT_LT(h.epochs.back().train_loss, 0.05);
  const Eigen::MatrixXd p = net.predict(xor4.features);
  for (Eigen::Index i = 0; i < 4; ++i) EXPECT_GT(p(i, xor4.labels[std::size_t(i)]), 0.9) << "corner " << i;
}

TEST(Trainer, DigitsReachTheDemoAccuracy) {
  const models::Split split = models::train_test_split(models::load_builtin("digits"), 0.2, 0);
  models::Mlp net({64, 32, 10}, {.seed = 0});
  net.standardize_on(split.train);
  tg::optim::Adam adam(net.parameters(), {.lr = 0.01, .weight_decay = 1e-4});
  models::Trainer(quiet(40, 32)).fit(net, adam, split.train);
  EXPECT_GE(net.evaluate(split.test).accuracy, 0.965);
}

TEST(Trainer, SameSeedSameRunAndTheRecordIsConsistent) {
  const models::Dataset moons = models::make_moons(200, 0.2, 1);
  const auto run = [&](std::uint64_t seed) {
    models::Mlp net({2, 8, 2}, {.seed = 3});
    tg::optim::Sgd sgd(net.parameters(), {.lr = 0.1});
    models::TrainerOptions o = quiet(5, 16, seed);
    o.validation_fraction = 0.25;
    return models::Trainer(o).fit(net, sgd, moons);
  };
  const models::History a = run(1), b = run(1), c = run(2);
  ASSERT_EQ(a.epochs.size(), 5u);
  for (std::size_t e = 0; e < 5; ++e) {
    EXPECT_EQ(a.epochs[e].train_loss, b.epochs[e].train_loss);
    EXPECT_EQ(a.epochs[e].validation_accuracy, b.epochs[e].validation_accuracy);
    EXPECT_EQ(a.epochs[e].epoch, int(e) + 1);
    EXPECT_EQ(a.epochs[e].learning_rate, 0.1);
    // 50 of the 200 rows are held out (stratified), so accuracy is a multiple of 1/50.
    EXPECT_NEAR(a.epochs[e].validation_accuracy * 50, std::round(a.epochs[e].validation_accuracy * 50), 1e-9);
  }
  EXPECT_NE(a.epochs[0].train_loss, c.epochs[0].train_loss);
  EXPECT_TRUE(a.has_validation());
}

TEST(Trainer, EarlyStoppingRestoresTheBestEpoch) {
  // A large network on 40 noisy points overfits: validation loss turns up.
  const models::Split split = models::train_test_split(models::make_moons(80, 0.35, 2), 0.5, 2);
  models::Mlp net({2, 64, 64, 2}, {.activation = models::Activation::Relu, .seed = 1});
  tg::optim::Adam adam(net.parameters(), {.lr = 0.02});
  models::TrainerOptions o = quiet(400, 8);
  o.patience = 10;
  const models::History h = models::Trainer(o).fit(net, adam, split.train, split.test);
  ASSERT_EQ(h.stop_reason, models::TrainingStop::EarlyStopping);
  EXPECT_EQ(h.epochs.size(), std::size_t(h.best_epoch + 10));
  double best = INFINITY;
  for (const models::EpochRecord& r : h.epochs) best = std::min(best, r.validation_loss);
  EXPECT_EQ(h.epochs[std::size_t(h.best_epoch - 1)].validation_loss, best);
  // The weights are the best epoch's again: evaluating them gives its validation loss.
  EXPECT_NEAR(net.evaluate(split.test).loss, best, 1e-6);
}

TEST(Trainer, SchedulersAndCallbacks) {
  const models::Dataset moons = models::make_moons(64, 0.1, 1);
  models::Mlp net({2, 4, 2});
  tg::optim::Sgd sgd(net.parameters(), {.lr = 0.4});
  tg::optim::StepLr step(sgd, 2, 0.5);
  models::Trainer trainer(quiet(10, 16));
  trainer.schedule(step);
  int calls = 0;
  trainer.on_epoch_end([&](const models::EpochRecord& r) {
    ++calls;
    return r.epoch < 5;  // stop after the fifth epoch
  });
  const models::History h = trainer.fit(net, sgd, moons);
  EXPECT_EQ(calls, 5);
  EXPECT_EQ(h.stop_reason, models::TrainingStop::Callback);
  ASSERT_EQ(h.epochs.size(), 5u);
  const double expected[] = {0.4, 0.4, 0.2, 0.2, 0.1};  // halved every second epoch
  for (std::size_t e = 0; e < 5; ++e) EXPECT_DOUBLE_EQ(h.epochs[e].learning_rate, expected[e]);
}

TEST(Trainer, DivergenceStopsTraining) {
  const models::Dataset moons = models::make_moons(64, 0.1, 1);
  models::BasicMlp<double> net({2, 1}, {.loss = models::Loss::Mse});
  models::Dataset regression = moons;
  regression.task = models::Task::Regress;
  regression.targets = moons.features.col(0) * 1e200;
  tg::optim::Sgd sgd(net.parameters(), {.lr = 1e10});
  const models::History h = models::Trainer(quiet(50, 64)).fit(net, sgd, regression);
  EXPECT_EQ(h.stop_reason, models::TrainingStop::Diverged);
  EXPECT_LT(h.epochs.size(), 50u);
}

TEST(Trainer, PlainLinesWhenNotATerminalAndABarWhenAsked) {
  const models::Dataset moons = models::make_moons(64, 0.1, 1);
  for (models::ProgressStyle style : {models::ProgressStyle::Auto, models::ProgressStyle::Bar}) {
    std::FILE* out = std::tmpfile();
    ASSERT_NE(out, nullptr);
    models::Mlp net({2, 4, 2});
    tg::optim::Adam adam(net.parameters());
    models::TrainerOptions o = quiet(3, 8);
    o.progress = style;
    o.output = out;
    models::Trainer(o).fit(net, adam, moons);
    const std::string text = read_all(out);
    std::fclose(out);
    // A file is not a terminal: Auto prints one line per epoch and a closing line.
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 4) << text;
    EXPECT_NE(text.find("epoch 3/3  loss "), std::string::npos) << text;
    EXPECT_NE(text.find("accuracy "), std::string::npos) << text;
    EXPECT_NE(text.find("samples/s"), std::string::npos) << text;
    const bool has_control = text.find('\r') != std::string::npos || text.find('\033') != std::string::npos;
    EXPECT_EQ(has_control, style == models::ProgressStyle::Bar) << text;
    if (style == models::ProgressStyle::Bar) {
      EXPECT_NE(text.find("left "), std::string::npos) << text;
    }
  }
}

TEST(Trainer, MismatchedDataIsRefused) {
  models::Mlp net({3, 4, 2});
  tg::optim::Adam adam(net.parameters());
  EXPECT_THROW(models::Trainer(quiet(1, 8)).fit(net, adam, models::make_moons(20, 0.1, 1)), tg::Error);
  models::Mlp three_classes({2, 4, 3});
  tg::optim::Adam adam3(three_classes.parameters());
  EXPECT_THROW(models::Trainer(quiet(1, 8)).fit(three_classes, adam3, models::make_moons(20, 0.1, 1)),
               tg::Error);
  EXPECT_THROW(models::Trainer(quiet(0, 8)), tg::Error);
  EXPECT_THROW(models::Trainer(quiet(1, 0)), tg::Error);
}

// A replayed training step is a recorded one: the same weights and the same losses, bit
// for bit, with a last batch shorter than the others (a second recording), for a
// classifier (labels read in place), a regression network (targets read through the
// batch buffer), and L-BFGS (which evaluates its closure several times per step).
TEST(Trainer, ReplayedStepsAreBitIdenticalToRecordedOnes) {
  const models::Dataset moons = models::make_moons(150, 0.2, 4);  // 150 = 4·32 + 22
  const auto classifier = [&](bool replay) {
    models::Mlp net({2, 8, 8, 2}, {.activation = models::Activation::Relu, .seed = 5});
    tg::optim::Adam adam(net.parameters(), {.lr = 0.01});
    models::TrainerOptions o = quiet(6, 32, 2);
    o.replay_steps = replay;
    const models::History h = models::Trainer(o).fit(net, adam, moons);
    return std::make_pair(h, net.network().weights()[0]->value());
  };
  const auto [replayed, replayed_weights] = classifier(true);
  const auto [recorded, recorded_weights] = classifier(false);
  EXPECT_TRUE(replayed_weights == recorded_weights);
  for (std::size_t e = 0; e < recorded.epochs.size(); ++e) {
    EXPECT_EQ(replayed.epochs[e].train_loss, recorded.epochs[e].train_loss) << "epoch " << e + 1;
    EXPECT_EQ(replayed.epochs[e].train_accuracy, recorded.epochs[e].train_accuracy) << "epoch " << e + 1;
  }

  models::Dataset curve = models::make_moons(90, 0.1, 6);
  curve.task = models::Task::Regress;
  curve.targets = curve.features.col(0).cwiseProduct(curve.features.col(1));
  curve.labels.clear();
  curve.class_names.clear();
  const auto regression = [&](bool replay) {
    models::Mlp net({2, 6, 1},
                    {.activation = models::Activation::Tanh, .loss = models::Loss::Mse, .seed = 7});
    tg::optim::Lbfgs lbfgs(net.parameters(), {.lr = 0.5, .max_iter = 4});
    models::TrainerOptions o = quiet(3, 40, 1);
    o.replay_steps = replay;
    const models::History h = models::Trainer(o).fit(net, lbfgs, curve);
    return std::make_pair(h.epochs.back().train_loss, net.network().weights()[2]->value());
  };
  const auto [loss_replayed, weights_replayed] = regression(true);
  const auto [loss_recorded, weights_recorded] = regression(false);
  EXPECT_EQ(loss_replayed, loss_recorded);
  EXPECT_TRUE(weights_replayed == weights_recorded);
}
