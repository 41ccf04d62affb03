// The tensor benchmarks, in one binary:
// - the vectorized ADBenchmark problems and the matrix product: `f` is plain Eigen code,
//   `tapegrad` zeroes the gradients, records on a cleared tape and runs backward, every
//   iteration; its gradient must match the scalar tape's (or the closed form) first;
// - one float training step of sigmoid MLPs: tapegrad (recorded every step, and recorded
//   once then replayed), the same step in LibTorch when it was found at configure time,
//   and the bare Eigen matrix products of the step.
// `--report=PATH` writes the tensor section of PATH (tensor_report.cpp).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "harness.hpp"
#include "mlp.hpp"
#include "report.hpp"
#include "tensor_problems.hpp"

namespace tg = tapegrad;

namespace bench {

namespace {

// The scalar tape's gradient of the same function: an independent reference, since
// the scalar problem never touches a tensor operation.
template <class ScalarProblem>
std::vector<double> scalar_tape_gradient(const ScalarProblem& problem) {
  tg::Tape tape;
  const std::vector<double> x0 = problem.inputs();
  std::vector<tg::Var> vars(x0.begin(), x0.end());
  const tg::Var f = problem(vars.data());
  return tg::gradient(f, vars);
}

template <class Problem>
void register_vectorized(const Problem& problem, const std::string& name, std::vector<double> reference,
                         Clock clock = Clock::cpu) {
  auto shared = std::make_shared<const Problem>(problem);
  register_variant(
      name, "f",
      [shared](benchmark::State& state) {
        const std::vector<tg::Parameter> parameters = shared->parameters();
        for (auto _ : state) {
          benchmark::ClobberMemory();
          benchmark::DoNotOptimize(shared->plain(parameters));
        }
      },
      clock);
  // Zeroes the gradients, records on a cleared tape and sweeps, every iteration; the
  // gradient must then be the reference's.
  auto gradient_variant = [shared, reference](auto record, const char* what) {
    return [shared, reference, record, what](benchmark::State& state) {
      std::vector<tg::Parameter> parameters = shared->parameters();
      tg::Tape tape;
      for (auto _ : state) {
        benchmark::ClobberMemory();
        for (tg::Parameter& p : parameters) p.zero_grad();
        tape.clear();
        const tg::Var f = record(*shared, parameters);
        tape.backward(f);
        benchmark::DoNotOptimize(f.value());
        benchmark::ClobberMemory();
      }
      if (!gradients_agree(flat_gradient(parameters), reference))
        state.SkipWithError((std::string(what) + " gradient differs from the reference").c_str());
      // The value must be the plain code's too.
      tape.clear();
      const double plain = shared->plain(parameters), taped = record(*shared, parameters).value();
      if (std::abs(plain - taped) > 1e-9 * std::max(1.0, std::abs(plain)))
        state.SkipWithError((std::string(what) + " value differs from the plain Eigen value").c_str());
    };
  };
  register_variant(
      name, "tapegrad",
      gradient_variant([](const Problem& p, std::vector<tg::Parameter>& x) { return p.taped(x); }, "tensor"),
      clock);
  // The same function written one tensor operation per step, where the problem has both.
  if constexpr (requires(std::vector<tg::Parameter> & p) { shared->unfused(p); })
    register_variant(
        name, "unfused",
        gradient_variant([](const Problem& p, std::vector<tg::Parameter>& x) { return p.unfused(x); },
                         "unfused tensor"),
        clock);
}

void register_vectorized_problems() {
  for (std::size_t n : {10, 1000, 100000}) {
    const auto label = [n](const char* name) { return std::string(name) + "/" + std::to_string(n); };
    const VecSum sum{Sum{n}};
    register_vectorized(sum, label(VecSum::name), scalar_tape_gradient(sum.scalar));
    const VecLogSumExp lse{LogSumExp{n}};
    register_vectorized(lse, label(VecLogSumExp::name), scalar_tape_gradient(lse.scalar));
    const VecNormalLogPdf normal{NormalLogPdf{n}};
    register_vectorized(normal, label(VecNormalLogPdf::name), scalar_tape_gradient(normal.scalar));
    const VecRegression regression{Regression{n}};
    register_vectorized(regression, label(VecRegression::name), scalar_tape_gradient(regression.scalar));
    const VecStochasticVolatility volatility{StochasticVolatility{n}};
    register_vectorized(volatility, label(VecStochasticVolatility::name),
                        scalar_tape_gradient(volatility.scalar));
  }
  for (std::size_t n : {64, 256, 1024}) {
    const MatrixProduct product{n};
    // Large products run on OpenBLAS's threads too: wall-clock time.
    register_vectorized(product, std::string(MatrixProduct::name) + "/" + std::to_string(n),
                        product.reference_gradient(), Clock::wall);
  }
}

void register_mlp_steps() {
  for (const MlpShape& shape : mlp_shapes()) {
    auto setup = std::make_shared<const MlpSetup>(shape);
    const std::string name = "mlp/" + shape.label();
    for (const MlpOptimizer rule : {MlpOptimizer::sgd, MlpOptimizer::adam}) {
      const std::string suffix = variant_suffix(rule);
      register_variant(
          name, "tapegrad" + suffix,
          [setup, rule](benchmark::State& state) {
            TapegradMlp model(*setup, false, rule);
            for (auto _ : state) benchmark::DoNotOptimize(model.step());
          },
          Clock::wall);
      register_variant(
          name, "replay" + suffix,
          [setup, rule](benchmark::State& state) {
            // The replayed steps must be the recorded ones: same losses, same weights. (One
            // model at a time: each records on its own tape, the active one.)
            auto three_steps = [&](bool replay) {
              TapegradMlp model(*setup, replay, rule);
              std::vector<float> losses;
              for (int k = 0; k < 3; ++k) losses.push_back(model.step());
              return std::make_pair(losses, FloatMatrix(model.weights.front().value()));
            };
            if (three_steps(true) != three_steps(false))
              state.SkipWithError("a replayed step differs from a recorded one");
            TapegradMlp model(*setup, true, rule);
            for (auto _ : state) benchmark::DoNotOptimize(model.step());
          },
          Clock::wall);
    }
    register_variant(
        name, "products",
        [setup](benchmark::State& state) {
          BareProducts products(*setup);
          for (auto _ : state) {
            products.run();
            benchmark::DoNotOptimize(products.weight_grads.front().data());
            benchmark::ClobberMemory();
          }
        },
        Clock::wall);
  }
}

// The machine's sgemm rate on every core it lets matmul use: one large square product
// through the same gemm. A step's GFLOP/s is reported as a share of it.
void register_sgemm_rate() {
  static constexpr Eigen::Index n = 1024;
  auto a = std::make_shared<const FloatMatrix>(FloatMatrix::Random(n, n));
  auto b = std::make_shared<const FloatMatrix>(FloatMatrix::Random(n, n));
  register_variant(
      "sgemm/" + std::to_string(n), "gemm",
      [a, b](benchmark::State& state) {
        FloatMatrix c(n, n);
        for (auto _ : state) {
          using Operand = tapegrad::detail::GemmOperand<float>;
          tapegrad::detail::gemm(Operand{a->data(), n, n, false}, Operand{b->data(), n, n, false}, c.data(),
                                 false);
          benchmark::DoNotOptimize(c.data());
          benchmark::ClobberMemory();
        }
      },
      Clock::wall);
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  return bench::run_benchmarks(
      argc, argv,
      [] {
        bench::register_vectorized_problems();
        bench::register_mlp_steps();
        bench::register_sgemm_rate();
#ifdef TAPEGRAD_BENCH_TORCH
        bench::register_torch_mlp_variants();
#endif
      },
      bench::write_tensor_report);
}
