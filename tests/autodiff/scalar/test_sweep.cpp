// The reverse sweep keeps some adjoint contributions in registers (the chain to the
// previous statement, the most recently updated Var). These tests pin down that every
// adjoint it leaves in memory is the one the plain definition gives:
//     adj[i] = Σ over statements s that read i of ∂s/∂i · adj[s].
#include <gtest/gtest.h>

#include <random>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace tg = tapegrad;
using tg::Var;

namespace {

// Adjoints by the definition, statement by statement in memory, from the tape's own
// record of operands and partials.
std::vector<double> reference_adjoints(const tg::Tape& tape, std::uint32_t output) {
  std::vector<double> adj(tape.num_nodes() + 1, 0.0);
  adj[output] = 1.0;
  for (std::uint32_t s = output; s > 0; --s) {
    const auto indices = tape.operand_indices(s);
    const auto partials = tape.operand_partials(s);
    for (std::size_t o = 0; o < indices.size(); ++o) adj[indices[o]] += partials[o] * adj[s];
  }
  return adj;
}

// x = 2, y = 3x, z = y + x, w = z·y + x. By hand: ∂w/∂z = y = 6,
// adj(y) = z + adj(z) = 8 + 6 = 14, adj(x) = 1 + adj(z) + 3·adj(y) = 49 = d(12x² + x)/dx.
TEST(Sweep, ChainedAndReusedVarsGetHandDerivedAdjoints) {
  tg::Tape tape;
  Var x = 2.0;
  Var y = x * 3.0;
  Var z = y + x;
  Var w = z * y + x;
  tape.backward(w);
  EXPECT_EQ(w.adjoint(), 1.0);
  EXPECT_EQ(z.adjoint(), 6.0);
  EXPECT_EQ(y.adjoint(), 14.0);
  EXPECT_EQ(x.adjoint(), 49.0);
}

// A parameter used by every statement of an accumulation (the normal log-density shape):
// f = Σ_i (y_i − mu)², so ∂f/∂mu = −2 Σ_i (y_i − mu) and every partial sum has adjoint 1.
TEST(Sweep, ParameterUsedByEveryStatementOfAnAccumulation) {
  tg::Tape tape;
  const std::vector<double> y = {0.5, -1.0, 2.0, 0.25, 3.0};
  Var mu = 0.75;
  std::vector<Var> partial_sums;
  Var f = tg::square(y[0] - mu);
  partial_sums.push_back(f);
  for (std::size_t i = 1; i < y.size(); ++i) {
    f += tg::square(y[i] - mu);
    partial_sums.push_back(f);
  }
  tape.backward(f);
  double expected = 0;
  for (double yi : y) expected += -2 * (yi - 0.75);
  EXPECT_DOUBLE_EQ(mu.adjoint(), expected);
  for (const Var& s : partial_sums) EXPECT_EQ(s.adjoint(), 1.0);
}

// Random graphs: each statement reads 1–4 earlier Vars, often the previous statement,
// a recently used Var, or the same Var twice, so every register path of the sweep and
// every hand-over between them is taken. All adjoints must match the definition.
TEST(Sweep, RandomGraphsMatchTheDefinitionEverywhere) {
  std::mt19937 rng(2024);
  for (int trial = 0; trial < 200; ++trial) {
    tg::Tape tape;
    std::vector<Var> vars;
    const int inputs = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < inputs; ++i) vars.emplace_back(0.5 + 0.1 * i);
    auto pick = [&]() -> const Var& {
      switch (rng() % 4) {
        case 0:
          return vars.back();
        case 1:
          return vars[vars.size() > 1 ? vars.size() - 2 : 0];
        case 2:
          return vars[rng() % std::min<std::size_t>(vars.size(), 3)];
        default:
          return vars[rng() % vars.size()];
      }
    };
    const int statements = 1 + static_cast<int>(rng() % 40);
    for (int s = 0; s < statements; ++s) {
      const Var& a = pick();
      const Var& b = pick();
      const Var& c = pick();
      const Var& d = pick();
      switch (rng() % 4) {
        case 0:
          vars.push_back(tg::sin(a));
          break;
        case 1:
          vars.push_back(a * b);
          break;
        case 2:
          vars.push_back(a * b + 0.5 * c);
          break;
        default:
          vars.push_back(a * b - c * d + tg::tanh(a));
          break;
      }
    }
    const Var& f = vars.back();
    tape.backward(f);
    const std::vector<double> expected = reference_adjoints(tape, f.index());
    for (const Var& v : vars)
      ASSERT_NEAR(v.adjoint(), expected[v.index()], 1e-12 * (1 + std::abs(expected[v.index()])))
          << "trial " << trial << ", Var v" << v.index();
  }
}

// gradient() sweeps only from the output down to the lowest input; the adjoints it
// reports must not depend on where that sweep stops.
TEST(Sweep, GradientOverAPartOfTheTapeMatchesAFullBackward) {
  tg::Tape tape;
  Var unrelated = 1.0;
  Var before = unrelated * 2.0;
  Var x = 0.3, y = 0.7;
  Var f = x * y;
  for (int i = 0; i < 10; ++i) f += x * f + y;
  const std::vector<double> partial = tg::gradient(f, {x, y});
  tape.backward(f);
  EXPECT_DOUBLE_EQ(partial[0], x.adjoint());
  EXPECT_DOUBLE_EQ(partial[1], y.adjoint());
  EXPECT_EQ(before.adjoint(), 0.0);
}

}  // namespace
