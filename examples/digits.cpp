// `make demo`: a 64-32-10 sigmoid network trained with Adam on the shipped handwritten
// digits (1797 8×8 images), with a fixed seed and a stratified 80/20 split. It shows
// the progress bar, prints the test accuracy, and writes the model, its loss curve
// (CSV and SVG) to the output folder (default build/demo), then reloads the model to
// show that its predictions are the same bit for bit.
//
// Usage: digits [OUTPUT_FOLDER [SEED]]
#include <cstdio>
#include <filesystem>
#include <tapegrad/tapegrad.hpp>

namespace tg = tapegrad;
namespace models = tapegrad::models;

int main(int argc, char** argv) {
  try {
    const std::filesystem::path out = argc > 1 ? argv[1] : "build/demo";
    std::filesystem::create_directories(out);
    const std::uint64_t seed = argc > 2 ? std::stoull(argv[2]) : 0;

    const models::Dataset digits = models::load_builtin("digits");
    const models::Split split = models::train_test_split(digits, 0.2, seed);
    std::printf("digits: %td images of %td pixels, %d classes; %td to train, %td to test\n", digits.rows(),
                digits.feature_count(), digits.class_count(), split.train.rows(), split.test.rows());
    std::fflush(stdout);  // before the progress on stderr, also when stdout is a pipe

    models::Mlp net({64, 32, 10}, {.activation = models::Activation::Sigmoid, .seed = seed});
    net.standardize_on(split.train);
    tg::optim::Adam adam(net.parameters(), {.lr = 0.01, .weight_decay = 1e-4});
    models::Trainer trainer({.epochs = 40, .batch_size = 32, .seed = seed});
    // The test split is evaluated after each epoch for the loss curve ("validation");
    // nothing is chosen by it: the epoch count is fixed and there is no early stopping.
    const models::History history = trainer.fit(net, adam, split.train, split.test);

    const models::Metrics test = net.evaluate(split.test);
    std::printf("\ntest accuracy %.2f%% (loss %.4f) after %.3f s of training\n", 100 * test.accuracy,
                test.loss, history.train_seconds);

    models::save_model(net, out / "model.json");
    history.write_csv(out / "loss.csv");
    history.write_svg(out / "loss.svg", "64-32-10 sigmoid network on digits");
    models::Model loaded = models::load_model<float>(out / "model.json");
    const bool same = loaded.outputs(split.test.features) == net.outputs(split.test.features);
    std::printf("wrote %s, %s and %s; the reloaded model's outputs are %s\n", (out / "model.json").c_str(),
                (out / "loss.csv").c_str(), (out / "loss.svg").c_str(),
                same ? "bit-identical" : "DIFFERENT (a bug)");
    return same ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "digits: %s\n", e.what());
    return 1;
  }
}
