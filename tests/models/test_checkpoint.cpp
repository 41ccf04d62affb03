// Checkpoints: a run stopped and resumed is bit-identical to one that never stopped
// (weights, optimizer state, schedulers, minibatch order, early stopping), and a
// damaged or mismatched checkpoint is refused without changing anything.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <tapegrad/models/models.hpp>
#include <tapegrad/optim/optim.hpp>

#include "quiet_trainer.hpp"

namespace tg = tapegrad;
namespace models = tapegrad::models;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("tapegrad-checkpoint-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::remove(dir / name);
  return dir / name;
}

std::vector<Eigen::MatrixXd> weights_of(models::BasicModel<float>& net) {
  std::vector<Eigen::MatrixXd> out;
  for (auto* p : net.network().weights()) out.push_back(p->value().cast<double>());
  return out;
}

struct TrainingRun {
  models::Mlp net{{2, 8, 1}, {.activation = models::Activation::Tanh, .seed = 3}};
  tg::optim::Adam adam{net.parameters(), {.lr = 0.02}};
  tg::optim::StepLr step_lr{adam, 3, 0.5};
  tg::optim::ReduceLrOnPlateau plateau{adam, {.patience = 1}};

  models::History fit(const models::Dataset& data, models::TrainerOptions options) {
    models::Trainer trainer(options);
    trainer.schedule(step_lr);
    trainer.schedule(plateau);
    return trainer.fit(net, adam, data);
  }
};

}  // namespace

TEST(Checkpoint, AResumedRunIsBitIdenticalToOneThatNeverStopped) {
  const models::Dataset moons = models::make_moons(200, 0.2, 1);
  models::TrainerOptions options = quiet(9, 16, 5);
  options.validation_fraction = 0.25;
  options.patience = 20;  // early stopping on, so its best weights are part of the state

  TrainingRun whole;
  const models::History expected = whole.fit(moons, options);

  const fs::path file = scratch("run.json");
  options.checkpoint = file;
  options.epochs = 4;
  TrainingRun first;
  first.fit(moons, options);
  ASSERT_TRUE(fs::exists(file));
  options.epochs = 9;
  options.resume = true;
  TrainingRun second;  // a new process: fresh model, optimizer and schedulers
  const models::History resumed = second.fit(moons, options);

  EXPECT_EQ(weights_of(second.net), weights_of(whole.net));
  EXPECT_EQ(second.adam.state_dict().entries, whole.adam.state_dict().entries);
  ASSERT_EQ(resumed.epochs.size(), expected.epochs.size());
  for (std::size_t e = 0; e < expected.epochs.size(); ++e) {
    EXPECT_EQ(resumed.epochs[e].train_loss, expected.epochs[e].train_loss) << "epoch " << e + 1;
    EXPECT_EQ(resumed.epochs[e].validation_loss, expected.epochs[e].validation_loss) << "epoch " << e + 1;
    EXPECT_EQ(resumed.epochs[e].learning_rate, expected.epochs[e].learning_rate) << "epoch " << e + 1;
  }
  EXPECT_EQ(resumed.best_epoch, expected.best_epoch);
}

TEST(Checkpoint, ARunThatStoppedEarlyStaysStopped) {
  const models::Dataset moons = models::make_moons(200, 0.2, 1);
  models::TrainerOptions options = quiet(200, 16, 5);
  options.validation_fraction = 0.25;
  options.patience = 2;
  options.checkpoint = scratch("early.json");
  TrainingRun first;
  const models::History stopped = first.fit(moons, options);
  ASSERT_EQ(stopped.stop_reason, models::TrainingStop::EarlyStopping);
  ASSERT_LT(stopped.epochs.size(), 200u);
  options.resume = true;
  options.epochs = 300;
  TrainingRun again;
  const models::History resumed = again.fit(moons, options);
  EXPECT_EQ(resumed.epochs.size(), stopped.epochs.size());
  EXPECT_EQ(resumed.stop_reason, models::TrainingStop::EarlyStopping);
  EXPECT_EQ(weights_of(again.net), weights_of(first.net));  // the best epoch's, restored
}

// Resumed with a larger patience, or none (0), the run is no longer ended: it trains on
// from the epoch it stopped at, with epochs numbered on from there.
TEST(Checkpoint, ARunThatStoppedEarlyTrainsOnWithALargerPatience) {
  const models::Dataset moons = models::make_moons(200, 0.2, 1);
  models::TrainerOptions options = quiet(200, 16, 5);
  options.validation_fraction = 0.25;
  options.patience = 2;
  options.checkpoint = scratch("patience.json");
  TrainingRun first;
  const models::History stopped = first.fit(moons, options);
  ASSERT_EQ(stopped.stop_reason, models::TrainingStop::EarlyStopping);
  const std::size_t done = stopped.epochs.size();
  ASSERT_LT(done + 3, 200u);
  options.resume = true;
  options.epochs = static_cast<int>(done) + 3;
  // 2 epochs without improvement ended it; with a patience of 50, three more epochs
  // cannot end it early, whatever their losses.
  const fs::path stopped_run = scratch("patience-stopped.json");
  fs::copy_file(options.checkpoint, stopped_run);
  for (int patience : {50, 0}) {
    fs::copy_file(stopped_run, options.checkpoint, fs::copy_options::overwrite_existing);
    options.patience = patience;
    TrainingRun again;
    const models::History resumed = again.fit(moons, options);
    ASSERT_EQ(resumed.epochs.size(), done + 3) << "patience " << patience;
    EXPECT_EQ(resumed.stop_reason, models::TrainingStop::EpochsDone);
    EXPECT_EQ(resumed.epochs.back().epoch, static_cast<int>(done) + 3);
  }
}

TEST(Checkpoint, AStateOfAnotherOptimizerIsRefusedNamingBoth) {
  tg::Parameter w(Eigen::MatrixXd::Ones(2, 2));
  tg::optim::Sgd sgd({w}, {.lr = 0.1, .momentum = 0.9});
  tg::optim::Adam adam({w}, {.lr = 0.1});
  try {
    adam.load_state_dict(sgd.state_dict());
    FAIL() << "Adam read Sgd's state";
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("the state is Sgd's, not Adam's"), std::string::npos) << e.what();
  }
}

TEST(Checkpoint, ResumeWithoutAFileStartsAfresh) {
  const models::Dataset xor_data = models::make_xor(64, 0.1, 0);
  models::TrainerOptions options = quiet(3, 16);
  options.checkpoint = scratch("absent.json");
  options.resume = true;
  TrainingRun run;
  EXPECT_EQ(run.fit(xor_data, options).epochs.size(), 3u);
  EXPECT_TRUE(fs::exists(options.checkpoint));
}

TEST(Checkpoint, DamagedOrMismatchedCheckpointsAreRefusedAndChangeNothing) {
  const models::Dataset moons = models::make_moons(100, 0.2, 2);
  const fs::path file = scratch("refused.json");
  models::TrainerOptions options = quiet(2, 10);
  options.checkpoint = file;
  TrainingRun run;
  run.fit(moons, options);
  std::ostringstream text;
  text << std::ifstream(file).rdbuf();
  const std::string good = text.str();
  options.resume = true;
  options.epochs = 4;

  const auto expect_refused = [&](models::TrainerOptions o, const std::string& part, TrainingRun& fresh) {
    const auto before = weights_of(fresh.net);
    const auto optimizer_before = fresh.adam.state_dict().entries;
    try {
      fresh.fit(moons, o);
      ADD_FAILURE() << "accepted; expected an error with '" << part << "'";
    } catch (const tg::Error& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
    EXPECT_EQ(weights_of(fresh.net), before);
    EXPECT_EQ(fresh.adam.state_dict().entries, optimizer_before);
  };
  {  // a changed digit
    std::string damaged = good;
    const std::size_t digit = damaged.find_first_of("123456789", damaged.find("\"weight\""));
    damaged[digit] = damaged[digit] == '9' ? '8' : static_cast<char>(damaged[digit] + 1);
    std::ofstream(file) << damaged;
    TrainingRun fresh;
    expect_refused(options, "checksum", fresh);
  }
  {  // cut short
    std::ofstream(file) << good.substr(0, good.size() / 2);
    TrainingRun fresh;
    expect_refused(options, "not valid JSON", fresh);
  }
  std::ofstream(file) << good;
  {  // another batch size
    models::TrainerOptions other = options;
    other.batch_size = 20;
    TrainingRun fresh;
    expect_refused(other, "batch size 10, this run has 20", fresh);
  }
  {  // another network
    models::Mlp wider({2, 9, 1}, {.seed = 3});
    tg::optim::Adam adam(wider.parameters(), {.lr = 0.02});
    models::Trainer trainer(options);
    EXPECT_THROW(trainer.fit(wider, adam, moons), tg::Error);
  }
  {  // fewer schedulers than the run that wrote it
    models::Mlp net({2, 8, 1}, {.activation = models::Activation::Tanh, .seed = 3});
    tg::optim::Adam adam(net.parameters(), {.lr = 0.02});
    models::Trainer trainer(options);
    try {
      trainer.fit(net, adam, moons);
      ADD_FAILURE() << "accepted a checkpoint with two schedulers' states";
    } catch (const tg::Error& e) {
      EXPECT_NE(std::string(e.what()).find("2 schedulers"), std::string::npos) << e.what();
    }
  }
}

namespace {

// The epochs_done of the checkpoint file as it is now; 0 when there is none.
int epochs_in_checkpoint(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return 0;
  std::stringstream text;
  text << in.rdbuf();
  const std::string key = "\"epochs_done\": ";
  const std::size_t at = text.str().find(key);
  return at == std::string::npos ? -1 : std::stoi(text.str().substr(at + key.size()));
}

// Which checkpoint each epoch's callback sees (the callback runs before that epoch's own).
std::vector<int> checkpoints_seen(double checkpoint_seconds, const fs::path& file) {
  const models::Dataset moons = models::make_moons(100, 0.2, 1);
  models::TrainerOptions options = quiet(5, 16, 5);
  options.checkpoint = file;
  options.checkpoint_seconds = checkpoint_seconds;
  TrainingRun run;
  models::Trainer trainer(options);
  std::vector<int> seen;
  trainer.on_epoch_end([&](const models::EpochRecord&) {
    seen.push_back(epochs_in_checkpoint(file));
    return true;
  });
  trainer.fit(run.net, run.adam, moons);
  seen.push_back(epochs_in_checkpoint(file));
  return seen;
}

}  // namespace

TEST(Checkpoint, CheckpointSecondsSpacesThemOutAndTheLastEpochIsAlwaysWritten) {
  const fs::path file = scratch("spaced.json");
  EXPECT_EQ(checkpoints_seen(0, file), (std::vector<int>{0, 1, 2, 3, 4, 5}));  // after every epoch
  fs::remove(file);
  EXPECT_EQ(checkpoints_seen(1e9, file), (std::vector<int>{0, 0, 0, 0, 0, 5}));  // only the last
  EXPECT_THROW(models::Trainer({.checkpoint_seconds = -1}), tg::Error);
}
