// The scalar tape's section of bench/RESULTS.md: every problem's times and ratios, the
// issue's targets, and the hand-written profile notes (bench/profile_notes.md).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "report.hpp"

namespace bench {

namespace {

double bytes_per_operation(const Median& m) {
  auto bytes = m.counters.find("tape_bytes");
  auto ops = m.counters.find("operations");
  if (bytes == m.counters.end() || ops == m.counters.end() || ops->second <= 0) return -1;
  return bytes->second / ops->second;
}

struct Target {
  std::string what;
  std::string problem;
  double limit;
  bool absolute_ns = false;  // compare t_grad in ns instead of the ratio
};

}  // namespace

void write_scalar_report(const std::string& path, const Medians& medians, const std::string& command) {
  std::ostringstream out;
  out << "## Scalar tape\n\n" << run_description(command, medians);
  out << "- `t_f` is the plain double code, `t_grad`\n"
         "  records on a cleared tape and sweeps every iteration, `hand` is a hand-written adjoint.\n"
         "  ADOL-C `record` retapes every iteration, `replay` reuses one tape; Sacado is its `Rad`\n"
         "  reverse mode. Every gradient is checked against tapegrad's before its timing counts.\n\n";

  out << "| problem | N | t_f (ns) | t_grad (ns) | ratio | hand ratio | vs_hand | ADOL-C record | ADOL-C "
         "replay "
         "| Sacado | tape bytes/op |\n";
  out << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& [problem, variants] : medians) {
    const std::size_t cut = problem.rfind('/');
    const Median* f = find(medians, problem, "f");
    const Median* ours = find(medians, problem, "tapegrad");
    out << "| " << problem.substr(0, cut) << " | " << problem.substr(cut + 1) << " | "
        << (f ? format("%.4g", f->ns) : "–") << " | " << (ours ? format("%.4g", ours->ns) : "–") << " | "
        << ratio(medians, problem, "tapegrad") << " | " << ratio(medians, problem, "hand") << " | "
        << ratio(medians, problem, "tapegrad", "hand") << " | " << ratio(medians, problem, "adolc_record")
        << " | " << ratio(medians, problem, "adolc_replay") << " | " << ratio(medians, problem, "sacado")
        << " | "
        << (ours && bytes_per_operation(*ours) > 0 ? format("%.2f", bytes_per_operation(*ours)) : "–")
        << " |\n";
  }

  out << "\n### Replay: recorded once, replayed at every call\n\n"
         "`replay` records the function once (`tg::RecordedFunction`) and times a replay plus a reverse\n"
         "sweep, bit-identical to a fresh recording; `sums` is the same with\n"
         "`RecordOptions::reassociate_sums` (accumulation loops replayed as sums, equal up to\n"
         "rounding); ADOL-C `replay` is the same for ADOL-C (`gradient` on a kept trace). Ratios to\n"
         "`t_f` and to the hand-written adjoint, from this same run. CppAD is not beside them: Debian\n"
         "12 has no `cppad` package.\n\n";
  out << "| problem | N | replay / t_f | replay / t_grad | replay / hand | sums / hand | sums / replay | "
         "ADOL-C replay / hand |\n";
  out << "|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& [problem, variants] : medians) {
    const std::size_t cut = problem.rfind('/');
    out << "| " << problem.substr(0, cut) << " | " << problem.substr(cut + 1) << " | "
        << ratio(medians, problem, "replay") << " | " << ratio(medians, problem, "replay", "tapegrad")
        << " | " << ratio(medians, problem, "replay", "hand") << " | "
        << ratio(medians, problem, "replay_sums", "hand") << " | "
        << ratio(medians, problem, "replay_sums", "replay") << " | "
        << ratio(medians, problem, "adolc_replay", "hand") << " |\n";
  }
  struct ReplayTarget {
    std::string problem;
    double limit;
    std::string fastad;
  };
  const std::vector<ReplayTarget> replay_targets = {
      {"log_sum_exp/100000", 1.3, "0.8"},
      {"normal_log_pdf/100000", 1.3, "1.4"},
      {"rosenbrock/100000", 2.0, "–"},
      {"sigmoid_layer/256", 2.0, "3.4"},
  };
  out << "\n| replayed gradient / hand | limit | FastAD (published) | exact replay | reassociated sums | met "
         "|\n|---|---:|---:|---:|---:|---|\n";
  for (const ReplayTarget& t : replay_targets) {
    const double exact = ratio_value(medians, t.problem, "replay", "hand");
    const double sums = ratio_value(medians, t.problem, "replay_sums", "hand");
    const double best = sums < 0 ? exact : exact < 0 ? sums : std::min(exact, sums);
    auto shown = [](double r) { return r < 0 ? std::string("not run") : format("%.2f", r); };
    out << "| " << t.problem << " | " << format("%.3g", t.limit) << " | " << t.fastad << " | " << shown(exact)
        << " | " << shown(sums) << " | " << (best < 0 ? "–" : (best <= t.limit ? "yes" : "**no**")) << " |\n";
  }

  // The fresh-tape targets; beside each, the fastest fresh-taping peer of this run
  // (Sacado, or ADOL-C retaping) and tapegrad's own gradient recorded once and replayed
  // with reassociated sums (RecordOptions::reassociate_sums).
  const std::vector<Target> targets = {
      {"f(x1, x2): t_grad in ns", "f(x1,x2)/2", 30.0, true},
      {"log_sum_exp, N = 100000: t_grad/t_f", "log_sum_exp/100000", 2.2},
      {"normal_log_pdf, N = 100000: t_grad/t_f", "normal_log_pdf/100000", 3.0},
      {"Rosenbrock, N = 100000: t_grad/t_f", "rosenbrock/100000", 20.0},
      {"sigmoid layer 256×256: t_grad/t_f", "sigmoid_layer/256", 10.0},
  };
  out << "\n### Targets\n\n| target | limit | fastest peer, this run | recorded once (sums) | measured | met "
         "|\n|---|---:|---:|---:|---:|---|\n";
  for (const Target& t : targets) {
    // A variant's figure in the target's unit: its time in ns, or its ratio to t_f.
    const auto figure = [&](const std::string& variant) {
      const Median* m = find(medians, t.problem, variant);
      if (m == nullptr) return -1.0;
      return t.absolute_ns ? m->ns : ratio_value(medians, t.problem, variant);
    };
    double peer = -1;
    for (const char* variant : {"sacado", "adolc_record"})
      if (const double v = figure(variant); v > 0 && (peer < 0 || v < peer)) peer = v;
    const double measured = figure("tapegrad"), once = figure("replay_sums");
    const auto shown = [](double v) { return v < 0 ? std::string("–") : format("%.2f", v); };
    out << "| " << t.what << " | " << format("%.3g", t.limit) << " | " << shown(peer) << " | " << shown(once)
        << " | " << (measured < 0 ? std::string("not run") : format("%.2f", measured)) << " | "
        << (measured < 0 ? "–" : (measured <= t.limit ? "yes" : "**no**")) << " |\n";
  }
  double worst_bytes = 0;
  std::string worst_problem;
  for (const auto& [problem, variants] : medians) {
    const Median* ours = find(medians, problem, "tapegrad");
    if (ours == nullptr) continue;
    const double b = bytes_per_operation(*ours);
    if (b > worst_bytes) {
      worst_bytes = b;
      worst_problem = problem;
    }
  }
  out << "| tape memory per recorded operation (worst problem: " << worst_problem << ") | 10 | – | – | "
      << format("%.2f", worst_bytes) << " | " << (worst_bytes <= 10 ? "yes" : "**no**") << " |\n";

  // The hand-written analysis (what costs the time) follows the measured tables.
  const auto notes = std::filesystem::path(path).parent_path() / "profile_notes.md";
  if (std::ifstream notes_file(notes); notes_file) out << "\n" << notes_file.rdbuf();

  write_section(path, "scalar_bench", out.str());
}

}  // namespace bench
