// Sacado's reverse mode (Rad) measured on the same problems: independent variables are
// assigned, the function is evaluated, and Gradcomp() sweeps and resets the tape, every
// iteration.
#include <Sacado_trad.hpp>
#include <string>
#include <vector>

#include "harness.hpp"
#include "problem_set.hpp"

namespace bench {

namespace {

using ADvar = Sacado::Rad::ADvar<double>;

struct RegisterSacado {
  template <class Problem>
  void operator()(const Problem& problem) const {
    const std::string name = label(problem);
    const std::vector<double> x0 = problem.inputs();
    register_variant(name, "sacado", [problem, x0, name](benchmark::State& state) {
      std::vector<ADvar> ax(x0.size());
      std::vector<double> g(x0.size());
      for (auto _ : state) {
        benchmark::DoNotOptimize(x0.data());
        for (std::size_t i = 0; i < x0.size(); ++i) ax[i] = x0[i];
        ADvar f = problem(ax.data());
        ADvar::Gradcomp();
        for (std::size_t i = 0; i < x0.size(); ++i) g[i] = ax[i].adj();
        benchmark::DoNotOptimize(g.data());
      }
      if (!gradients_agree(g, reference_gradient(name)))
        state.SkipWithError("Sacado gradient differs from tapegrad");
    });
  }
};

}  // namespace

void register_sacado_variants() { for_each_problem(RegisterSacado{}); }

}  // namespace bench
