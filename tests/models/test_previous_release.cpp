// Files the previous release wrote (tests/data/previous_release/, whose README says how):
// its model file loads and predicts what a forward pass computed here from the weights in
// the file says; its checkpoint restores the exact weights, optimizer state and trainer
// state it holds, and a run resumed from it ends with the weights that release's own
// uninterrupted run ended with; the same files changed to a newer format version are
// refused naming both versions, and a changed digit fails the checksum.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <tapegrad/models/models.hpp>
#include <tapegrad/optim/optim.hpp>
#include <vector>

#include "../support/model_checksum.hpp"
#include "../support/previous_release.hpp"

namespace {

namespace tg = tapegrad;
namespace models = tapegrad::models;
namespace fs = std::filesystem;
using nlohmann::json;

json previous_json(const std::string& name) {
  return json::parse(tg::testing::file_bytes(tg::testing::previous_release_file(name)));
}

// A {"rows", "cols", "values"} matrix of a model file, row by row as the format says.
Eigen::MatrixXd matrix_in_file(const json& m) {
  Eigen::MatrixXd out(m["rows"].get<int>(), m["cols"].get<int>());
  for (Eigen::Index i = 0; i < out.rows(); ++i)
    for (Eigen::Index j = 0; j < out.cols(); ++j)
      out(i, j) = m["values"][static_cast<std::size_t>(i * out.cols() + j)].get<double>();
  return out;
}

// The network's outputs for raw feature rows, from the file alone: standardize, then each
// layer in turn, in double.
Eigen::MatrixXd forward_from_file(const json& doc, Eigen::MatrixXd x) {
  if (!doc["standardization"].is_null()) {
    const Eigen::MatrixXd mean = matrix_in_file(doc["standardization"]["mean"]);
    const Eigen::MatrixXd scale = matrix_in_file(doc["standardization"]["scale"]);
    for (Eigen::Index i = 0; i < x.rows(); ++i) x.row(i) = (x.row(i) - mean).cwiseQuotient(scale);
  }
  for (const json& layer : doc["layers"]) {
    const std::string kind = layer["kind"];
    if (kind == "linear") {
      x = x * matrix_in_file(layer["weight"]);
      x.rowwise() += matrix_in_file(layer["bias"]).row(0);
    } else if (kind == "tanh") {
      x = x.array().tanh().matrix();
    } else if (kind == "sigmoid") {
      x = (1.0 / (1.0 + (-x.array()).exp())).matrix();
    } else if (kind == "relu") {
      x = x.cwiseMax(0.0);
    } else {
      ADD_FAILURE() << "a layer of kind " << kind;
    }
  }
  return x;
}

std::vector<Eigen::MatrixXd> weights_in_model_json(const json& model) {
  std::vector<Eigen::MatrixXd> out;
  for (const json& layer : model["layers"])
    if (layer["kind"] == "linear") {
      out.push_back(matrix_in_file(layer["weight"]));
      out.push_back(matrix_in_file(layer["bias"]));
    }
  return out;
}

template <class Model>
std::vector<Eigen::MatrixXd> weights_in_memory(Model& net) {
  std::vector<Eigen::MatrixXd> out;
  for (auto* p : net.network().weights()) out.push_back(p->value().template cast<double>());
  return out;
}

std::string refusal_of(const std::function<void()>& load) {
  try {
    load();
  } catch (const tg::Error& e) {
    return e.what();
  }
  return "";
}

fs::path previous_scratch(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("tapegrad-previous-release-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

}  // namespace

TEST(PreviousRelease, TheModelFileLoadsAndPredictsWhatItsWeightsSay) {
  const fs::path file = tg::testing::previous_release_file("iris_model.json");
  const json doc = previous_json("iris_model.json");
  ASSERT_EQ(doc["version"], 1);
  models::Model model = models::load_model<float>(file);
  EXPECT_EQ(model.feature_names(), doc["feature_names"].get<std::vector<std::string>>());
  EXPECT_EQ(model.class_names(), doc["class_names"].get<std::vector<std::string>>());
  EXPECT_EQ(model.label_name(), doc["label_name"].get<std::string>());

  // Iris flowers of each species, and points between them.
  Eigen::MatrixXd x(6, 4);
  x << 5.1, 3.5, 1.4, 0.2,  //
      7.0, 3.2, 4.7, 1.4,   //
      6.3, 3.3, 6.0, 2.5,   //
      5.8, 2.7, 5.1, 1.9,   //
      6.0, 2.9, 4.5, 1.5,   //
      4.4, 3.0, 1.3, 0.1;
  const Eigen::MatrixXd expected = forward_from_file(doc, x);
  const Eigen::MatrixXd outputs = model.outputs(x).cast<double>();
  ASSERT_EQ(outputs.rows(), 6);
  ASSERT_EQ(outputs.cols(), 3);
  // The model computes in float: agreement to float precision.
  for (Eigen::Index i = 0; i < 6; ++i)
    for (Eigen::Index k = 0; k < 3; ++k)
      EXPECT_NEAR(outputs(i, k), expected(i, k), 1e-5 * std::max(1.0, std::abs(expected(i, k))))
          << "row " << i << ", output " << k;
  const Eigen::MatrixXd p = model.predict(x);
  const std::vector<int> classes = model.classify(x);
  for (Eigen::Index i = 0; i < 6; ++i) {
    const Eigen::RowVectorXd e = (expected.row(i).array() - expected.row(i).maxCoeff()).exp();
    for (Eigen::Index k = 0; k < 3; ++k) EXPECT_NEAR(p(i, k), e(k) / e.sum(), 1e-6);
    Eigen::Index best;
    expected.row(i).maxCoeff(&best);
    EXPECT_EQ(classes[static_cast<std::size_t>(i)], best) << "row " << i;
  }
}

TEST(PreviousRelease, TheCheckpointRestoresExactlyWhatItHolds) {
  const json doc = previous_json("checkpoint.json");
  ASSERT_EQ(doc["version"], 1);
  // The run that wrote it (README): moons, a 2-6-1 tanh network, Adam, two schedulers,
  // 90 training rows after the validation split, minibatches of 16, seed 5.
  models::Mlp net({2, 6, 1}, {.activation = models::Activation::Tanh, .seed = 11});
  tg::optim::Adam adam(net.parameters(), {.lr = 0.5});
  std::vector<tg::optim::StateDict> schedulers(2);
  models::TrainerState run;
  run.rows = 90;
  run.batch_size = 16;
  run.seed = 5;
  const models::TrainerState state = models::load_checkpoint(
      tg::testing::previous_release_file("checkpoint.json"), net, adam, schedulers, run);

  EXPECT_EQ(weights_in_memory(net), weights_in_model_json(doc["model"]));
  const auto numbers = [](const json& values) {
    std::vector<double> out;
    for (const json& v : values)
      out.push_back(v.is_number() ? v.get<double>() : v == "nan" ? NAN : v == "inf" ? INFINITY : -INFINITY);
    return out;
  };
  const auto entries = adam.state_dict().entries;
  ASSERT_EQ(entries.size(), doc["optimizer"].size());
  for (const auto& [key, values] : doc["optimizer"].items()) {
    ASSERT_TRUE(entries.count(key)) << key;
    EXPECT_EQ(entries.at(key), numbers(values)) << key;
  }
  EXPECT_EQ(entries.at("param.0.0.step"), std::vector<double>{18.0});  // 3 epochs of ⌈90 / 16⌉ = 6 steps
  for (std::size_t s = 0; s < 2; ++s)
    for (const auto& [key, values] : doc["schedulers"][s].items())
      EXPECT_EQ(schedulers[s].entries.at(key), numbers(values)) << "scheduler " << s << " " << key;

  const json& trainer = doc["trainer"];
  EXPECT_EQ(state.epochs_done, 3);
  EXPECT_EQ(state.order, trainer["order"].get<std::vector<Eigen::Index>>());
  EXPECT_EQ(state.random_state, trainer["random_state"].get<std::string>());
  EXPECT_EQ(state.best, trainer["best"].get<double>());
  EXPECT_EQ(state.history.best_epoch, trainer["best_epoch"].get<int>());
  ASSERT_EQ(state.history.epochs.size(), 3U);
  for (std::size_t e = 0; e < 3; ++e) {
    EXPECT_EQ(state.history.epochs[e].epoch, static_cast<int>(e) + 1);
    EXPECT_EQ(state.history.epochs[e].train_loss, trainer["history"][e]["train_loss"].get<double>());
    EXPECT_EQ(state.history.epochs[e].validation_loss,
              trainer["history"][e]["validation_loss"].get<double>());
    EXPECT_EQ(state.history.epochs[e].learning_rate, trainer["history"][e]["learning_rate"].get<double>());
  }
  ASSERT_EQ(state.best_weights.size(), 4U);
  for (std::size_t w = 0; w < 4; ++w)
    EXPECT_EQ(state.best_weights[w], matrix_in_file(trainer["best_weights"][w]));
}

TEST(PreviousRelease, ARunResumedFromTheCheckpointEndsAsThatReleasesWholeRunDid) {
  // The checkpoint is a copy: a resumed run writes its own after every epoch.
  const fs::path file = previous_scratch("resumed.json");
  fs::copy_file(tg::testing::previous_release_file("checkpoint.json"), file,
                fs::copy_options::overwrite_existing);
  models::Mlp net({2, 6, 1}, {.activation = models::Activation::Tanh, .seed = 3});
  tg::optim::Adam adam(net.parameters(), {.lr = 0.02});
  tg::optim::StepLr step_lr(adam, 2, 0.5);
  tg::optim::ReduceLrOnPlateau plateau(adam, {.patience = 1});
  models::TrainerOptions o;
  o.epochs = 6;
  o.batch_size = 16;
  o.seed = 5;
  o.validation_fraction = 0.25;
  o.patience = 20;
  o.progress = models::ProgressStyle::Silent;
  o.checkpoint = file;
  o.resume = true;
  models::Trainer trainer(o);
  trainer.schedule(step_lr);
  trainer.schedule(plateau);
  const models::History history = trainer.fit(net, adam, models::make_moons(120, 0.2, 7));
  ASSERT_EQ(history.epochs.size(), 6U);
  const json checkpoint = previous_json("checkpoint.json");
  for (std::size_t e = 0; e < 3; ++e)  // the first three epochs come from the checkpoint
    EXPECT_EQ(history.epochs[e].train_loss, checkpoint["trainer"]["history"][e]["train_loss"].get<double>());
  // The release's own run of the same six epochs without stopping ended with these weights.
  // To a few ulps of float, not to the bit: the training is reproducible to the bit on one
  // machine, but the files were written on another, and another processor and build of the
  // libraries may round a last bit of float otherwise — on an AMD EPYC with Debian 12's
  // libraries the weights end one ulp (1.5e-8) away. A resume that lost any of the state
  // (weights, Adam's moments, the schedulers', the shuffling's) would end far further away:
  // the three epochs after the checkpoint move each weight matrix by more than 1e-4
  // (0.012–0.12), checked too, so that the comparison cannot pass by the weights not moving.
  const std::vector<Eigen::MatrixXd> resumed = weights_in_memory(net);
  const std::vector<Eigen::MatrixXd> whole_run =
      weights_in_model_json(previous_json("checkpoint_run_final_model.json"));
  const std::vector<Eigen::MatrixXd> at_checkpoint = weights_in_model_json(checkpoint["model"]);
  ASSERT_EQ(resumed.size(), whole_run.size());
  constexpr double float_ulps = 8 * std::numeric_limits<float>::epsilon();
  for (std::size_t w = 0; w < resumed.size(); ++w) {
    ASSERT_EQ(resumed[w].rows(), whole_run[w].rows());
    ASSERT_EQ(resumed[w].cols(), whole_run[w].cols());
    for (Eigen::Index k = 0; k < resumed[w].size(); ++k)
      EXPECT_NEAR(resumed[w](k), whole_run[w](k), float_ulps * std::max(1.0, std::abs(whole_run[w](k))))
          << "weight matrix " << w << ", entry " << k;
    EXPECT_GT((resumed[w] - at_checkpoint[w]).cwiseAbs().maxCoeff(), 1e-4)
        << "weight matrix " << w << " did not train after the checkpoint";
  }
  fs::remove_all(file.parent_path());
}

TEST(PreviousRelease, NewerVersionsAreRefusedNamingBothAndChangedDigitsFailTheChecksum) {
  const fs::path file = previous_scratch("changed.json");
  const auto write = [&](const std::string& text) { std::ofstream(file, std::ios::binary) << text; };
  const auto load_checkpoint = [&] {
    models::Mlp net({2, 6, 1}, {.activation = models::Activation::Tanh});
    tg::optim::Adam adam(net.parameters(), {.lr = 0.02});
    std::vector<tg::optim::StateDict> schedulers(2);
    models::TrainerState run;
    run.rows = 90;
    run.batch_size = 16;
    run.seed = 5;
    models::load_checkpoint(file, net, adam, schedulers, run);
  };
  const auto load_model = [&] { models::load_model<float>(file); };

  json checkpoint = previous_json("checkpoint.json");
  checkpoint["version"] = 2;
  write(tg::testing::with_recomputed_checksum(checkpoint));
  EXPECT_EQ(refusal_of(load_checkpoint),
            "tapegrad: checkpoint file " + file.string() +
                ": format version 2 is newer than this tapegrad reads (version 1); it "
                "was written by a later tapegrad");
  checkpoint["version"] = 0;
  write(tg::testing::with_recomputed_checksum(checkpoint));
  EXPECT_NE(
      refusal_of(load_checkpoint).find("format version 0 is older than this tapegrad reads (version 1)"),
      std::string::npos)
      << refusal_of(load_checkpoint);

  json model = previous_json("iris_model.json");
  model["version"] = 2;
  write(tg::testing::with_recomputed_checksum(model));
  const std::string model_refusal = refusal_of(load_model);
  EXPECT_NE(model_refusal.find("format version 2"), std::string::npos) << model_refusal;
  EXPECT_NE(model_refusal.find("version 1"), std::string::npos) << model_refusal;

  // A changed digit of a weight, in each file as the previous release wrote it.
  for (const std::string name : {"checkpoint.json", "iris_model.json"}) {
    std::string text = tg::testing::file_bytes(tg::testing::previous_release_file(name));
    const std::size_t digit = text.find_first_of("123456789", text.find("\"weight\""));
    text[digit] = text[digit] == '9' ? '8' : static_cast<char>(text[digit] + 1);
    write(text);
    const std::string refusal =
        name == "checkpoint.json" ? refusal_of(load_checkpoint) : refusal_of(load_model);
    EXPECT_NE(refusal.find("checksum does not match"), std::string::npos) << name << ": " << refusal;
  }
  fs::remove_all(file.parent_path());
}
