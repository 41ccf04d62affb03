// Second derivatives: what a Hessian-vector product (forward over reverse on a Dual
// tape) costs over a gradient (the double tape), on the ADBenchmark problems at
// N = 10⁵, and what a dense Hessian costs over a gradient at n = 10, 100, 1000, each
// next to a hand-written Hessian-vector product in the same run; and the same from one
// recording linearized at the point (RecordedFunction::linearize, then products). Every product is
// checked against the hand-written one (or, where there is none, against the dense
// Hessian's column) before its timing counts. `--report=PATH` writes the section.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "harness.hpp"
#include "problems.hpp"
#include "report.hpp"

namespace tg = tapegrad;

namespace bench {
namespace {

// --------------------------------------------------- hand-written Hessian-vector products

// Rosenbrock: for each i, ∂²/∂x_i² += 1200x_i² − 400x_{i+1} + 2, ∂²/∂x_i∂x_{i+1} = −400x_i,
// ∂²/∂x_{i+1}² += 200.
void rosenbrock_hvp(const std::vector<double>& x, const std::vector<double>& v, std::vector<double>& hv) {
  const std::size_t n = x.size();
  std::fill(hv.begin(), hv.end(), 0.0);
  for (std::size_t i = 0; i + 1 < n; ++i) {
    hv[i] += (1200 * x[i] * x[i] - 400 * x[i + 1] + 2) * v[i] - 400 * x[i] * v[i + 1];
    hv[i + 1] += -400 * x[i] * v[i] + 200 * v[i + 1];
  }
}

// log Σ eˣ: H = diag(p) − ppᵀ with p = softmax(x), so Hv = p∘v − p (p·v).
void log_sum_exp_hvp(const std::vector<double>& x, const std::vector<double>& v, std::vector<double>& hv) {
  double s = 0, pv = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    hv[i] = std::exp(x[i]);
    s += hv[i];
  }
  for (std::size_t i = 0; i < x.size(); ++i) {
    hv[i] /= s;
    pv += hv[i] * v[i];
  }
  for (std::size_t i = 0; i < x.size(); ++i) hv[i] = hv[i] * v[i] - hv[i] * pv;
}

// Σ log N(y | μ, σ): f_μμ = −n/σ², f_μσ = −2 s1/σ³, f_σσ = −3 s2/σ⁴ + n/σ², with
// s1 = Σ(y − μ), s2 = Σ(y − μ)².
struct NormalHvp {
  std::vector<double> y;
  void operator()(const std::vector<double>& p, const std::vector<double>& v, std::vector<double>& hv) const {
    const double mu = p[0], sigma = p[1], n = static_cast<double>(y.size());
    double s1 = 0, s2 = 0;
    for (double yi : y) {
      s1 += yi - mu;
      s2 += (yi - mu) * (yi - mu);
    }
    const double s_2 = sigma * sigma, s_3 = s_2 * sigma, s_4 = s_2 * s_2;
    const double h00 = -n / s_2, h01 = -2 * s1 / s_3, h11 = -3 * s2 / s_4 + n / s_2;
    hv[0] = h00 * v[0] + h01 * v[1];
    hv[1] = h01 * v[0] + h11 * v[1];
  }
};

// ------------------------------------------------------------------------- variants

template <class Problem>
auto as_function(const Problem& problem) {
  return [problem](auto x) { return problem(x.data()); };
}

std::vector<double> direction(std::size_t n) { return uniform(n, -1, 1, 42); }

template <class Problem>
void register_gradient(const std::string& label, const Problem& problem) {
  register_variant(label, "grad", [problem](benchmark::State& state) {
    const std::vector<double> x0 = problem.inputs();
    tg::Tape tape;
    std::vector<tg::Var> vars(x0.size());
    std::vector<double> g(x0.size());
    for (auto _ : state) {
      tape.clear();
      for (std::size_t i = 0; i < x0.size(); ++i) vars[i] = x0[i];
      const tg::Var f = problem(vars.data());
      tg::gradient(f, std::span<const tg::Var>(vars), std::span<double>(g));
      benchmark::DoNotOptimize(g.data());
    }
  });
}

// The product, checked against `reference` (H·v by other means) first.
template <class Problem>
void register_hvp(const std::string& label, const Problem& problem, const std::vector<double>& reference) {
  const std::vector<double> x0 = problem.inputs(), v = direction(x0.size());
  {
    auto f = as_function(problem);
    const std::vector<double> hv = tg::hvp(f, x0, v);
    if (!gradients_agree(hv, reference, 1e-9)) {
      std::fprintf(stderr,
                   "second_order_bench: %s: the Hessian-vector product disagrees with the reference\n",
                   label.c_str());
      std::exit(1);
    }
  }
  register_variant(label, "hvp", [problem, x0, v](benchmark::State& state) {
    tg::HessianOperator op(as_function(problem));
    std::vector<double> g(x0.size()), hv(x0.size());
    for (auto _ : state) {
      op.hvp(x0, v, g, hv);
      benchmark::DoNotOptimize(hv.data());
    }
  });
}

// The same function recorded once (RecordedFunction): `linearize` at x0, and one
// `product` from that linearization, checked against tg::hvp's fresh forward over reverse first.
template <class Problem>
tg::RecordedFunction recorded(const Problem& problem, const std::vector<double>& x0) {
  return tg::RecordedFunction([problem](std::span<const tg::Var> x) { return tg::Var(problem(x.data())); },
                              std::span<const double>(x0));
}

// x moved by a relative 1e-9: linearize() at the point of the last one (or of the last gradient()) uses
// that replay and sweep again, so a timed loop alternates between two points to pay for them every time.
std::vector<double> moved(std::vector<double> x) {
  for (double& xi : x) xi *= 1 + 1e-9;
  return x;
}

template <class Problem>
void register_linearized(const std::string& label, const Problem& problem) {
  const std::vector<double> x0 = problem.inputs(), v = direction(x0.size());
  {
    auto f = as_function(problem);
    tg::RecordedFunction fn = recorded(problem, x0);
    std::vector<double> g(x0.size()), hv(x0.size());
    fn.linearize(x0, g);
    fn.hessian_product(v, hv);
    if (!gradients_agree(hv, tg::hvp(f, x0, v), 1e-9)) {
      std::fprintf(stderr, "second_order_bench: %s: the linearized product disagrees with tg::hvp\n",
                   label.c_str());
      std::exit(1);
    }
  }
  register_variant(label, "linearize", [problem, x0](benchmark::State& state) {
    tg::RecordedFunction fn = recorded(problem, x0);
    const std::vector<double> x1 = moved(x0);
    std::vector<double> g(x0.size());
    fn.linearize(x0, g);  // the first replay also finds the recording's periodic blocks, once
    bool at_x1 = true;
    for (auto _ : state) {
      fn.linearize(at_x1 ? x1 : x0, g);
      at_x1 = !at_x1;
      benchmark::DoNotOptimize(g.data());
    }
  });
  register_variant(label, "product", [problem, x0, v](benchmark::State& state) {
    tg::RecordedFunction fn = recorded(problem, x0);
    std::vector<double> g(x0.size()), hv(x0.size());
    fn.linearize(x0, g);
    for (auto _ : state) {
      fn.hessian_product(v, hv);
      benchmark::DoNotOptimize(hv.data());
    }
  });
}

template <class Hand>
void register_hand(const std::string& label, std::vector<double> x0, Hand hand) {
  register_variant(label, "hand_hvp", [x0, hand](benchmark::State& state) {
    const std::vector<double> v = direction(x0.size());
    std::vector<double> hv(x0.size());
    for (auto _ : state) {
      hand(x0, v, hv);
      benchmark::DoNotOptimize(hv.data());
    }
  });
}

constexpr std::size_t large = 100000;
const std::vector<std::size_t> hessian_sizes = {10, 100, 1000};

template <class Problem, class Hand>
void register_with_hand(const Problem& problem, Hand hand) {
  const std::string label = std::string("hvp:") + Problem::name + "/" + std::to_string(problem.n);
  const std::vector<double> x0 = problem.inputs();
  std::vector<double> reference(x0.size());
  hand(x0, direction(x0.size()), reference);
  register_gradient(label, problem);
  register_hvp(label, problem, reference);
  register_linearized(label, problem);
  register_hand(label, x0, hand);
}

// Problems with no hand-written product: the reference is H·v from the dense Hessian
// of a small instance, and the large one is timed only.
template <class Problem>
void register_without_hand(const Problem& small, const Problem& problem) {
  {
    const std::vector<double> x0 = small.inputs(), v = direction(x0.size());
    auto f = as_function(small);
    const Eigen::VectorXd expected =
        tg::hessian(f, x0) * Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
    const std::vector<double> hv = tg::hvp(f, x0, v);
    if (!gradients_agree(hv, std::vector<double>(expected.data(), expected.data() + expected.size()), 1e-9)) {
      std::fprintf(stderr, "second_order_bench: %s: H·v disagrees with the dense Hessian's product\n",
                   Problem::name);
      std::exit(1);
    }
  }
  const std::string label = std::string("hvp:") + Problem::name + "/" + std::to_string(problem.n);
  register_gradient(label, problem);
  register_variant(label, "hvp", [problem](benchmark::State& state) {
    const std::vector<double> x0 = problem.inputs(), v = direction(x0.size());
    tg::HessianOperator op(as_function(problem));
    std::vector<double> g(x0.size()), hv(x0.size());
    for (auto _ : state) {
      op.hvp(x0, v, g, hv);
      benchmark::DoNotOptimize(hv.data());
    }
  });
  register_linearized(label, problem);
}

void register_all() {
  register_without_hand(Sum{50}, Sum{large});
  register_without_hand(Prod{50}, Prod{large});
  register_with_hand(LogSumExp{large}, log_sum_exp_hvp);
  const NormalLogPdf normal{large};
  register_with_hand(normal, NormalHvp{normal.y});
  register_without_hand(Regression{20}, Regression{large});
  register_without_hand(StochasticVolatility{20}, StochasticVolatility{large});
  register_with_hand(Rosenbrock{large}, rosenbrock_hvp);

  for (std::size_t n : hessian_sizes) {
    const Rosenbrock problem{n};
    const std::string label = "hessian:rosenbrock/" + std::to_string(n);
    register_gradient(label, problem);
    register_variant(label, "hessian", [problem](benchmark::State& state) {
      const std::vector<double> x0 = problem.inputs();
      tg::HessianOperator op(as_function(problem));
      for (auto _ : state) {
        Eigen::MatrixXd h = op.hessian(x0);
        benchmark::DoNotOptimize(h.data());
      }
    });
    register_variant(label, "hessian_linearized", [problem](benchmark::State& state) {
      const std::vector<double> x0 = problem.inputs();
      tg::RecordedFunction fn = recorded(problem, x0);
      const std::vector<double> x1 = moved(x0);
      std::vector<double> g(x0.size());
      fn.linearize(x0, g);
      bool at_x1 = true;
      for (auto _ : state) {
        fn.linearize(at_x1 ? x1 : x0, g);
        at_x1 = !at_x1;
        Eigen::MatrixXd h = tg::detail::hessian_from_products(
            x0.size(),
            [&](std::span<const double> v, std::span<double> column) { fn.hessian_product(v, column); });
        benchmark::DoNotOptimize(h.data());
      }
    });
    register_hand(label, problem.inputs(), rosenbrock_hvp);
  }
}

// ------------------------------------------------------------------------- the report

void write_report(const std::string& path, const Medians& medians, const std::string& command) {
  std::ostringstream out;
  out << "## Second derivatives\n\n" << run_description(command, medians);
  out << "- `grad` records the function on a cleared double tape and sweeps it; `hvp` records it\n"
         "  on a cleared Dual tape with the direction as tangents and sweeps once (forward over\n"
         "  reverse, `HessianOperator::hvp`, which also returns the gradient); `hand hvp` is a\n"
         "  hand-written H·v in plain double code. The dense Hessian is n such products plus the\n"
         "  symmetrization. Each product was checked against the hand-written one (or the dense\n"
         "  Hessian's) before timing. `linearize` is RecordedFunction::linearize at the point (a\n"
         "  replay, a sweep, and each statement's second partials in its nonlinear operands; timed\n"
         "  alternating between two points, since one at the point of the last reuses its replay\n"
         "  and sweep) and `product` one hessian_product from it (each statement's block read\n"
         "  once, and a sweep of the statements below blocks' operands that are not inputs),\n"
         "  checked against tg::hvp; `hessian linearized` is one linearize and n such products.\n\n";
  out << "### Hessian-vector product over gradient (N = 10⁵)\n\n"
         "| problem | t_grad (ns) | t_hvp (ns) | hvp / grad | linearize / grad | product / grad | hand hvp / "
         "grad | "
         "target ≤ 3 |\n"
         "|---|---:|---:|---:|---:|---:|---:|---|\n";
  for (const char* name : {"sum", "prod", "log_sum_exp", "normal_log_pdf", "regression",
                           "stochastic_volatility", "rosenbrock"}) {
    const std::string key = std::string("hvp:") + name + "/" + std::to_string(large);
    const Median* grad = find(medians, key, "grad");
    const Median* hvp = find(medians, key, "hvp");
    const double r = ratio_value(medians, key, "hvp", "grad");
    out << "| " << name << " | " << (grad ? format("%.4g", grad->ns) : "–") << " | "
        << (hvp ? format("%.4g", hvp->ns) : "–") << " | " << ratio(medians, key, "hvp", "grad") << " | "
        << ratio(medians, key, "linearize", "grad") << " | " << ratio(medians, key, "product", "grad")
        << " | " << ratio(medians, key, "hand_hvp", "grad") << " | "
        << (r < 0 ? "–" : (r <= 3 ? "yes" : "**no**")) << " |\n";
  }
  out << "\n### Dense Hessian over gradient (Rosenbrock)\n\n"
         "| n | t_grad (ns) | t_hessian (ns) | hessian / grad | hessian / (n · grad) | hessian linearized / "
         "grad | "
         "hand hvp / grad |\n"
         "|---:|---:|---:|---:|---:|---:|---:|\n";
  for (std::size_t n : hessian_sizes) {
    const std::string key = "hessian:rosenbrock/" + std::to_string(n);
    const Median* grad = find(medians, key, "grad");
    const Median* hessian = find(medians, key, "hessian");
    const double r = ratio_value(medians, key, "hessian", "grad");
    out << "| " << n << " | " << (grad ? format("%.4g", grad->ns) : "–") << " | "
        << (hessian ? format("%.4g", hessian->ns) : "–") << " | " << ratio(medians, key, "hessian", "grad")
        << " | " << (r < 0 ? "–" : format("%.2f", r / static_cast<double>(n))) << " | "
        << ratio(medians, key, "hessian_linearized", "grad") << " | "
        << ratio(medians, key, "hand_hvp", "grad") << " |\n";
  }
  write_section(path, "second_order_bench", out.str());
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  return bench::run_benchmarks(argc, argv, bench::register_all, bench::write_report);
}
