// RecordedFunction::linearize and hessian_product: Hessian-vector products from a recording
// linearized at a point equal tg::hvp's forward over reverse (an independent path: a fresh
// recording on Dual numbers) to rounding, and central differences of the gradient to
// their truncation error; on every kind of statement the local Hessians distinguish
// (linear slots, an operand written twice, a statement with too many nonlinear slots for
// a block, kinks; products from the blocks alone, from the blocks and a cone of statements below
// them, and by two sweeps); after a changed branch; and misuse is refused.
#include <gtest/gtest.h>

#include <cmath>
#include <span>
#include <string>
#include <tapegrad/autodiff/autodiff.hpp>
#include <tapegrad/autodiff/replay/recorded_function.hpp>
#include <tapegrad/optim/optim.hpp>
#include <tuple>
#include <vector>

#include "../../support/relative_near.hpp"

namespace {

namespace tg = tapegrad;
using tg::Var;

// Each function is written generically, so that tg::hvp can record it on Duals.
// The chained Rosenbrock function in named temporaries (two statements a term, x[i] twice in one).
auto rosenbrock_temporaries = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  V f = 0.0;
  for (std::size_t i = 0; i + 1 < x.size(); ++i) {
    V a = x[i + 1] - x[i] * x[i];
    V b = 1.0 - x[i];
    f += 100.0 * a * a + b * b;
  }
  return f;
};

// Division, exp, log, sqrt, pow, atan2, a kink (abs) and max, constants inside products, and
// statements linear in some operands (r -= 2*x).
auto mixed = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  V f = 0.0;
  for (std::size_t i = 0; i + 2 < x.size(); ++i) {
    V r = (3.0 - 2.0 * x[i]) * x[i] + 1.0;
    r -= 2.0 * x[i + 1];
    const V q = x[i] * x[i + 1] / (1.0 + tg::square(x[i + 2]));
    f += tg::exp(0.1 * q) + tg::log(1.0 + x[i] * x[i]) + tg::sqrt(2.0 + tg::sin(x[i + 2])) * r;
    f += tg::pow(1.5 + tg::cos(x[i]), x[i + 1]) + tg::atan2(x[i], 2.0 + x[i + 2]);
    f += tg::abs(x[i]) * x[i + 1] + tg::max(x[i], x[i + 2]) * x[i + 1];
  }
  return f;
};

// Every term one statement of one program, far more of them than a batch: their blocks are
// computed across the run (batched_interpreter.hpp), with a kink (x stays on one side of it) and the
// total as a linear slot.
auto one_statement_terms = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  V f = 0.0;
  for (std::size_t i = 0; i + 1 < x.size(); ++i)
    f += x[i] * x[i + 1] * tg::exp(0.1 * x[i]) + tg::abs(x[i] - 1.5) * tg::sin(x[i + 1]);
  return f;
};

// Terms whose blocks read the inputs and a Var that is no input (a constant of the recording, whose
// tangent is 0): the products come from the blocks alone (LocalHessians::block_product).
auto terms_with_a_constant_var = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  const V c = 1.5;
  V f = 0.0;
  for (std::size_t i = 0; i + 1 < x.size(); ++i) f += tg::exp(0.3 * c * x[i]) * x[i + 1] + c * c * x[i + 1];
  return f;
};

// Terms in the inputs beside a term in named temporaries (a boundary term): the terms' blocks are read
// alone and only the boundary term's statements are swept (LocalHessians::block_product's cone).
auto terms_and_a_boundary_term = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  const std::size_t n = x.size();
  V f = 0.0;
  for (std::size_t i = 0; i + 1 < n; ++i) f += tg::exp(0.2 * x[i]) * x[i + 1] * x[i + 1];
  const V a = x[0] * x[n - 1] - 1.0;
  const V b = tg::sin(a) + 2.0 * x[1];
  f += b * b * a;
  return f;
};

// One statement nonlinear in ten operands: more than a block is kept for, so each product
// differentiates it in the direction.
auto long_product = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  const V p = x[0] * x[1] * x[2] * x[3] * x[4] * x[5] * x[6] * x[7] * x[8] * x[9];
  return p + x[0] * x[0] * x[9];
};

std::vector<double> point(std::size_t n, double phase) {
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = 0.4 + 0.5 * std::sin(phase + 1.3 * static_cast<double>(i));
  return x;
}

template <class F>
void expect_products_match_hvp(F f, std::size_t n, const std::string& what) {
  const std::vector<double> x0 = point(n, 0.0);
  tg::RecordedFunction fn(f, std::span<const double>(x0));
  for (const double phase : {0.0, 0.7, 2.1}) {
    const std::vector<double> x = point(n, phase);
    std::vector<double> g(n);
    const double value = fn.linearize(std::span<const double>(x), std::span<double>(g));
    const std::size_t recorded = fn.rerecordings();
    EXPECT_EQ(value, fn.value(std::span<const double>(x))) << what;
    expect_relatively_near(g, fn.gradient(std::span<const double>(x)), 0.0);
    for (const double direction_phase : {0.3, 1.9}) {
      std::vector<double> v(n);
      for (std::size_t i = 0; i < n; ++i) v[i] = std::cos(direction_phase * static_cast<double>(i + 1));
      std::vector<double> hv(n);
      // value() at another point (on the same pieces of the kinks) between products leaves
      // the linearization as it was.
      fn.value(std::span<const double>(point(n, phase + 1e-3)));
      ASSERT_EQ(fn.rerecordings(), recorded) << what;
      fn.hessian_product(std::span<const double>(v), std::span<double>(hv));
      SCOPED_TRACE(what + " at phase " + std::to_string(phase));
      expect_relatively_near(hv, tg::hvp(f, x, v), 1e-12);
    }
  }
}

TEST(Linearize, ProductsEqualForwardOverReverse) {
  expect_products_match_hvp(rosenbrock_temporaries, 30, "rosenbrock in temporaries");
  expect_products_match_hvp(mixed, 12, "mixed rules");
  expect_products_match_hvp(long_product, 10, "a ten-operand product");
  expect_products_match_hvp(one_statement_terms, 100, "a run of one-statement terms");
  expect_products_match_hvp(terms_with_a_constant_var, 20, "terms with a constant Var");
  expect_products_match_hvp(terms_and_a_boundary_term, 40, "terms and a boundary term");
}

// H·v against central differences of the replayed gradient, in double: (∇f(x+hv) − ∇f(x−hv)) / 2h,
// whose error is O(h²) times the third derivatives.
TEST(Linearize, ProductsEqualCentralDifferencesOfTheGradient) {
  const std::size_t n = 12;
  const std::vector<double> x = point(n, 0.4);
  tg::RecordedFunction fn(mixed, std::span<const double>(x));
  std::vector<double> v(n), g(n), hv(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = std::sin(0.9 * static_cast<double>(i) + 0.2);
  fn.linearize(std::span<const double>(x), std::span<double>(g));
  fn.hessian_product(std::span<const double>(v), std::span<double>(hv));
  const double h = 1e-5;
  std::vector<double> plus(x), minus(x);
  for (std::size_t i = 0; i < n; ++i) plus[i] += h * v[i], minus[i] -= h * v[i];
  const std::vector<double> gp = fn.gradient(plus), gm = fn.gradient(minus);
  std::vector<double> difference(n);
  for (std::size_t i = 0; i < n; ++i) difference[i] = (gp[i] - gm[i]) / (2 * h);
  expect_relatively_near(hv, difference, 1e-7);
}

// linearize() right after gradient() at the same point uses that gradient's replay and sweep
// again; after anything that replays elsewhere in between (value(), gradient() or hvp() at
// another point, a linearization there) it replays again. Every way gives the bits of a
// linearization made alone.
TEST(Linearize, ReusesTheSweepOfAGradientAtThePointAndOnlyThere) {
  const std::size_t n = 12;
  const std::vector<double> x = point(n, 0.4), y = point(n, 1.1), v = point(n, 2.5);
  const auto linearized_at_x = [&](auto&& before) {
    tg::RecordedFunction fn(mixed, std::span<const double>(y));
    before(fn);
    std::vector<double> g(n), hv(n);
    const double value = fn.linearize(std::span<const double>(x), std::span<double>(g));
    fn.hessian_product(std::span<const double>(v), std::span<double>(hv));
    return std::tuple(value, g, hv);
  };
  const auto alone = linearized_at_x([](tg::RecordedFunction&) {});
  EXPECT_EQ(linearized_at_x([&](tg::RecordedFunction& fn) { fn.gradient(x); }), alone);
  EXPECT_EQ(linearized_at_x([&](tg::RecordedFunction& fn) {
              fn.gradient(x);
              fn.value(y);
            }),
            alone);
  EXPECT_EQ(linearized_at_x([&](tg::RecordedFunction& fn) {
              fn.gradient(x);
              fn.gradient(y);
            }),
            alone);
  EXPECT_EQ(linearized_at_x([&](tg::RecordedFunction& fn) {
              fn.gradient(x);
              fn.hvp(y, v);
            }),
            alone);
  EXPECT_EQ(linearized_at_x([&](tg::RecordedFunction& fn) {
              std::vector<double> g(n);
              fn.gradient(x);
              fn.linearize(std::span<const double>(y), std::span<double>(g));
            }),
            alone);
}

// A comparison that comes out differently at the point records f again there; a later
// gradient() that records again makes the old linearization unusable, which is said.
TEST(Linearize, AChangedBranchRecordsAgainAndIsNotUsedStale) {
  auto branchy = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    V f = x[0] * x[1];
    if (x[0] > 0.0)
      f += tg::square(x[0]) * x[1];
    else
      f += tg::exp(x[0]) * x[1] * x[1];
    return f;
  };
  tg::RecordedFunction fn(branchy, std::vector<double>{1.0, 2.0});
  const std::vector<double> left{-0.5, 1.5}, v{0.3, -1.1};
  std::vector<double> g(2), hv(2);
  fn.linearize(std::span<const double>(left), std::span<double>(g));
  EXPECT_EQ(fn.rerecordings(), 1u);
  fn.hessian_product(std::span<const double>(v), std::span<double>(hv));
  expect_relatively_near(hv, tg::hvp(branchy, left, v), 1e-14);

  fn.gradient(std::vector<double>{0.5, 1.0});  // the other branch: recorded again
  EXPECT_EQ(fn.rerecordings(), 2u);
  try {
    fn.hessian_product(std::span<const double>(v), std::span<double>(hv));
    FAIL() << "a product from a recording made since";
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("made again since linearize"), std::string::npos) << e.what();
  }
}

TEST(Linearize, MisuseIsRefused) {
  tg::RecordedFunction fn(rosenbrock_temporaries, std::vector<double>{1.0, 2.0, 3.0});
  std::vector<double> v{1.0, 0.0, 0.0}, hv(3), g(3), short_x{1.0, 2.0};
  try {
    fn.hessian_product(std::span<const double>(v), std::span<double>(hv));
    FAIL() << "a product before linearize()";
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("linearize(x) was not called"), std::string::npos) << e.what();
  }
  EXPECT_THROW(fn.linearize(std::span<const double>(short_x), std::span<double>(g)), tg::Error);
  fn.linearize(std::span<const double>(v), std::span<double>(g));
  std::vector<double> short_v{1.0};
  EXPECT_THROW(fn.hessian_product(std::span<const double>(short_v), std::span<double>(hv)), tg::Error);

  // A scalar Parameter read in f is a statement with a forward of its own: refused.
  tg::Parameter scale{0.5};
  tg::RecordedFunction with_parameter([&scale](std::span<const Var> x) { return scale.var() * x[0] * x[0]; },
                                      std::vector<double>{1.0});
  std::vector<double> one{1.0}, g1(1);
  try {
    with_parameter.linearize(std::span<const double>(one), std::span<double>(g1));
    FAIL() << "a Parameter's statement linearized";
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("Parameters"), std::string::npos) << e.what();
  }
}

// minimize() with an f written on Vars only takes Newton-type methods' products from its
// recording, linearized at each iterate: the same minimum as the generic f's fresh products.
TEST(Linearize, NewtonTypeMethodsMinimizeAnFOnVarsOnly) {
  const std::function<Var(std::span<const Var>)> on_vars = [](std::span<const Var> x) {
    return rosenbrock_temporaries(x);
  };
  for (const char* method : {"trust-ncg", "newton-cg", "newton"}) {
    SCOPED_TRACE(method);
    tg::Parameter x{Eigen::VectorXd::Constant(20, 1.2)};
    tg::Parameter generic_x{Eigen::VectorXd::Constant(20, 1.2)};
    const tg::optim::StopWhen stop{.max_steps = 200, .gradient_norm = 1e-10};
    auto run = [&](auto& f, tg::Parameter& at) {
      if (std::string(method) == "trust-ncg") {
        tg::optim::TrustNewtonCg o({at});
        return tg::optim::minimize(f, at, o, stop);
      }
      if (std::string(method) == "newton-cg") {
        tg::optim::NewtonCg o({at});
        return tg::optim::minimize(f, at, o, stop);
      }
      tg::optim::Newton o({at}, {.hessian = tg::optim::HessianStorage::Dense});
      return tg::optim::minimize(f, at, o, stop);
    };
    const tg::optim::MinimizeResult r = run(on_vars, x);
    const tg::optim::MinimizeResult generic = run(rosenbrock_temporaries, generic_x);
    EXPECT_EQ(r.reason, tg::optim::StopReason::GradientNorm);
    for (const double xi : r.x) EXPECT_NEAR(xi, 1.0, 1e-9);
    EXPECT_EQ(r.steps, generic.steps);
  }
}

}  // namespace
