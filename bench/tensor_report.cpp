// The tensor section of bench/RESULTS.md: the vectorized problems' ratios, the MLP
// training steps against LibTorch and against their bare matrix products, and the
// issue's targets, each read from this one run.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mlp.hpp"
#include "report.hpp"

namespace bench {

namespace {

std::string yes_no(bool met) { return met ? "yes" : "**no**"; }

// GFLOP/s of an MLP variant, by the shape's 6 · batch · Σ in·out.
double gflops(const Median* m, const MlpShape& shape) {
  return m == nullptr || m->cpu_ns <= 0 ? -1 : shape.flops_per_step() / m->cpu_ns;
}

// The BLAS that LibTorch's libblas.so.3 resolves to (Debian's alternatives system).
std::string system_blas() {
  std::error_code error;
  const auto target = std::filesystem::read_symlink("/etc/alternatives/libblas.so.3-x86_64-linux-gnu", error);
  return error ? std::string("unknown") : target.string();
}

std::string or_dash(double value, const char* pattern) { return value < 0 ? "–" : format(pattern, value); }

}  // namespace

void write_tensor_report(const std::string& path, const Medians& medians, const std::string& command) {
  std::ostringstream out;
  out << "## Tensors\n\n" << run_description(command, medians);
  out << "- `t_f` is plain Eigen code computing the same value;\n"
         "  `t_grad` zeroes the Parameters' gradients, clears the tape, records and runs backward.\n"
         "  Each gradient is checked against the scalar tape's (the matrix product's against its\n"
         "  closed form) before its timing counts.\n"
         "- MLP steps are float, one thread each (LibTorch set to 1 intra-op and 1 inter-op\n"
         "  thread). GFLOP/s counts 6 · batch · Σ in·out per step for every column. `Eigen\n"
         "  products` runs only the step's matrix products (forward, dW, and dX for all but the\n"
         "  first layer); LibTorch's first step must land on the same weights as tapegrad's.\n";
  out << "- LibTorch's BLAS (libblas.so.3): " << system_blas() << "\n\n";

  out << "### Vectorized problems\n\n| problem | N | t_f (ns) | t_grad (ns) | ratio "
         "|\n|---|---:|---:|---:|---:|\n";
  std::vector<std::string> problems_at_scale;
  for (const auto& [problem, variants] : medians) {
    if (problem.rfind("mlp/", 0) == 0) continue;
    const std::size_t cut = problem.rfind('/');
    const Median* f = find(medians, problem, "f");
    const Median* ours = find(medians, problem, "tapegrad");
    out << "| " << problem.substr(0, cut) << " | " << problem.substr(cut + 1) << " | "
        << (f ? format("%.4g", f->cpu_ns) : "–") << " | " << (ours ? format("%.4g", ours->cpu_ns) : "–")
        << " | " << ratio(medians, problem, "tapegrad") << " |\n";
  }

  out << "\n### MLP training step (float)\n\n"
         "| network | batch | tapegrad (µs) | GFLOP/s | LibTorch (µs) | GFLOP/s | tapegrad / LibTorch time "
         "| Eigen products (µs) | GFLOP/s | tapegrad rate / Eigen rate |\n"
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const MlpShape& shape : mlp_shapes()) {
    const std::string key = "mlp/" + shape.label();
    const Median* ours = find(medians, key, "tapegrad");
    const Median* torch = find(medians, key, "libtorch");
    const Median* eigen = find(medians, key, "eigen_products");
    std::string network = shape.label();
    network = network.substr(0, network.find("_b"));
    out << "| " << network << " | " << shape.batch << " | " << or_dash(ours ? ours->cpu_ns / 1e3 : -1, "%.1f")
        << " | " << or_dash(gflops(ours, shape), "%.2f") << " | "
        << or_dash(torch ? torch->cpu_ns / 1e3 : -1, "%.1f") << " | " << or_dash(gflops(torch, shape), "%.2f")
        << " | " << ratio(medians, key, "tapegrad", "libtorch") << " | "
        << or_dash(eigen ? eigen->cpu_ns / 1e3 : -1, "%.1f") << " | " << or_dash(gflops(eigen, shape), "%.2f")
        << " | " << ratio(medians, key, "eigen_products", "tapegrad") << " |\n";
  }

  out << "\n### MLP training step: recorded once and replayed\n\n"
         "`replay` records the step once and then replays it on the updated weights (what the Trainer "
         "does);\n"
         "its losses and weights are checked equal to the recorded steps' before its timing counts.\n\n"
         "| network | batch | recorded (µs) | replayed (µs) | replayed / recorded "
         "|\n|---|---:|---:|---:|---:|\n";
  for (const MlpShape& shape : mlp_shapes()) {
    const std::string key = "mlp/" + shape.label();
    const Median* ours = find(medians, key, "tapegrad");
    const Median* replayed = find(medians, key, "replay");
    std::string network = shape.label();
    network = network.substr(0, network.find("_b"));
    out << "| " << network << " | " << shape.batch << " | " << or_dash(ours ? ours->cpu_ns / 1e3 : -1, "%.2f")
        << " | " << or_dash(replayed ? replayed->cpu_ns / 1e3 : -1, "%.2f") << " | "
        << ratio(medians, key, "replay", "tapegrad") << " |\n";
  }

  out << "\n### Targets\n\n| target | limit | measured | met |\n|---|---:|---:|---|\n";
  for (const auto& [problem, variants] : medians) {
    const bool at_scale = problem.ends_with("/100000") || problem == "matrix_product/1024" ||
                          problem == "matrix_product/256" || problem == "matrix_product/64";
    if (!at_scale) continue;
    const double r = ratio_value(medians, problem, "tapegrad");
    out << "| " << problem << ": t_grad / t_f | 3 | " << or_dash(r, "%.2f") << " | "
        << (r < 0 ? "not run" : yes_no(r <= 3)) << " |\n";
  }
  const std::vector<MlpShape> shapes = mlp_shapes();
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    const MlpShape& shape = shapes[i];
    const std::string key = "mlp/" + shape.label();
    // The two smallest networks (2-4-1, 64-32-10) must be 10× faster: there the step is
    // all framework overhead.
    const double limit = i < 2 ? 0.1 : 1.0;
    const double r = ratio_value(medians, key, "tapegrad", "libtorch");
    out << "| MLP " << shape.label() << ": tapegrad / LibTorch time | " << format("%.2g", limit) << " | "
        << or_dash(r, "%.3f") << " | " << (r < 0 ? "not run (no LibTorch)" : yes_no(r < limit)) << " |\n";
  }
  const MlpShape big = mlp_shapes().back();
  const double share = ratio_value(medians, "mlp/" + big.label(), "eigen_products", "tapegrad");
  out << "| MLP " << big.label() << ": GFLOP/s as a share of the bare Eigen products' | 0.7 | "
      << or_dash(share, "%.2f") << " | " << (share < 0 ? "not run" : yes_no(share >= 0.7)) << " |\n";

  // The hand-written analysis (why each unmet target is unmet) follows the tables.
  const auto notes = std::filesystem::path(path).parent_path() / "tensor_notes.md";
  if (std::ifstream notes_file(notes); notes_file) out << "\n" << notes_file.rdbuf();

  write_section(path, "tensor_bench", out.str());
}

}  // namespace bench
