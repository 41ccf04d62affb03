// Data-parallel training cost on this machine: a steady-state epoch of the 784-256-10
// and 784-1024-1024-10 sigmoid networks (float, Adam, synthetic MNIST-shaped data) with
// batches of 128 and 512 rows, trained
//  - on one tape (`whole`; large products on OpenBLAS's threads, both cores),
//  - sharded by the Trainer's default rule (2 shards at batch 128, 4 at 512) on 1 and
//    on 2 threads,
//  - under `mpirun -np 2` (--mpi-report): sharded on 1 process and on 2 processes, in one
//    run (rank 1 computes only when rank 0 tells it, by broadcast, so the single-process
//    variant has the machine's other core idle but for MPI's polling),
// and the fixed-order tree sum of a batch of 512's shard gradients against the one
// addition an unordered sum of 2 workers' accumulators would need.
// An epoch's time is the Trainer's own measure of the second epoch of a fit (the first
// records the steps and sizes the buffers), reported through manual timing.
#include <benchmark/benchmark.h>

#include <random>
#include <sstream>
#include <tapegrad/tapegrad.hpp>

#if TAPEGRAD_BENCH_MPI
#include <mpi.h>

#include <tapegrad/autodiff/parallel/mpi_communicator.hpp>
#endif

#include "harness.hpp"
#include "report.hpp"

namespace tg = tapegrad;
namespace models = tapegrad::models;

namespace bench {
namespace {

struct Case {
  std::vector<Eigen::Index> widths;
  Eigen::Index batch;
  Eigen::Index rows;  // of the data set: whole batches only
  std::string label() const {
    std::string name;
    for (Eigen::Index w : widths) {
      if (!name.empty()) name += '-';
      name += std::to_string(w);
    }
    return "mlp_" + name + "/b" + std::to_string(batch);
  }
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {{{784, 256, 10}, 128, 4096},
                                        {{784, 256, 10}, 512, 4096},
                                        {{784, 1024, 1024, 10}, 128, 1024},
                                        {{784, 1024, 1024, 10}, 512, 1024}};
  return all;
}

const tg::ShardRule sharding{};  // the Trainer's default

const models::Dataset& data(Eigen::Index rows) {
  static std::map<Eigen::Index, models::Dataset> made;
  models::Dataset& d = made[rows];
  if (d.rows() == 0) {
    std::mt19937 random(1);
    std::uniform_real_distribution<double> pixel(0, 1);
    d.features.resize(rows, 784);
    for (Eigen::Index i = 0; i < d.features.size(); ++i) d.features.data()[i] = pixel(random);
    for (Eigen::Index i = 0; i < rows; ++i) d.labels.push_back(static_cast<int>(random() % 10));
    for (int c = 0; c < 10; ++c) d.class_names.push_back(std::to_string(c));
    for (int f = 0; f < 784; ++f) d.feature_names.push_back(std::to_string(f));
  }
  return d;
}

// Seconds of the second epoch of a two-epoch fit.
double epoch_seconds(const Case& c, int threads, tg::Communicator* communicator) {
  models::Mlp net(c.widths, {.seed = 0});
  tg::optim::Adam adam(net.parameters(), {.lr = 1e-3});
  models::TrainerOptions o;
  o.epochs = 2;
  o.batch_size = c.batch;
  o.threads = threads;
  o.sharding = sharding;
  o.communicator = communicator;
  o.progress = models::ProgressStyle::Silent;
  const models::History h = models::Trainer(o).fit(net, adam, data(c.rows));
  return h.epochs[1].seconds - h.epochs[0].seconds;
}

// epoch(k): the seconds of an epoch of case k.
void register_epochs(const std::string& variant, const std::function<double(std::size_t)>& epoch) {
  for (std::size_t k = 0; k < cases().size(); ++k) {
    const Case& c = cases()[k];
    auto* b =
        benchmark::RegisterBenchmark((c.label() + "/" + variant).c_str(), [k, epoch](benchmark::State& s) {
          for (auto _ : s) s.SetIterationTime(epoch(k));
        });
    b->UseManualTime()->Iterations(c.widths.size() > 3 ? 4 : 8)->Unit(benchmark::kMillisecond);
  }
}

// The reduction alone: a batch of 512's shard gradients (4) summed by the fixed tree,
// against the single addition of 2 per-worker accumulators that an unordered sum
// (each worker adding its shards into its own buffer as they come) would end with.
void register_reductions() {
  for (const Case& c : cases()) {
    if (c.batch != 512) continue;
    Eigen::Index size = 0;
    for (std::size_t l = 0; l + 1 < c.widths.size(); ++l) size += (c.widths[l] + 1) * c.widths[l + 1];
    const Eigen::Index n = sharding.shards(c.batch);
    const std::string label =
        "reduce_" + c.label().substr(4, c.label().find('/') - 4) + "/" + std::to_string(n);
    benchmark::RegisterBenchmark((label + "/tree").c_str(), [size, n](benchmark::State& s) {
      std::vector<std::vector<float>> shards(static_cast<std::size_t>(n),
                                             std::vector<float>(static_cast<std::size_t>(size)));
      std::vector<float*> pointers;
      std::vector<tg::detail::TreeNode> leaves;
      for (Eigen::Index k = 0; k < n; ++k) {
        pointers.push_back(shards[static_cast<std::size_t>(k)].data());
        leaves.push_back({k, k + 1, 0});
      }
      for (auto _ : s) {
        tg::detail::sum_tree_node<float>(leaves, pointers, n, 0, tg::detail::tree_height(n), 0, size);
        benchmark::DoNotOptimize(pointers[0][0]);
      }
    })->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark((label + "/unordered").c_str(), [size](benchmark::State& s) {
      std::vector<float> a(static_cast<std::size_t>(size)), b(static_cast<std::size_t>(size));
      for (auto _ : s) {
        for (std::size_t i = 0; i < a.size(); ++i) a[i] += b[i];
        benchmark::DoNotOptimize(a[0]);
      }
    })->Unit(benchmark::kMicrosecond);
  }
}

std::string ms(const Median* m) { return m ? format("%.1f", m->ns / 1e6) : std::string("–"); }

void write_thread_report(const std::string& path, const Medians& medians, const std::string& command) {
  std::ostringstream out;
  out << "## Data-parallel training on threads\n\n" << run_description(command, medians);
  out << "- Sigmoid networks in float, Adam, synthetic 784-feature 10-class data (4096 rows for\n"
         "  784-256-10, 1024 for 784-1024-1024-10). An epoch is the Trainer's own time of the\n"
         "  second epoch of a fit (steady state: steps recorded, buffers sized). `whole`: each\n"
         "  minibatch on one tape, large products on OpenBLAS's two threads; `1 thread` and\n"
         "  `2 threads`: the default shard rule (at least 64 rows, at most 4 shards: 2 at batch\n"
         "  128, 4 at 512), products on the worker's own thread, gradients added by the fixed\n"
         "  tree — the same weights, bit for bit, on both.\n\n";
  out << "| network / batch | whole (ms) | 1 thread (ms) | 2 threads (ms) | 1 → 2 threads | whole → 2 "
         "threads |\n"
         "|---|---:|---:|---:|---:|---:|\n";
  for (const Case& c : cases()) {
    const std::string l = c.label();
    const double speedup = ratio_value(medians, l, "threads1", "threads2"),
                 over_whole = ratio_value(medians, l, "whole", "threads2");
    out << "| " << l.substr(4) << " | " << ms(find(medians, l, "whole")) << " | "
        << ms(find(medians, l, "threads1")) << " | " << ms(find(medians, l, "threads2")) << " | "
        << (speedup > 0 ? format("%.2f×", speedup) : "–") << " | "
        << (over_whole > 0 ? format("%.2f×", over_whole) : "–") << " |\n";
  }
  out << "\nThe fixed order's price: the tree sum of the 4 shard gradients of a batch of 512\n"
         "(3 additions of the whole gradient, each shard's in a buffer of its own) against the\n"
         "one addition left to an unordered sum of 2 workers' accumulators; one thread each\n"
         "(the Trainer splits the tree's additions over its threads, hence the halving in the\n"
         "last column):\n\n"
         "| network | tree (µs) | unordered, 2 workers (µs) | extra per step, share of a 2-thread b512 step "
         "|\n"
         "|---|---:|---:|---:|\n";
  for (const Case& c : cases()) {
    if (c.batch != 512) continue;
    const std::string name = c.label().substr(4, c.label().find('/') - 4),
                      label = "reduce_" + name + "/" + std::to_string(sharding.shards(c.batch));
    const Median* tree = find(medians, label, "tree");
    const Median* unordered = find(medians, label, "unordered");
    const Median* step_epoch = find(medians, c.label(), "threads2");
    std::string share = "–";
    if (tree && unordered && step_epoch) {
      const double steps = static_cast<double>(c.rows / c.batch);
      share = format("%.1f%%", 100 * (tree->ns - unordered->ns) / 2 / (step_epoch->ns / steps));
    }
    out << "| " << name << " | " << (tree ? format("%.0f", tree->ns / 1e3) : "–") << " | "
        << (unordered ? format("%.0f", unordered->ns / 1e3) : "–") << " | " << share << " |\n";
  }
  write_section(path, "parallel_bench", out.str());
}

int thread_main(int argc, char** argv) {
  return run_benchmarks(
      argc, argv,
      [] {
        register_epochs("whole", [](std::size_t k) { return epoch_seconds(cases()[k], 0, nullptr); });
        register_epochs("threads1", [](std::size_t k) { return epoch_seconds(cases()[k], 1, nullptr); });
        register_epochs("threads2", [](std::size_t k) { return epoch_seconds(cases()[k], 2, nullptr); });
        register_reductions();
      },
      write_thread_report);
}

#if TAPEGRAD_BENCH_MPI
// Rank 1's commands: a case's index (an epoch), quit, or gather_command − k (an
// all-gather of gather_sizes[k] bytes from each rank).
constexpr int quit = -1, gather_command = -2;
// One byte (latency), the 784-256-10 gradient, the 784-1024-1024-10 gradient (floats).
const std::vector<std::size_t> gather_sizes = {8, 203530 * 4, 1863690 * 4};

// Seconds of the all-gather a step of two processes makes: `bytes` from each.
double gather_seconds(tg::Communicator& world, std::size_t bytes) {
  static std::vector<std::byte> mine, all;
  mine.assign(bytes, std::byte{1});
  all.resize(2 * bytes);
  const std::size_t counts[2] = {bytes, bytes};
  MPI_Barrier(MPI_COMM_WORLD);
  const double start = MPI_Wtime();
  world.all_gather(mine, all, counts);
  return MPI_Wtime() - start;
}

// Rank 0 runs the benchmarks; before each two-process fit it broadcasts the case's
// index, and rank 1 runs the same fit; −1 ends rank 1's loop.
void write_mpi_report(const std::string& path, const Medians& medians, const std::string& command) {
  std::ostringstream out;
  out << "## Data-parallel training on MPI processes\n\n"
      << run_description("mpirun --allow-run-as-root --oversubscribe -np 2 " + command, medians);
  out << "- As the threads section, one thread per process: `1 process` is the sharded fit\n"
         "  with no communicator, on rank 0 while rank 1 waits in a broadcast; `2 processes`\n"
         "  is both ranks, each computing half the shards and gathering the other's tree\n"
         "  nodes with MPI_Allgatherv (shared memory on one machine).\n\n";
  out << "| network / batch | 1 process (ms) | 2 processes (ms) | speed-up |\n|---|---:|---:|---:|\n";
  for (const Case& c : cases()) {
    const std::string l = c.label();
    const double speedup = ratio_value(medians, l, "ranks1", "ranks2");
    out << "| " << l.substr(4) << " | " << ms(find(medians, l, "ranks1")) << " | "
        << ms(find(medians, l, "ranks2")) << " | " << (speedup > 0 ? format("%.2f×", speedup) : "–")
        << " |\n";
  }
  out << "\nThe all-gather itself (MPI_Allgatherv of the bytes each rank sends in a step, both\n"
         "ranks, from a barrier): the α + β·n of docs/scaling.md on this machine.\n\n"
         "| bytes per rank | time (µs) | GB/s received per rank |\n|---:|---:|---:|\n";
  for (std::size_t bytes : gather_sizes) {
    const Median* m = find(medians, "allgather/" + std::to_string(bytes), "ranks2");
    out << "| " << bytes << " | " << (m ? format("%.1f", m->ns / 1e3) : "–") << " | "
        << (m ? format("%.2f", static_cast<double>(bytes) / m->ns) : "–") << " |\n";
  }
  write_section(path, "parallel_mpi", out.str());
}

int mpi_main(int argc, char** argv) {
  tg::MpiSession session(argc, argv);
  tg::MpiCommunicator world;
  if (world.size() != 2) {
    if (world.rank() == 0) std::fprintf(stderr, "parallel_bench under mpirun: run it with -np 2\n");
    return 2;
  }
  if (world.rank() == 1) {
    for (;;) {
      int which = quit;
      MPI_Bcast(&which, 1, MPI_INT, 0, MPI_COMM_WORLD);
      if (which == quit) return 0;
      if (which >= 0)
        epoch_seconds(cases()[static_cast<std::size_t>(which)], 1, &world);
      else
        gather_seconds(world, gather_sizes[static_cast<std::size_t>(gather_command - which)]);
    }
  }
  const int status = run_benchmarks(
      argc, argv,
      [&] {
        register_epochs("ranks1", [](std::size_t k) { return epoch_seconds(cases()[k], 1, nullptr); });
        register_epochs("ranks2", [&](std::size_t k) {
          int which = static_cast<int>(k);
          MPI_Bcast(&which, 1, MPI_INT, 0, MPI_COMM_WORLD);
          return epoch_seconds(cases()[k], 1, &world);
        });
        for (std::size_t k = 0; k < gather_sizes.size(); ++k) {
          auto* b = benchmark::RegisterBenchmark(
              ("allgather/" + std::to_string(gather_sizes[k]) + "/ranks2").c_str(),
              [&world, k](benchmark::State& s) {
                for (auto _ : s) {
                  int which = gather_command - static_cast<int>(k);
                  MPI_Bcast(&which, 1, MPI_INT, 0, MPI_COMM_WORLD);
                  s.SetIterationTime(gather_seconds(world, gather_sizes[k]));
                }
              });
          b->UseManualTime()->Iterations(20)->Unit(benchmark::kMicrosecond);
        }
      },
      write_mpi_report);
  int done = quit;
  MPI_Bcast(&done, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return status;
}
#endif

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
#if TAPEGRAD_BENCH_MPI
  if (tapegrad::launched_by_mpi()) return bench::mpi_main(argc, argv);
#endif
  return bench::thread_main(argc, argv);
}
