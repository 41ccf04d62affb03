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
  return m == nullptr || m->ns <= 0 ? -1 : shape.flops_per_step() / m->ns;
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
         "- MLP steps are float, each framework at its defaults: tapegrad's large products on\n"
         "  OpenBLAS with every core (autodiff/tensor/gemm.hpp), LibTorch with its own intra-op\n"
         "  threads and its BLAS's. GFLOP/s counts 6 · batch · Σ in·out per step for every\n"
         "  column. `products` runs only the step's matrix products (forward, dW, and dX for all\n"
         "  but the first layer) through the same gemm, on the same threads; LibTorch's first\n"
         "  step must land on the same weights as tapegrad's. `sgemm` is one 1024³ product\n"
         "  through that gemm: the machine's rate on the cores matmul uses.\n";
  out << "- LibTorch's BLAS (libblas.so.3): " << system_blas() << "\n\n";

  out << "### Vectorized problems\n\n`unfused` is the same function written one tensor operation per step "
         "where `tapegrad` uses fused_sum (bench/tensor_problems.hpp).\n\n"
         "| problem | N | t_f (ns) | t_grad (ns) | ratio | unfused ratio "
         "|\n|---|---:|---:|---:|---:|---:|\n";
  std::vector<std::string> problems_at_scale;
  for (const auto& [problem, variants] : medians) {
    if (problem.rfind("mlp/", 0) == 0 || problem.rfind("sgemm/", 0) == 0) continue;
    const std::size_t cut = problem.rfind('/');
    const Median* f = find(medians, problem, "f");
    const Median* ours = find(medians, problem, "tapegrad");
    out << "| " << problem.substr(0, cut) << " | " << problem.substr(cut + 1) << " | "
        << (f ? format("%.4g", f->ns) : "–") << " | " << (ours ? format("%.4g", ours->ns) : "–") << " | "
        << ratio(medians, problem, "tapegrad") << " | " << ratio(medians, problem, "unfused") << " |\n";
  }

  const Median* sgemm = find(medians, "sgemm/1024", "gemm");
  const double sgemm_rate = sgemm == nullptr || sgemm->ns <= 0 ? -1 : 2.0 * 1024 * 1024 * 1024 / sgemm->ns;
  out << "\n### MLP training step (float)\n\n"
      << "sgemm 1024³ through matmul's gemm: " << or_dash(sgemm_rate, "%.1f") << " GFLOP/s.\n\n"
      << "| network | batch | rule | tapegrad (µs) | GFLOP/s | LibTorch (µs) | GFLOP/s | tapegrad / LibTorch "
         "time | bare products (µs) | tapegrad / products time |\n"
         "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const MlpShape& shape : mlp_shapes()) {
    const std::string key = "mlp/" + shape.label();
    const Median* products = find(medians, key, "products");
    for (const MlpOptimizer rule : {MlpOptimizer::sgd, MlpOptimizer::adam}) {
      const std::string suffix = variant_suffix(rule);
      const Median* ours = find(medians, key, "tapegrad" + suffix);
      const Median* torch = find(medians, key, "libtorch" + suffix);
      std::string network = shape.label();
      network = network.substr(0, network.find("_b"));
      out << "| " << network << " | " << shape.batch << " | " << (rule == MlpOptimizer::sgd ? "SGD" : "Adam")
          << " | " << or_dash(ours ? ours->ns / 1e3 : -1, "%.1f") << " | "
          << or_dash(gflops(ours, shape), "%.2f") << " | " << or_dash(torch ? torch->ns / 1e3 : -1, "%.1f")
          << " | " << or_dash(gflops(torch, shape), "%.2f") << " | "
          << ratio(medians, key, "tapegrad" + suffix, "libtorch" + suffix) << " | "
          << or_dash(products ? products->ns / 1e3 : -1, "%.1f") << " | "
          << ratio(medians, key, "tapegrad" + suffix, "products") << " |\n";
    }
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
    out << "| " << network << " | " << shape.batch << " | " << or_dash(ours ? ours->ns / 1e3 : -1, "%.2f")
        << " | " << or_dash(replayed ? replayed->ns / 1e3 : -1, "%.2f") << " | "
        << ratio(medians, key, "replay", "tapegrad") << " |\n";
  }

  out << "\n### Targets\n\n| target | limit | measured | met |\n|---|---:|---:|---|\n";
  for (const auto& [problem, variants] : medians) {
    const bool at_scale = problem.ends_with("/100000") || problem == "matrix_product/1024" ||
                          problem == "matrix_product/256" || problem == "matrix_product/64";
    if (!at_scale) continue;
    // The speed issue's limits: 3× the plain code, 2× for the two one-pass densities.
    const bool one_pass = problem.starts_with("normal_log_pdf/") || problem.starts_with("log_sum_exp/");
    const double limit = one_pass ? 2 : 3;
    const double r = ratio_value(medians, problem, "tapegrad");
    out << "| " << problem << ": t_grad / t_f | " << limit << " | " << or_dash(r, "%.2f") << " | "
        << (r < 0 ? "not run" : yes_no(r <= limit)) << " |\n";
  }
  const std::vector<MlpShape> shapes = mlp_shapes();
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    const MlpShape& shape = shapes[i];
    const std::string key = "mlp/" + shape.label();
    for (const MlpOptimizer rule : {MlpOptimizer::sgd, MlpOptimizer::adam}) {
      const std::string suffix = variant_suffix(rule), ours = "tapegrad" + suffix;
      const std::string rule_name = rule == MlpOptimizer::sgd ? " SGD" : " Adam";
      // The two smallest networks (2-4-1, 64-32-10) must be 10× faster: there the step
      // is all framework overhead.
      const double limit = i < 2 ? 0.1 : 1.0;
      const double r = ratio_value(medians, key, ours, "libtorch" + suffix);
      out << "| MLP " << shape.label() << rule_name << ": tapegrad / LibTorch time | "
          << format("%.2g", limit) << " | " << or_dash(r, "%.3f") << " | "
          << (r < 0 ? "not run (no LibTorch)" : yes_no(r < limit)) << " |\n";
      if (i == 0) continue;  // 2-4-1 has no products worth the name
      const double overhead = ratio_value(medians, key, ours, "products");
      out << "| MLP " << shape.label() << rule_name << ": step / bare products time | 1.3 | "
          << or_dash(overhead, "%.2f") << " | " << (overhead < 0 ? "not run" : yes_no(overhead <= 1.3))
          << " |\n";
    }
  }
  const MlpShape big = mlp_shapes().back();
  for (const MlpOptimizer rule : {MlpOptimizer::sgd, MlpOptimizer::adam}) {
    const double rate =
        gflops(find(medians, "mlp/" + big.label(), std::string("tapegrad") + variant_suffix(rule)), big);
    const double share = rate < 0 || sgemm_rate <= 0 ? -1 : rate / sgemm_rate;
    out << "| MLP " << big.label() << (rule == MlpOptimizer::sgd ? " SGD" : " Adam")
        << ": GFLOP/s as a share of the sgemm rate | 0.8 | " << or_dash(share, "%.2f") << " | "
        << (share < 0 ? "not run" : yes_no(share >= 0.8)) << " |\n";
  }

  // The hand-written analysis (why each unmet target is unmet) follows the tables.
  const auto notes = std::filesystem::path(path).parent_path() / "tensor_notes.md";
  if (std::ifstream notes_file(notes); notes_file) out << "\n" << notes_file.rdbuf();

  write_section(path, "tensor_bench", out.str());
}

}  // namespace bench
