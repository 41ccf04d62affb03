// Sparse derivatives: what SparseHessian::values (the Hessian's nonzeros and the gradient
// from one replay on Dual numbers per 8 colors) costs over one gradient at the same
// point, at n = 10³ … 10⁶, on Broyden's banded function as a sum of squares and on a 2-D
// stencil energy; the dense Hessian beside it up to n = 10³; the dense Hessian in vector
// mode against n Hessian-vector products; the share of the first construction spent
// recording, finding the pattern and coloring; and SparseJacobian of Broyden's residuals
// over one evaluation. Every result is checked before its timing counts: the gradient
// and H·v against hand-written ones at every n, the nonzeros against the dense Hessian
// at n ≤ 1024, the Jacobian's nonzeros entry by entry. `--report=PATH` writes the section.
#include <benchmark/benchmark.h>
#include <sched.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "harness.hpp"
#include "problems.hpp"
#include "report.hpp"
#include "sparse_problems.hpp"

namespace tg = tapegrad;

namespace bench {
namespace {

using namespace sparse;

// ------------------------------------------------------------------------- checks

[[noreturn]] void fail(const std::string& label, const std::string& what) {
  std::fprintf(stderr, "sparse_bench: %s: %s\n", label.c_str(), what.c_str());
  std::exit(1);
}

// y = M·v for the matrix whose nonzeros, in the pattern's compressed-row order, are `nonzeros`.
std::vector<double> times(const tg::SparsityPattern& p, const std::vector<double>& nonzeros,
                          const std::vector<double>& v) {
  std::vector<double> y(p.rows, 0.0);
  for (std::size_t i = 0; i < p.rows; ++i)
    for (std::size_t k = p.row_begin[i]; k < p.row_begin[i + 1]; ++k) y[i] += nonzeros[k] * v[p.columns[k]];
  return y;
}

// max |a − b| ≤ tolerance · max |b|.
bool matrices_agree(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, double tolerance) {
  const double scale = std::max(1e-300, b.cwiseAbs().maxCoeff());
  return a.rows() == b.rows() && a.cols() == b.cols() && (a - b).cwiseAbs().maxCoeff() <= tolerance * scale &&
         a.allFinite();
}

constexpr double tolerance = 1e-10;

template <class Problem>
void check_gradient(const std::string& label, const char* what, const Problem& problem,
                    const std::vector<double>& x, const std::vector<double>& g) {
  std::vector<double> expected(x.size());
  problem.gradient(x, expected);
  if (!gradients_agree(g, expected, tolerance))
    fail(label, std::string(what) + " disagrees with the hand-written gradient");
}

// ------------------------------------------------------------------------- cases

// One problem at one n: the construction point x0, the point everything is timed at (x),
// the SparseHessian built at x0 and the recorded function, built and checked once, at
// the first benchmark that needs them, and kept for the others.
template <class Problem>
struct Case {
  Problem problem;
  std::string label;
  std::vector<double> x0, x;
  std::optional<tg::SparseHessian> hessian;
  std::optional<tg::SparseHessian> colored;  // the same with HessianAssembly::Never
  std::optional<tg::RecordedFunction> recorded;
  std::optional<tg::SparseJacobian> jacobian;  // Broyden only
  std::vector<double> nonzeros, gradient, jacobian_nonzeros;
};

template <class Problem>
Case<Problem>& the_case(const Problem& problem, const std::string& label) {
  static std::map<std::string, std::unique_ptr<Case<Problem>>> cases;
  std::unique_ptr<Case<Problem>>& c = cases[label];
  if (c) return *c;
  c = std::make_unique<Case<Problem>>();
  Case<Problem>& k = *c;
  k.problem = problem;
  k.label = label;
  k.x0 = problem.point(11);
  k.x = problem.point(12);
  const std::size_t n = problem.n;

  // The Hessian's nonzeros and the gradient at x: H·v against the hand-written product
  // for a random v, the gradient against the hand-written one.
  k.hessian.emplace(problem, k.x0);
  k.colored.emplace(problem, k.x0, tg::SparseHessianOptions{.assembly = tg::HessianAssembly::Never});
  if (k.hessian->patterns_found() != 1 || !k.hessian->replays()) fail(label, "SparseHessian does not replay");
  k.nonzeros.resize(k.hessian->pattern().nonzeros());
  k.gradient.resize(n);
  const double value = k.hessian->values(k.x, k.nonzeros, k.gradient);
  if (k.hessian->patterns_found() != 1) fail(label, "the pattern was found again at x");
  check_gradient(label, "SparseHessian's gradient", problem, k.x, k.gradient);
  const std::vector<double> v = uniform(n, -1, 1, 13);
  std::vector<double> expected(n);
  problem.hvp(k.x, v, expected);
  if (!gradients_agree(times(k.hessian->pattern(), k.nonzeros, v), expected, tolerance))
    fail(label, "H·v from SparseHessian's nonzeros disagrees with the hand-written product");
  if (std::abs(value - problem(std::span<const double>(k.x))) > 1e-12 * std::abs(value))
    fail(label, "SparseHessian's value disagrees with f");

  // At n ≤ 1024, every entry against the dense Hessian.
  if (n <= 1024) {
    const Eigen::MatrixXd dense = tg::hessian(problem, k.x);
    if (!matrices_agree(Eigen::MatrixXd(k.hessian->matrix(k.nonzeros)), dense, tolerance))
      fail(label, "SparseHessian's nonzeros disagree with the dense Hessian");
  }

  k.recorded.emplace(tg::record_function(problem, k.x0));
  check_gradient(label, "the replayed gradient", problem, k.x, k.recorded->gradient(k.x));
  {
    tg::Tape tape;
    std::vector<tg::Var> vars(k.x.begin(), k.x.end());
    const tg::Var f = problem(std::span<const tg::Var>(vars));
    check_gradient(label, "the fresh-tape gradient", problem, k.x, tg::gradient(f, vars));
  }

  if constexpr (std::is_same_v<Problem, Broyden>) {
    k.jacobian.emplace(BroydenResiduals{problem}, k.x0);
    k.jacobian_nonzeros.resize(k.jacobian->pattern().nonzeros());
    std::vector<double> r(n);
    k.jacobian->values(k.x, k.jacobian_nonzeros, r);
    if (!gradients_agree(r, problem.residuals(std::span<const double>(k.x)), 1e-14))
      fail(label, "SparseJacobian's value disagrees with the residuals");
    const tg::SparsityPattern& p = k.jacobian->pattern();
    std::size_t band = 0;
    for (std::size_t i = 0; i < n; ++i) band += problem.last(i) - problem.first(i) + 1;
    if (p.nonzeros() != band) fail(label, "SparseJacobian's pattern is not the band");
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t k2 = p.row_begin[i]; k2 < p.row_begin[i + 1]; ++k2) {
        const double e = problem.jacobian(k.x, i, p.columns[k2]);
        if (std::abs(k.jacobian_nonzeros[k2] - e) > 1e-13 * std::max(1.0, std::abs(e)))
          fail(label, "SparseJacobian's nonzeros disagree with the hand-written Jacobian");
      }
  }
  std::fprintf(stderr, "sparse_bench: %s checked (%zu colors, %zu nonzeros)\n", label.c_str(),
               k.hessian->colors(), k.hessian->pattern().nonzeros());
  return k;
}

// ------------------------------------------------------------------------- variants

// A wall-clock variant (as ColPack's own time is) with its own repetition count (0: the
// command line's).
void register_wall(const std::string& label, const std::string& variant,
                   std::function<void(benchmark::State&)> body, int repetitions) {
  auto* b = benchmark::RegisterBenchmark((label + "/" + variant).c_str(),
                                         [body](benchmark::State& state) { body(state); });
  b->Unit(benchmark::kNanosecond);
  b->UseRealTime();
  if (repetitions > 0) b->Repetitions(repetitions);
}

// f recorded on a replay tape, as SparseHessian records it.
struct Recording {
  std::unique_ptr<tg::ReplayTape> tape;
  std::vector<std::uint32_t> inputs;
  std::uint32_t output = 0;
};
template <class Problem>
Recording record(const Problem& problem, const std::vector<double>& x) {
  Recording r;
  r.tape = std::make_unique<tg::ReplayTape>();
  std::vector<tg::Var> xs(x.begin(), x.end());
  const tg::Var y = problem(std::span<const tg::Var>(xs));
  r.tape->release();
  r.inputs.resize(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) r.inputs[i] = xs[i].index();
  r.output = y.index();
  return r;
}

// `check` runs before timing: it checks the gradient (with everything else of the case).
template <class Problem>
void register_fresh_gradient(const std::string& label, const Problem& problem, const std::vector<double>& x,
                             std::function<void()> check) {
  register_variant(label, "grad", [problem, x, check](benchmark::State& state) {
    check();
    tg::Tape tape;
    std::vector<tg::Var> vars(x.size());
    std::vector<double> g(x.size());
    auto once = [&] {
      tape.clear();
      for (std::size_t i = 0; i < x.size(); ++i) vars[i] = x[i];
      const tg::Var f = problem(std::span<const tg::Var>(vars));
      tg::gradient(f, std::span<const tg::Var>(vars), std::span<double>(g));
    };
    once();  // the tape's memory grown before timing (at 10⁶ one iteration is a repetition)
    for (auto _ : state) {
      once();
      benchmark::DoNotOptimize(g.data());
    }
  });
}

// The construction at 10⁶ takes seconds: fewer repetitions there.
int construction_repetitions(std::size_t n) { return n >= 500000 ? 3 : 0; }

template <class Problem>
void register_sparse(const Problem& problem) {
  const std::string label = std::string("sparse:") + Problem::name + "/" + std::to_string(problem.n);
  auto get = [problem, label]() -> Case<Problem>& { return the_case(problem, label); };
  const std::vector<double> x = problem.point(12);

  register_fresh_gradient(label, problem, x, [get] { get(); });
  register_variant(label, "replay", [get](benchmark::State& state) {
    Case<Problem>& c = get();
    std::vector<double> g(c.x.size());
    for (auto _ : state) {
      c.recorded->gradient(c.x, g);
      benchmark::DoNotOptimize(g.data());
    }
  });
  register_variant(label, "values", [get](benchmark::State& state) {
    Case<Problem>& c = get();
    for (auto _ : state) {
      c.hessian->values(c.x, c.nonzeros, c.gradient);
      benchmark::DoNotOptimize(c.nonzeros.data());
    }
    state.counters["colors"] = static_cast<double>(c.hessian->colors());
    state.counters["nonzeros"] = static_cast<double>(c.hessian->pattern().nonzeros());
    state.counters["assembled"] = c.hessian->from_local_hessians() ? 1 : 0;
  });
  register_variant(label, "colored", [get](benchmark::State& state) {
    Case<Problem>& c = get();
    std::vector<double> nonzeros, gradient(c.x.size());
    for (auto _ : state) {
      c.colored->values(c.x, nonzeros, gradient);
      benchmark::DoNotOptimize(nonzeros.data());
    }
  });

  // The first construction, as a user pays it (wall-clock, as ColPack's own time is).
  register_wall(
      label, "construct",
      [get, problem](benchmark::State& state) {
        Case<Problem>& c = get();
        double colpack = 0;
        for (auto _ : state) {
          tg::SparseHessian h(problem, c.x0);
          colpack += h.coloring().seconds();
          if (h.colors() != c.hessian->colors()) state.SkipWithError("a different coloring");
          benchmark::DoNotOptimize(&h);
        }
        state.counters["colpack_s"] = colpack / static_cast<double>(state.iterations());
      },
      construction_repetitions(problem.n));
  // Its three steps one by one: recording on a replay tape (with the Vars of the inputs),
  // hessian_pattern() on such a recording (made before timing), color_hessian() on the
  // pattern.
  register_wall(
      label, "record",
      [get, problem](benchmark::State& state) {
        const std::vector<double> x0 = get().x0;
        for (auto _ : state) {
          Recording r = record(problem, x0);
          benchmark::DoNotOptimize(r.tape.get());
        }
      },
      construction_repetitions(problem.n));
  register_wall(
      label, "pattern",
      [get, problem](benchmark::State& state) {
        Case<Problem>& c = get();
        const Recording r = record(problem, c.x0);
        for (auto _ : state) {
          const tg::SparsityPattern p = tg::hessian_pattern(*r.tape, r.inputs, r.output);
          if (p != c.hessian->pattern()) state.SkipWithError("a different pattern");
        }
      },
      construction_repetitions(problem.n));
  register_wall(
      label, "coloring",
      [get](benchmark::State& state) {
        Case<Problem>& c = get();
        double colpack = 0;
        for (auto _ : state) {
          const tg::ColumnColoring colored = tg::color_hessian(c.hessian->pattern());
          colpack += colored.seconds();
          if (colored.colors() != c.hessian->colors()) state.SkipWithError("a different coloring");
        }
        state.counters["colpack_s"] = colpack / static_cast<double>(state.iterations());
      },
      construction_repetitions(problem.n));

  if (problem.n <= 1024)
    register_variant(label, "dense", [get, problem](benchmark::State& state) {
      const std::vector<double> at = get().x;
      for (auto _ : state) {
        Eigen::MatrixXd h = tg::hessian(problem, at);
        benchmark::DoNotOptimize(h.data());
      }
    });

  if constexpr (std::is_same_v<Problem, Broyden>) {
    register_variant(label, "f_residuals", [problem, x](benchmark::State& state) {
      std::vector<double> r(x.size());
      for (auto _ : state) {
        for (std::size_t i = 0; i < r.size(); ++i) r[i] = problem.residual(std::span<const double>(x), i);
        benchmark::DoNotOptimize(r.data());
      }
    });
    register_variant(label, "jacobian", [get](benchmark::State& state) {
      Case<Problem>& c = get();
      for (auto _ : state) {
        c.jacobian->values(c.x, c.jacobian_nonzeros);
        benchmark::DoNotOptimize(c.jacobian_nonzeros.data());
      }
      state.counters["colors"] = static_cast<double>(c.jacobian->colors());
    });
  }
}

// The dense Hessian in vector mode (⌈n/8⌉ sweeps) against n Hessian-vector products
// (hessian()), checked against each other and against the hand-written H·v first;
// SparseHessian::values beside them.
// Checks, once, the two dense Hessians against each other and H·v against the hand-written
// product, and the case's gradients and sparse values (the_case).
void check_dense(const Broyden& problem, const std::string& label) {
  static std::set<std::string> checked;
  if (!checked.insert(label).second) return;
  the_case(problem, label);
  const std::size_t n = problem.n;
  const std::vector<double> x = problem.point(12);
  const auto size = static_cast<Eigen::Index>(n);
  const Eigen::MatrixXd vector_mode = tg::hvp(problem, x, Eigen::MatrixXd::Identity(size, size));
  const Eigen::MatrixXd products = tg::hessian(problem, x);
  if (!matrices_agree(vector_mode, products, tolerance))
    fail(label, "the vector-mode Hessian disagrees with the one from n products");
  const std::vector<double> v = uniform(n, -1, 1, 13);
  std::vector<double> expected(n);
  problem.hvp(x, v, expected);
  const Eigen::VectorXd hv =
      vector_mode * Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(n));
  if (!gradients_agree(std::vector<double>(hv.data(), hv.data() + n), expected, tolerance))
    fail(label, "the dense Hessian's H·v disagrees with the hand-written product");
}

void register_dense(std::size_t n) {
  const Broyden problem{n};
  const std::string label = "dense:broyden/" + std::to_string(n);
  const std::vector<double> x = problem.point(12);
  auto check = [problem, label] { check_dense(problem, label); };
  register_fresh_gradient(label, problem, x, check);
  register_variant(label, "hessian_vector", [problem, x, check](benchmark::State& state) {
    check();
    const auto size = static_cast<Eigen::Index>(x.size());
    for (auto _ : state) {
      Eigen::MatrixXd h = tg::hvp(problem, x, Eigen::MatrixXd::Identity(size, size));
      benchmark::DoNotOptimize(h.data());
    }
  });
  register_variant(label, "hessian_products", [problem, x, check](benchmark::State& state) {
    check();
    for (auto _ : state) {
      Eigen::MatrixXd h = tg::hessian(problem, x);
      benchmark::DoNotOptimize(h.data());
    }
  });
  register_variant(label, "sparse", [problem, label, check](benchmark::State& state) {
    check();
    Case<Broyden>& c = the_case(problem, label);
    for (auto _ : state) {
      c.hessian->values(c.x, c.nonzeros, c.gradient);
      benchmark::DoNotOptimize(c.nonzeros.data());
    }
  });
}

const std::vector<std::size_t> broyden_sizes = {1000, 10000, 100000, 1000000};
const std::vector<std::size_t> grid_sides = {32, 100, 316, 1000};  // n = 1024, 10⁴, 99856, 10⁶
const std::vector<std::size_t> dense_sizes = {10, 100, 1000};

void register_all() {
  for (std::size_t n : broyden_sizes) register_sparse(Broyden{n});
  for (std::size_t m : grid_sides) register_sparse(Stencil{m});
  for (std::size_t n : dense_sizes) register_dense(n);
}

// ------------------------------------------------------------------------- the report

// The command as run, with the CPU it was pinned to when it was pinned to one.
std::string pinned(const std::string& command) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) != 1) return command;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set)) return "taskset -c " + std::to_string(cpu) + " " + command;
  return command;
}

std::string counter_or_dash(const Median* m, const char* counter) {
  if (m == nullptr || !m->counters.contains(counter)) return "–";
  return format("%.3g", m->counters.at(counter));
}

void write_report(const std::string& path, const Medians& medians, const std::string& command) {
  std::ostringstream out;
  // The command as run (pinned to one CPU when it was); `make bench` runs it unpinned.
  const std::string as_run = pinned(command);
  std::string description = run_description(as_run, medians);
  description.replace(0, description.find("\n\n"), "Produced by");
  out << "## Sparse derivatives (issue 36)\n\n" << description;
  if (as_run != command) out << "- `make bench` runs the same without `taskset`.\n";
  out << "- The construction and its steps at n ≈ 10⁶ are medians of 3 repetitions.\n"
         "- `grad` records f on a cleared tape and sweeps it; `replay` replays f's recording\n"
         "  (`RecordedFunction::gradient`); `values` is `SparseHessian::values` at the same point:\n"
         "  every nonzero and the gradient. Both problems are sums of small terms with more than 4\n"
         "  colors, so H is assembled from each statement's local Hessian (one replay and one sweep\n"
         "  on doubles, the blocks on Dual numbers, the named temporaries' rows:\n"
         "  sparse/assembled_hessian.hpp); `colored` is the same with `HessianAssembly::Never`: one\n"
         "  replay of the recording on Dual numbers and one reverse sweep per 8 colors (a last pass\n"
         "  of 2 or 4 when that few are left), then the recovery. The SparseHessian was built at\n"
         "  another point. Before timing, at every n\n"
         "  the gradients and H·v from the nonzeros were checked against hand-written ones\n"
         "  (1e-10 relative), and at n ≤ 1024 every entry against the dense Hessian.\n"
         "- broyden: f = Σ r_i², r_i = x_i(2 + 5x_i²) + 1 − Σ_{j ∈ [i−5, i+1], j ≠ i} x_j(1 + x_j)\n"
         "  (a band of half-bandwidth 6); stencil: E = Σ_neighbours √(1 + (u_k − u_l)²) + Σ ¼u_k⁴\n"
         "  on an m × m grid (5-point pattern), m = 32, 100, 316, 1000. Points uniform in [−1, 1].\n"
         "- Targets: values / gradient constant in n (at 10⁶ at most 1.5× its value at 10³) and at\n"
         "  most colors + 3 gradients (the column says whether both values / grad and values /\n"
         "  replay are).\n\n";

  auto problems = [](auto each) {
    for (std::size_t n : broyden_sizes) each(std::string("broyden"), n);
    for (std::size_t m : grid_sides) each(std::string("stencil"), m * m);
  };

  out << "### Sparse Hessian over one gradient (same point)\n\n"
         "| problem | n | colors | t_grad (ns) | t_replay (ns) | t_values (ns) | values / grad | values / "
         "replay "
         "| ≤ colors + 3 gradients | colored / grad | dense / grad |\n"
         "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|\n";
  problems([&](const std::string& name, std::size_t n) {
    const std::string key = "sparse:" + name + "/" + std::to_string(n);
    const Median* grad = find(medians, key, "grad");
    const Median* replay = find(medians, key, "replay");
    const Median* values = find(medians, key, "values");
    const double colors = values && values->counters.contains("colors") ? values->counters.at("colors") : -1;
    const double r_grad = ratio_value(medians, key, "values", "grad");
    const double r_replay = ratio_value(medians, key, "values", "replay");
    const double worst = std::max(r_grad, r_replay);
    out << "| " << name << " | " << n << " | " << (colors < 0 ? "–" : format("%.0f", colors)) << " | "
        << (grad ? format("%.4g", grad->ns) : "–") << " | " << (replay ? format("%.4g", replay->ns) : "–")
        << " | " << (values ? format("%.4g", values->ns) : "–") << " | "
        << ratio(medians, key, "values", "grad") << " | " << ratio(medians, key, "values", "replay") << " | "
        << (r_grad < 0 || r_replay < 0 ? "–" : (worst <= colors + 3 ? "yes" : "**no**")) << " | "
        << ratio(medians, key, "colored", "grad") << " | " << ratio(medians, key, "dense", "grad") << " |\n";
  });
  out << "\nConstant in n: each ratio at the largest n over the same ratio at the smallest (target ≤ "
         "1.5):\n\n"
         "| problem | n | values / grad at n over at the smallest n | values / replay, the same |\n"
         "|---|---:|---:|---:|\n";
  for (const std::string name : {"broyden", "stencil"}) {
    const std::size_t smallest =
        name == "broyden" ? broyden_sizes.front() : grid_sides.front() * grid_sides.front();
    const std::string base = "sparse:" + name + "/" + std::to_string(smallest);
    const double g0 = ratio_value(medians, base, "values", "grad");
    const double r0 = ratio_value(medians, base, "values", "replay");
    problems([&](const std::string& problem, std::size_t n) {
      if (problem != name || n == smallest) return;
      const std::string key = "sparse:" + name + "/" + std::to_string(n);
      const double g = ratio_value(medians, key, "values", "grad");
      const double r = ratio_value(medians, key, "values", "replay");
      auto cell = [](double a, double b) {
        if (a < 0 || b <= 0) return std::string("–");
        const double q = a / b;
        return format("%.2f", q) + (q <= 1.5 ? "" : " **no**");
      };
      out << "| " << name << " | " << n << " | " << cell(g, g0) << " | " << cell(r, r0) << " |\n";
    });
  }

  out << "\n### The first construction: recording, pattern and coloring\n\n"
         "`construct` is `SparseHessian(f, x0)`. Its steps timed one by one: `record`, f recorded on\n"
         "a replay tape; `pattern`, `hessian_pattern(tape, inputs, output)` on such a recording;\n"
         "`color_hessian`, the star coloring of the pattern (three orderings tried), of which\n"
         "`ColPack` is ColPack's own time (`coloring().seconds()`, measured inside `construct`).\n"
         "Shares are of the `construct` time; all wall-clock.\n\n"
         "| problem | n | construct (s) | construct / grad | record | pattern | color_hessian | of which "
         "ColPack "
         "| steps / construct |\n"
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  problems([&](const std::string& name, std::size_t n) {
    const std::string key = "sparse:" + name + "/" + std::to_string(n);
    const Median* construct = find(medians, key, "construct");
    auto share = [&](const char* variant) {
      const double r = ratio_value(medians, key, variant, "construct");
      return r < 0 ? std::string("–") : format("%.0f %%", 100 * r);
    };
    std::string colpack = "–";
    if (construct && construct->counters.contains("colpack_s"))
      colpack = format("%.0f %%", 100 * construct->counters.at("colpack_s") / (construct->ns * 1e-9));
    const double steps = ratio_value(medians, key, "record", "construct") +
                         ratio_value(medians, key, "pattern", "construct") +
                         ratio_value(medians, key, "coloring", "construct");
    out << "| " << name << " | " << n << " | " << (construct ? format("%.3g", construct->ns * 1e-9) : "–")
        << " | " << ratio(medians, key, "construct", "grad") << " | " << share("record") << " | "
        << share("pattern") << " | " << share("coloring") << " | " << colpack << " | "
        << (construct ? format("%.2f", steps) : "–") << " |\n";
  });

  out << "\n### Dense Hessian: vector mode against n Hessian-vector products (broyden)\n\n"
         "`vector` is `hvp(f, x, I)`: ⌈n/8⌉ sweeps on Dual<double, 8>; `products` is\n"
         "`hessian(f, x)`: n sweeps, one direction each (what `hessian()` does, since vector\n"
         "mode measured no faster). Both checked against each other and against the\n"
         "hand-written H·v first.\n\n"
         "| n | t_grad (ns) | vector / grad | products / grad | products / vector | sparse values / grad |\n"
         "|---:|---:|---:|---:|---:|---:|\n";
  for (std::size_t n : dense_sizes) {
    const std::string key = "dense:broyden/" + std::to_string(n);
    const Median* grad = find(medians, key, "grad");
    out << "| " << n << " | " << (grad ? format("%.4g", grad->ns) : "–") << " | "
        << ratio(medians, key, "hessian_vector", "grad") << " | "
        << ratio(medians, key, "hessian_products", "grad") << " | "
        << ratio(medians, key, "hessian_products", "hessian_vector") << " | "
        << ratio(medians, key, "sparse", "grad") << " |\n";
  }

  out << "\n### Sparse Jacobian of Broyden's residuals over one evaluation\n\n"
         "`f` evaluates the n residuals in plain double code; `jacobian` is `SparseJacobian::values`:\n"
         "a replay and forward sweeps carrying every color's tangent, then the recovery. The\n"
         "nonzeros were checked entry by entry against the hand-written Jacobian first.\n\n"
         "| n | colors | t_f (ns) | t_jacobian (ns) | jacobian / f | jacobian / grad of Σr² |\n"
         "|---:|---:|---:|---:|---:|---:|\n";
  for (std::size_t n : broyden_sizes) {
    const std::string key = "sparse:broyden/" + std::to_string(n);
    const Median* f = find(medians, key, "f_residuals");
    const Median* j = find(medians, key, "jacobian");
    out << "| " << n << " | " << counter_or_dash(j, "colors") << " | " << (f ? format("%.4g", f->ns) : "–")
        << " | " << (j ? format("%.4g", j->ns) : "–") << " | "
        << ratio(medians, key, "jacobian", "f_residuals") << " | " << ratio(medians, key, "jacobian", "grad")
        << " |\n";
  }
  write_section(path, "sparse_bench", out.str());
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  return bench::run_benchmarks(argc, argv, bench::register_all, bench::write_report);
}
