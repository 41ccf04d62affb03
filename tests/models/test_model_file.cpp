// Model files and the loss curve: round trips give bit-identical predictions, writes
// are atomic, and every damaged or mismatched file is refused with a reason.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tapegrad/tapegrad.hpp>

#include "../support/model_checksum.hpp"
#include "quiet_trainer.hpp"

namespace tg = tapegrad;
namespace models = tapegrad::models;
namespace fs = std::filesystem;

namespace {

class TempFolder {
 public:
  TempFolder() {
    std::string pattern = (fs::temp_directory_path() / "tapegrad-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempFolder() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A trained model with standardization and names.
models::Mlp trained_moons_model(std::vector<Eigen::Index> widths, models::Activation a) {
  const models::Dataset moons = models::make_moons(100, 0.2, 4);
  models::Mlp net(widths, {.activation = a, .seed = 5});
  net.standardize_on(moons);
  tg::optim::Adam adam(net.parameters(), {.lr = 0.05});
  models::Trainer(quiet(5, 32)).fit(net, adam, moons);
  return net;
}

std::string load_error(const std::string& text) {
  try {
    models::model_from_json<float>(text, "m.json");
  } catch (const tg::Error& e) {
    return e.what();
  }
  return "";
}

// The file's JSON with one edit, the checksum recomputed as the writer would: a
// well-formed file whose parts do not fit.
std::string edited(const std::string& text, const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json doc = nlohmann::json::parse(text);
  edit(doc);
  return tg::testing::with_recomputed_checksum(std::move(doc));
}

}  // namespace

TEST(ModelFile, RoundTripGivesBitIdenticalPredictions) {
  TempFolder dir;
  const Eigen::MatrixXd probe = models::make_moons(300, 0.5, 99).features;
  for (const models::Activation a : models::all_activations) {
    for (const std::vector<Eigen::Index>& widths : {std::vector<Eigen::Index>{2, 7, 2}, {2, 5, 3, 1}}) {
      models::Mlp net = trained_moons_model(widths, a);
      models::save_model(net, dir.path() / "m.json");
      models::Model loaded = models::load_model<float>(dir.path() / "m.json");
      EXPECT_EQ(loaded.outputs(probe), net.outputs(probe)) << models::activation_name(a);
      EXPECT_EQ(loaded.classify(probe), net.classify(probe));
      EXPECT_EQ(loaded.loss_kind(), net.loss_kind());
      EXPECT_EQ(loaded.class_names(), (std::vector<std::string>{"0", "1"}));
      EXPECT_EQ(loaded.feature_names(), (std::vector<std::string>{"x", "y"}));
      EXPECT_EQ(loaded.scaling().mean, net.scaling().mean);
      EXPECT_EQ(loaded.scaling().scale, net.scaling().scale);
    }
  }
  // Double regression models too.
  models::LinearRegression line(2, 3);
  line.linear().weight().value() = Eigen::MatrixXd::Random(2, 3) / 3.0;
  line.linear().bias().value() = Eigen::MatrixXd::Random(1, 3) * 1e-300;  // subnormal-adjacent values survive
  models::save_model(line, dir.path() / "line.json");
  auto loaded = models::load_model<double>(dir.path() / "line.json");
  EXPECT_EQ(loaded.outputs(probe), line.outputs(probe));
  EXPECT_EQ(loaded.task(), models::Task::Regress);
}

TEST(ModelFile, EveryTruncationIsRefused) {
  const std::string text = models::model_to_json(trained_moons_model({2, 3, 2}, models::Activation::Sigmoid));
  ASSERT_TRUE(load_error(text).empty()) << load_error(text);
  for (std::size_t n = 0; n + 1 < text.size(); ++n) {  // the last byte is the closing newline
    const std::string e = load_error(text.substr(0, n));
    EXPECT_NE(e.find("model file m.json:"), std::string::npos) << "truncated at " << n << ": " << e;
  }
}

TEST(ModelFile, CorruptedOrEditedContentIsRefused) {
  const std::string text = models::model_to_json(trained_moons_model({2, 3, 2}, models::Activation::Sigmoid));
  // Each digit of the file changed in turn (every weight, scale and count). The
  // checksum covers the values, not their spelling: a 17th digit may change and still
  // name the same double, and such a file is accepted only if it loads to exactly the
  // same model.
  std::size_t refused = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') continue;
    std::string damaged = text;
    damaged[i] = text[i] == '9' ? '8' : static_cast<char>(text[i] + 1);
    const std::string e = load_error(damaged);
    if (e.empty()) {
      EXPECT_EQ(models::model_to_json(models::model_from_json<float>(damaged, "m.json")), text)
          << "digit at byte " << i << " changed a value, and the file was accepted";
    } else {
      ++refused;
    }
  }
  EXPECT_GT(refused, 20u);
  std::string wrong_checksum = text;
  wrong_checksum.replace(text.find("\"checksum\": \"") + 13, 16, "0000000000000000");
  EXPECT_NE(load_error(wrong_checksum).find("checksum does not match"), std::string::npos);
}

TEST(ModelFile, MismatchedPartsAreRefused) {
  const std::string text = models::model_to_json(trained_moons_model({2, 3, 2}, models::Activation::Sigmoid));
  const auto expect_refused = [&](const std::function<void(nlohmann::json&)>& edit,
                                  const std::string& reason) {
    const std::string e = load_error(edited(text, edit));
    EXPECT_NE(e.find(reason), std::string::npos) << "expected '" << reason << "', got: " << e;
  };
  expect_refused([](nlohmann::json&) {}, "");  // the helper itself keeps a good file good
  EXPECT_TRUE(load_error(edited(text, [](nlohmann::json&) {})).empty());
  expect_refused([](nlohmann::json& d) { d["version"] = 2; }, "format version 2");
  expect_refused([](nlohmann::json& d) { d["format"] = "other"; }, "not a tapegrad model");
  expect_refused([](nlohmann::json& d) { d["scalar"] = "double"; }, "saved in double");
  expect_refused([](nlohmann::json& d) { d["loss"] = "hinge"; }, "unknown loss");
  expect_refused([](nlohmann::json& d) { d["layers"][1]["kind"] = "swish"; }, "unknown kind \"swish\"");
  expect_refused([](nlohmann::json& d) { d["layers"].erase(0); }, "first layer is not linear");
  expect_refused(
      [](nlohmann::json& d) {
        d["layers"][2]["weight"] = {{"rows", 2}, {"cols", 2}, {"values", {1, 2, 3, 4}}};
      },
      "do not chain");
  expect_refused([](nlohmann::json& d) { d["layers"][0]["weight"]["rows"] = 3; }, "holds 6 values");
  expect_refused(
      [](nlohmann::json& d) {
        d["layers"][0]["bias"]["cols"] = 2;
        d["layers"][0]["bias"]["values"].erase(2);
      },
      "bias");
  expect_refused([](nlohmann::json& d) { d["class_names"].push_back("2"); }, "do not fit the loss");
  expect_refused([](nlohmann::json& d) { d["feature_names"].push_back("z"); }, "feature names");
  expect_refused([](nlohmann::json& d) { d["standardization"]["scale"]["values"][0] = -1.0; }, "positive");
  expect_refused([](nlohmann::json& d) { d["layers"][0]["weight"]["values"][0] = 1e300; },
                 "not a finite float");
  expect_refused([](nlohmann::json& d) { d["layers"][0]["weight"]["values"][0] = "1"; }, "not a number");
  expect_refused([](nlohmann::json& d) { d.erase("layers"); }, "no \"layers\"");
  EXPECT_NE(load_error("[1, 2]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(load_error("").find("not valid JSON"), std::string::npos);
  EXPECT_THROW(models::load_model<float>("/nonexistent/model.json"), tg::Error);
}

TEST(ModelFile, UnsavableModelsAreRefusedAndNothingIsWritten) {
  TempFolder dir;
  struct Square : models::Module<float> {
    tg::FloatTensor forward(const tg::FloatTensor& x) override { return x * x; }
    std::string kind() const override { return "square"; }
    std::unique_ptr<models::Module<float>> clone() const override { return std::make_unique<Square>(); }
  };
  models::Sequential<float> custom;
  custom.emplace<Square>();
  const models::Model with_user_module(std::move(custom), models::Loss::Mse);
  EXPECT_THROW(models::save_model(with_user_module, dir.path() / "a.json"), tg::Error);
  models::Mlp diverged({2, 2});
  diverged.network().weights()[0]->value()(1, 1) = NAN;
  EXPECT_THROW(models::save_model(diverged, dir.path() / "b.json"), tg::Error);
  EXPECT_TRUE(fs::is_empty(dir.path()));
  EXPECT_THROW(models::save_model(models::Mlp({2, 2}), dir.path() / "missing-folder" / "c.json"), tg::Error);
}

TEST(ModelFile, AWriteKilledAtAnyMomentLeavesTheOldOrTheNewFile) {
  TempFolder dir;
  const fs::path path = dir.path() / "model.json";
  models::Mlp old_model({64, 256, 10}, {.seed = 1}), new_model({64, 256, 10}, {.seed = 2});
  models::save_model(old_model, path);
  const std::string old_text = read_file(path), new_text = models::model_to_json(new_model);
  ASSERT_NE(old_text, new_text);
  int saw_new = 0;
  for (int round = 0; round < 20; ++round) {
    models::save_model(old_model, path);
    int saved[2];  // the child writes a byte here after each complete save
    ASSERT_EQ(::pipe(saved), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {  // writes the new model over and over until killed
      for (;;) {
        models::save_model(new_model, path);
        if (::write(saved[1], "s", 1) != 1) ::_exit(1);
      }
    }
    ::close(saved[1]);
    // Odd rounds wait for one complete save first, so that the new file is seen even
    // on a machine too loaded for the child to finish a save within the sleep.
    char byte;
    if (round % 2 == 1) {
      ASSERT_EQ(::read(saved[0], &byte, 1), 1);
    }
    ::usleep(static_cast<useconds_t>(1000 + 2500 * round));
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ::close(saved[0]);
    const std::string now = read_file(path);
    ASSERT_TRUE(now == old_text || now == new_text)
        << "round " << round << ": a mixed file of " << now.size() << " bytes";
    saw_new += now == new_text;
    EXPECT_NO_THROW(models::load_model<float>(path));
  }
  EXPECT_GT(saw_new, 0);  // the child did get to replace it
}

TEST(LossCurve, CsvAndSvgHoldEveryEpochWithLabelledAxes) {
  TempFolder dir;
  const models::Dataset moons = models::make_moons(120, 0.2, 1);
  models::Mlp net({2, 8, 2});
  tg::optim::Adam adam(net.parameters(), {.lr = 0.05});
  models::TrainerOptions o = quiet(7, 32);
  o.validation_fraction = 0.25;
  const models::History h = models::Trainer(o).fit(net, adam, moons);
  h.write_csv(dir.path() / "loss.csv");
  h.write_svg(dir.path() / "loss.svg", "moons & <friends>");

  // The CSV reads back into the same figures.
  const models::Dataset csv = models::load_csv(dir.path() / "loss.csv", [] {
    models::CsvOptions c;
    c.labelled = false;
    return c;
  }());
  ASSERT_EQ(csv.rows(), 7);
  EXPECT_EQ(csv.feature_names[1], "train_loss");
  for (Eigen::Index e = 0; e < 7; ++e) {
    EXPECT_EQ(csv.features(e, 0), e + 1);
    EXPECT_EQ(csv.features(e, 1), h.epochs[std::size_t(e)].train_loss);
    EXPECT_EQ(csv.features(e, 4), h.epochs[std::size_t(e)].validation_accuracy);
  }

  const std::string svg = read_file(dir.path() / "loss.svg");
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find(">epoch</text>"), std::string::npos);
  EXPECT_NE(svg.find(">loss</text>"), std::string::npos);
  EXPECT_NE(svg.find(">accuracy (%)</text>"), std::string::npos);
  EXPECT_NE(svg.find(">training</text>"), std::string::npos);
  EXPECT_NE(svg.find(">validation</text>"), std::string::npos);
  EXPECT_NE(svg.find("moons &amp; &lt;friends&gt;"), std::string::npos);  // the title is escaped
  EXPECT_EQ(std::count(svg.begin(), svg.end(), '<') - std::count(svg.begin(), svg.end(), '>'), 0);
  // Four curves (loss and accuracy, training and validation) of seven points each.
  std::size_t curves = 0;
  for (std::size_t at = svg.find("<polyline "); at != std::string::npos;
       at = svg.find("<polyline ", at + 1)) {
    const std::string points = svg.substr(svg.find("points=\"", at) + 8);
    curves += std::count(points.begin(), points.begin() + static_cast<long>(points.find('"')), ',') == 7;
  }
  EXPECT_EQ(curves, 4u);
}
