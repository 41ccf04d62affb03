// Training cost on the shipped digits: epochs of the 64-32-10 sigmoid network through
// the Trainer against the same epochs written as a bare loop (gather a minibatch,
// forward, loss, backward, Adam step), in the same run. The ratio is what the Trainer's
// bookkeeping (shuffling, accuracy, progress, validation-free history) costs.
// `--report=PATH` writes the models section of PATH.
#include <benchmark/benchmark.h>

#include <numeric>
#include <sstream>
#include <tapegrad/tapegrad.hpp>

#include "harness.hpp"
#include "report.hpp"

namespace tg = tapegrad;
namespace models = tapegrad::models;

namespace bench {
namespace {

constexpr int epochs_per_iteration = 5;
const std::vector<Eigen::Index> batch_sizes = {32, 200};

const models::Dataset& digits_train() {
  static const models::Dataset train = models::train_test_split(models::load_builtin("digits"), 0.2, 0).train;
  return train;
}

models::Mlp fresh_network() {
  models::Mlp net({64, 32, 10}, {.seed = 0});
  net.standardize_on(digits_train());
  return net;
}

void trainer_epochs(benchmark::State& state, Eigen::Index batch) {
  models::Mlp net = fresh_network();
  tg::optim::Adam adam(net.parameters(), {.lr = 1e-3});
  models::TrainerOptions o;
  o.epochs = epochs_per_iteration;
  o.batch_size = batch;
  o.progress = models::ProgressStyle::Silent;
  models::Trainer trainer(o);
  for (auto _ : state)
    benchmark::DoNotOptimize(trainer.fit(net, adam, digits_train()).epochs.back().train_loss);
  state.counters["rows"] = static_cast<double>(digits_train().rows()) * epochs_per_iteration;
}

// The same epochs with nothing but the work: one tape, reused batch buffers.
void bare_loop_epochs(benchmark::State& state, Eigen::Index batch) {
  models::Mlp net = fresh_network();
  tg::optim::Adam adam(net.parameters(), {.lr = 1e-3});
  const models::PreparedData<float> data = net.prepare(digits_train());
  std::vector<Eigen::Index> order(static_cast<std::size_t>(data.rows()));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  models::Random random(0);
  Eigen::MatrixXf x(batch, data.x.cols()),
      x_last(data.rows() % batch == 0 ? batch : data.rows() % batch, data.x.cols());
  std::vector<int> labels(static_cast<std::size_t>(batch)),
      labels_last(static_cast<std::size_t>(x_last.rows()));
  tg::FloatTape tape;
  for (auto _ : state) {
    for (int e = 0; e < epochs_per_iteration; ++e) {
      random.shuffle(std::span<Eigen::Index>(order));
      for (Eigen::Index first = 0; first < data.rows(); first += batch) {
        const bool last = first + batch >= data.rows();
        Eigen::MatrixXf& bx = last ? x_last : x;
        std::vector<int>& bl = last ? labels_last : labels;
        for (Eigen::Index k = 0; k < bx.rows(); ++k) {
          bx.row(k) = data.x.row(order[static_cast<std::size_t>(first + k)]);
          bl[static_cast<std::size_t>(k)] =
              data.labels[static_cast<std::size_t>(order[static_cast<std::size_t>(first + k)])];
        }
        tape.clear();
        adam.zero_grad();
        const tg::FloatVar loss = net.loss(net.forward(tg::constant_view(bx)), bl, nullptr);
        tape.backward(loss);
        adam.step();
        benchmark::DoNotOptimize(loss.value());
      }
    }
  }
}

void register_cases() {
  for (Eigen::Index batch : batch_sizes) {
    const std::string label = "digits_64-32-10/b" + std::to_string(batch);
    register_variant(label, "trainer", [batch](benchmark::State& s) { trainer_epochs(s, batch); });
    register_variant(label, "bare_loop", [batch](benchmark::State& s) { bare_loop_epochs(s, batch); });
  }
}

void write_models_report(const std::string& path, const Medians& medians, const std::string& command) {
  std::ostringstream out;
  out << "## Training (models)\n\n" << run_description(command, medians);
  out << "- The digits training split (1437 rows), 64-32-10 sigmoid network in float, Adam,\n"
         "  one thread. Each timed iteration is "
      << epochs_per_iteration
      << " epochs; the table gives one epoch. `trainer` is\n"
         "  Trainer::fit (its one-time copy and standardization of the data, then shuffle,\n"
         "  gather, step, running loss and accuracy, history; progress silent); `bare_loop` is\n"
         "  the same epochs written by hand. `make demo` trains 40 epochs of batches of 32.\n\n";
  out << "| batch | trainer epoch (µs) | bare loop epoch (µs) | trainer / bare | samples/s (trainer) |\n"
         "|---:|---:|---:|---:|---:|\n";
  for (Eigen::Index batch : batch_sizes) {
    const std::string label = "digits_64-32-10/b" + std::to_string(batch);
    const Median* trainer = find(medians, label, "trainer");
    const Median* bare = find(medians, label, "bare_loop");
    const auto epoch_us = [](const Median* m) {
      return m ? format("%.0f", m->ns / epochs_per_iteration / 1e3) : std::string("–");
    };
    out << "| " << batch << " | " << epoch_us(trainer) << " | " << epoch_us(bare) << " | "
        << ratio(medians, label, "trainer", "bare_loop") << " | "
        << (trainer ? format("%.2fM", trainer->counters.at("rows") / trainer->ns * 1e3) : "–") << " |\n";
  }
  write_section(path, "models_bench", out.str());
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  return bench::run_benchmarks(argc, argv, bench::register_cases, bench::write_models_report);
}
