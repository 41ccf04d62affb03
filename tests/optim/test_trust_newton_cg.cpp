// Trust-region Newton-CG (TrustNewtonCg): runs to Rosenbrock's and the extended Rosenbrock's
// minima, a saddle it leaves, one step on a quadratic, Algorithm 4.1's rules checked at every
// trial of a run against f, g and H written out by hand, resuming from a state_dict bit for
// bit, the options' errors, and the Newton-type methods' states refusing an enum option out of
// its values. Expected values are derived in the comments.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "trust_model.hpp"

namespace tg = tapegrad;
namespace opt = tapegrad::optim;

using trust_region_tests::trust_model_decrease;

namespace {

auto trust_rosenbrock = [](auto x) {
  return 100.0 * tg::square(x[1] - tg::square(x[0])) + tg::square(1.0 - x[0]);
};

// Rosenbrock in pairs (Moré, Garbow & Hillstrom's extended Rosenbrock): minimum 0 at (1, …, 1).
auto trust_extended_rosenbrock = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  V f;
  for (std::size_t i = 0; i + 1 < x.size(); i += 2)
    f += 100.0 * tg::square(x[i + 1] - tg::square(x[i])) + tg::square(1.0 - x[i]);
  return f;
};

// f = x² − y² + y⁴: ∇f = (2x, −2y + 4y³), H = diag(2, −2 + 12y²). Stationary points: x = 0 and
// y ∈ {0, ±1/√2}; (0, 0) is a saddle (H = diag(2, −2), f = 0), (0, ±1/√2) are the minima
// (H = diag(2, 4), f = 1/4 − 1/2 = −1/4).
auto trust_saddle = [](auto x) { return tg::square(x[0]) - tg::square(x[1]) + tg::pow(x[1], 4); };

auto make_trust = [](tg::Parameter& x) { return opt::TrustNewtonCg({x}); };

TEST(TrustNewtonCg, ReachesRosenbrocksMinimumFromEachStart) {
  for (const std::vector<double>& start :
       {std::vector<double>{-1.2, 1.0}, std::vector<double>{-1.5, 2.0}, std::vector<double>{2.0, 2.0}}) {
    SCOPED_TRACE("from " + std::to_string(start[0]) + ", " + std::to_string(start[1]));
    tg::Parameter x(Eigen::Vector2d(start[0], start[1]));
    opt::TrustNewtonCg trust({x});
    const opt::MinimizeResult r =
        opt::minimize(trust_rosenbrock, x, trust, {.max_steps = 60, .gradient_norm = 1e-8});
    EXPECT_EQ(r.reason, opt::StopReason::GradientNorm);
    EXPECT_LE(r.gradient_norm, 1e-8);
    // H(1, 1) = [[802, −400], [−400, 200]] has smallest eigenvalue ≈ 0.4, so |x − x*| ≤ 2.5·|g|.
    EXPECT_NEAR(r.x[0], 1, 1e-7);
    EXPECT_NEAR(r.x[1], 1, 1e-7);
    // One evaluation per trial, and the next step's start is the last trial: minimize() evaluates
    // the start once and each step's accepted point is not evaluated again.
    EXPECT_EQ(r.evaluations, r.steps + trust.rejected_steps() + 1);
  }
}

TEST(TrustNewtonCg, ReachesTheMinimumOfTheTenDimensionalExtendedRosenbrock) {
  std::vector<double> start(10);
  for (std::size_t i = 0; i < start.size(); ++i) start[i] = i % 2 == 0 ? -1.2 : 1.0;
  const opt::MinimizeResult r =
      opt::minimize(trust_extended_rosenbrock, start, make_trust, {.max_steps = 100, .gradient_norm = 1e-8});
  EXPECT_EQ(r.reason, opt::StopReason::GradientNorm);
  for (const double v : r.x) EXPECT_NEAR(v, 1, 1e-7);
}

TEST(TrustNewtonCg, JudgesStepsLostInTheRoundingOfALargeFByTheModel) {
  // f = 1000 + Rosenbrock: near the minimum the predicted decrease falls below the spacing of
  // doubles at 1000 (1.1e-13), so the computed actual decrease is 0 or one spacing. With ρ as
  // the plain ratio the radius shrinks on that noise and the run ends on an unchanged f with
  // |g| ≈ 1e-7; with the guard it takes the same path as Rosenbrock itself to |g| ≤ 1e-8.
  auto raised = [](auto x) { return 1000.0 + trust_rosenbrock(x); };
  const opt::MinimizeResult r = opt::minimize(raised, std::vector<double>{2.0, 2.0}, make_trust,
                                              {.max_steps = 60, .gradient_norm = 1e-8});
  EXPECT_EQ(r.reason, opt::StopReason::GradientNorm);
  EXPECT_NEAR(r.x[0], 1, 1e-7);
  EXPECT_NEAR(r.x[1], 1, 1e-7);
}

TEST(TrustNewtonCg, ShrinksTheRegionWhereATrialLeavesFsDomain) {
  // f = x − log x from 3 with Δ₀ = 10: f' = 1 − 1/x = ⅔, f'' = 1/x² = 1/9, so the Newton step −6
  // (inside Δ₀) lands on x = −3, where f is NaN. That trial counts as ρ < ¼: Δ = 2.5, and the step
  // −2.5 to x = ½ is accepted (ρ = (f(3) − f(½))/(⅔·2.5 − ½·6.25/9) ≈ 0.708/1.319 ≈ 0.54). The minimum
  // is x = 1, f = 1.
  tg::Parameter x(Eigen::VectorXd::Constant(1, 3.0));
  opt::TrustNewtonCg trust({x}, {.initial_trust_radius = 10});
  const opt::MinimizeResult r = opt::minimize([](auto v) { return v[0] - tg::log(v[0]); }, x, trust,
                                              {.max_steps = 30, .gradient_norm = 1e-12});
  EXPECT_EQ(r.reason, opt::StopReason::GradientNorm);
  EXPECT_NEAR(r.x[0], 1, 1e-12);
  EXPECT_GE(trust.rejected_steps(), 1);

  // The first step alone: one product (CG on one unknown ends after one iteration), the trial at
  // −3 rejected, and the second trial's subproblem solved from that same product.
  tg::Parameter once(Eigen::VectorXd::Constant(1, 3.0));
  opt::TrustNewtonCg first({once}, {.initial_trust_radius = 10});
  const opt::MinimizeResult one = opt::minimize([](auto v) { return v[0] - tg::log(v[0]); }, once, first,
                                                {.max_steps = 1, .gradient_norm = 0});
  ASSERT_EQ(one.steps, 1);
  EXPECT_EQ(first.rejected_steps(), 1);
  EXPECT_EQ(first.hessian_vector_products(), 1);
  EXPECT_EQ(first.trust_radius(), 2.5);
  EXPECT_DOUBLE_EQ(one.x[0], 0.5);
}

TEST(TrustNewtonCg, LeavesASaddleItStartsNear) {
  // From (1, 10⁻³), near the saddle's stable manifold y = 0, the plain Newton iteration
  // x ← x − H⁻¹g would go to the saddle (x = 0 at once, then y ← 8y³/(12y² − 2) ≈ −4y³ → 0).
  // Trust-region Newton-CG finds the negative curvature along y and reaches a minimum, f = −¼.
  // The premise first: three plain Newton steps from there are within 1e-20 of the saddle.
  Eigen::Vector2d newton{1, 1e-3};
  for (int k = 0; k < 3; ++k) {
    const double y = newton(1);
    newton = {0, y - (-2 * y + 4 * y * y * y) / (-2 + 12 * y * y)};
  }
  EXPECT_LT(newton.norm(), 1e-20);
  tg::Parameter x(Eigen::Vector2d(1, 1e-3));
  opt::TrustNewtonCg trust({x});
  const opt::MinimizeResult r =
      opt::minimize(trust_saddle, x, trust, {.max_steps = 50, .gradient_norm = 1e-10});
  EXPECT_EQ(r.reason, opt::StopReason::GradientNorm);
  EXPECT_NEAR(r.f, -0.25, 1e-15);
  EXPECT_NEAR(r.x[0], 0, 1e-10);
  EXPECT_NEAR(std::abs(r.x[1]), std::sqrt(0.5), 1e-10);
  EXPECT_GE(trust.indefinite_steps(), 1);

  // Exactly on the manifold, from (1, 0), g and every product H·v have y = 0, so no Krylov
  // direction ever sees the negative curvature: like any method built on g and H·v from there,
  // it converges to the saddle, where g = 0.
  const opt::MinimizeResult on_manifold = opt::minimize(
      trust_saddle, std::vector<double>{1.0, 0.0}, make_trust, {.max_steps = 50, .gradient_norm = 1e-10});
  EXPECT_EQ(on_manifold.reason, opt::StopReason::GradientNorm);
  EXPECT_EQ(on_manifold.x[1], 0);
  EXPECT_EQ(on_manifold.f, 0);
}

// f = ½xᵀAx − bᵀx, A symmetric positive definite: the minimum is A⁻¹b.
const Eigen::Matrix3d trust_a{{4, 1, 0.5}, {1, 3, -0.2}, {0.5, -0.2, 2}};
const Eigen::Vector3d trust_b{1, -2, 0.5};
auto trust_quadratic = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  V f;
  for (int i = 0; i < 3; ++i) {
    f -= trust_b(i) * x[static_cast<std::size_t>(i)];
    for (int j = 0; j < 3; ++j)
      f += 0.5 * trust_a(i, j) * x[static_cast<std::size_t>(i)] * x[static_cast<std::size_t>(j)];
  }
  return f;
};

TEST(TrustNewtonCg, OneStepReachesAQuadraticsMinimumWhenTheRegionHoldsTheNewtonStep) {
  const Eigen::Vector3d start{3, -4, 10}, minimum = trust_a.llt().solve(trust_b);
  const double newton_length = (minimum - start).norm();
  {
    tg::Parameter x(start);
    opt::TrustNewtonCg trust({x}, {.initial_trust_radius = 2 * newton_length, .forcing = 1e-12});
    const opt::MinimizeResult r =
        opt::minimize(trust_quadratic, x, trust, {.max_steps = 1, .gradient_norm = 0});
    ASSERT_EQ(r.steps, 1);
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(r.x[static_cast<std::size_t>(i)], minimum(i), 1e-13);
    // Inside the region: ρ = 1 but no boundary, so Δ stays.
    EXPECT_EQ(trust.trust_radius(), 2 * newton_length);
    EXPECT_EQ(trust.boundary_steps(), 0);
    EXPECT_EQ(trust.rejected_steps(), 0);
  }
  {
    // With Δ half the Newton step the step ends on the boundary; the model is f itself, so
    // ρ = 1 > ¾ and Δ doubles.
    tg::Parameter x(start);
    opt::TrustNewtonCg trust({x}, {.initial_trust_radius = newton_length / 2});
    const opt::MinimizeResult r =
        opt::minimize(trust_quadratic, x, trust, {.max_steps = 1, .gradient_norm = 0});
    ASSERT_EQ(r.steps, 1);
    const Eigen::Vector3d moved = Eigen::Vector3d(r.x[0], r.x[1], r.x[2]) - start;
    EXPECT_NEAR(moved.norm(), newton_length / 2, 1e-14 * newton_length);
    EXPECT_LT(r.f, 0.5 * start.dot(trust_a * start) - trust_b.dot(start));
    EXPECT_EQ(trust.trust_radius(), newton_length);
    EXPECT_EQ(trust.boundary_steps(), 1);
  }
}

TEST(TrustNewtonCg, ItsLearningRateIsTheTrustRadius) {
  tg::Parameter x(Eigen::Vector3d(3, -4, 10));
  opt::TrustNewtonCg trust({x});
  EXPECT_EQ(trust.learning_rate(0), 1);
  trust.set_learning_rate(0, 1e-3);
  const opt::MinimizeResult r =
      opt::minimize(trust_quadratic, x, trust, {.max_steps = 1, .gradient_norm = 0});
  // The Newton step is about 11 long: the step is the boundary point at 10⁻³, and Δ doubles.
  EXPECT_NEAR((Eigen::Vector3d(r.x[0], r.x[1], r.x[2]) - Eigen::Vector3d(3, -4, 10)).norm(), 1e-3, 1e-14);
  EXPECT_EQ(trust.learning_rate(0), 2e-3);
  EXPECT_THROW(trust.set_learning_rate(0, 0), tg::Error);
  EXPECT_THROW(trust.set_learning_rate(0, 1001), tg::Error);
  EXPECT_EQ(trust.learning_rate(0), 2e-3);
}

// f, g and H written out by hand, for checking a run against Algorithm 4.1 without tapegrad's
// derivatives.
struct TrustRosenbrockByHand {
  static double f(const Eigen::Vector2d& v) {
    return 100 * std::pow(v(1) - v(0) * v(0), 2) + std::pow(1 - v(0), 2);
  }
  static Eigen::Vector2d gradient(const Eigen::Vector2d& v) {
    return {-400 * v(0) * (v(1) - v(0) * v(0)) - 2 * (1 - v(0)), 200 * (v(1) - v(0) * v(0))};
  }
  static Eigen::Matrix2d hessian(const Eigen::Vector2d& v) {
    return Eigen::Matrix2d{{1200 * v(0) * v(0) - 400 * v(1) + 2, -400 * v(0)}, {-400 * v(0), 200}};
  }
};
struct TrustSaddleByHand {
  static double f(const Eigen::Vector2d& v) { return v(0) * v(0) - v(1) * v(1) + std::pow(v(1), 4); }
  static Eigen::Vector2d gradient(const Eigen::Vector2d& v) {
    return {2 * v(0), -2 * v(1) + 4 * std::pow(v(1), 3)};
  }
  static Eigen::Matrix2d hessian(const Eigen::Vector2d& v) {
    return Eigen::Vector2d(2, -2 + 12 * v(1) * v(1)).asDiagonal();
  }
};

// What a run of check_trust_region_rules saw.
struct TrustRunEvents {
  long rejected = 0, shrunk = 0, expanded = 0, negative_curvature = 0;
  bool converged = false;
};

// Steps TrustNewtonCg from `start` and checks every trial against Algorithm 4.1 as documented:
// ρ = (f(x) − f(x + p) + δ)/(m(0) − m(p) + δ), δ = 10·ε·|f(x)|, from f, g and H by hand; the
// trial's length at most Δ·4⁻ⁱ after i rejections; a trial rejected exactly when ρ ≤ eta; Δ
// after the step Δ/4 when ρ < ¼, min(2Δ, Δmax) when ρ > ¾ on the boundary, else unchanged;
// one evaluation at x and one per trial, the last at the new x; every product counted.
template <class Problem>
TrustRunEvents check_trust_region_rules(const Eigen::Vector2d& start, int max_steps) {
  tg::Parameter x(start);
  opt::TrustNewtonCg trust({x});
  const double eta = trust.options().eta, max_radius = trust.options().max_trust_radius;
  const auto point = [&x] { return Eigen::Vector2d(x.value()(0), x.value()(1)); };
  std::vector<Eigen::Vector2d> evaluated;
  std::vector<double> values;
  const opt::Closure closure = [&] {
    evaluated.push_back(point());
    values.push_back(Problem::f(point()));
    const Eigen::Vector2d g = Problem::gradient(point());
    x.grad()(0) = g(0), x.grad()(1) = g(1);
    return values.back();
  };
  long products = 0;
  opt::Curvature curvature;
  curvature.hessian_vector_product = [&](const Eigen::VectorXd& v, Eigen::VectorXd& hv) {
    ++products;
    hv = Problem::hessian(point()) * v;
  };
  TrustRunEvents events;
  for (int k = 0; k < max_steps; ++k) {
    const Eigen::Vector2d xk = point(), gk = Problem::gradient(xk);
    if (gk.norm() <= 1e-9) {
      events.converged = true;
      break;
    }
    const double fk = Problem::f(xk), radius = trust.trust_radius();
    const double delta = 10 * std::numeric_limits<double>::epsilon() * std::abs(fk);
    const Eigen::Matrix2d hk = Problem::hessian(xk);
    const long rejected_before = trust.rejected_steps(), negative_before = trust.indefinite_steps();
    const std::size_t first = evaluated.size();
    trust.step(closure, curvature);
    SCOPED_TRACE("step " + std::to_string(k));
    const long rejected = trust.rejected_steps() - rejected_before;
    events.rejected += rejected;
    events.negative_curvature += trust.indefinite_steps() - negative_before;
    EXPECT_EQ(products, trust.hessian_vector_products());
    // One evaluation at x, one per trial, the last at the point the step ends on.
    EXPECT_EQ(evaluated.size() - first, static_cast<std::size_t>(rejected + 2));
    EXPECT_EQ(evaluated[first], xk);
    EXPECT_EQ(evaluated.back(), point());
    double trial_radius = radius;
    for (long i = 0; i <= rejected; ++i) {
      const Eigen::Vector2d p = evaluated[first + 1 + static_cast<std::size_t>(i)] - xk;
      const double rho = (fk - values[first + 1 + static_cast<std::size_t>(i)] + delta) /
                         (trust_model_decrease(gk, hk, p) + delta);
      EXPECT_LE(p.norm(), trial_radius * (1 + 1e-12));
      if (i < rejected) {
        EXPECT_LE(rho, eta + 1e-9) << "a trial with ρ > eta was rejected";
        trial_radius *= 0.25;
        continue;
      }
      EXPECT_GT(rho, eta - 1e-9) << "a trial with ρ ≤ eta was accepted";
      if (std::abs(rho - 0.25) < 1e-9 || std::abs(rho - 0.75) < 1e-9) continue;  // too close to call
      const bool on_boundary = p.norm() >= trial_radius * (1 - 1e-9);
      double expected = trial_radius;
      if (rho < 0.25)
        expected = trial_radius / 4;
      else if (rho > 0.75 && on_boundary)
        expected = std::min(2 * trial_radius, max_radius);
      EXPECT_EQ(trust.trust_radius(), expected) << "ρ = " << rho;
    }
    events.shrunk += trust.trust_radius() < radius;
    events.expanded += trust.trust_radius() > radius;
  }
  return events;
}

TEST(TrustNewtonCg, EveryTrialFollowsAlgorithm41) {
  TrustRunEvents all;
  for (const Eigen::Vector2d& start :
       {Eigen::Vector2d(-1.2, 1), Eigen::Vector2d(-1.5, 2), Eigen::Vector2d(2, 2)}) {
    const TrustRunEvents e = check_trust_region_rules<TrustRosenbrockByHand>(start, 60);
    EXPECT_TRUE(e.converged);
    all.rejected += e.rejected, all.shrunk += e.shrunk, all.expanded += e.expanded;
  }
  const TrustRunEvents saddle = check_trust_region_rules<TrustSaddleByHand>({1, 1e-3}, 30);
  EXPECT_TRUE(saddle.converged);
  // The runs went through every rule: rejections, shrinking, growing, negative curvature.
  EXPECT_GT(all.rejected, 0);
  EXPECT_GT(all.shrunk, 0);
  EXPECT_GT(all.expanded, 0);
  EXPECT_GT(saddle.negative_curvature, 0);
}

// The iterates minimize() reports, start first.
struct TrustIterates {
  std::vector<std::vector<double>> x;
  void on_step(const opt::StepReport& r) { x.emplace_back(r.x.begin(), r.x.end()); }
};

TEST(TrustNewtonCg, ResumesFromItsStateDictBitForBit) {
  // From (−1.2, 1) the radius has left Δ₀ = 1 within the first five steps (checked below), so a
  // resumed run that started again from Δ₀ would take other steps.
  const Eigen::Vector2d start(-1.2, 1);
  const opt::StopWhen five{.max_steps = 5, .gradient_norm = 0};
  tg::Parameter straight(start);
  opt::TrustNewtonCg uninterrupted({straight});
  TrustIterates expected;
  opt::minimize(trust_rosenbrock, straight, uninterrupted, {.max_steps = 10, .gradient_norm = 0}, expected);

  tg::Parameter first(start);
  opt::TrustNewtonCg before({first});
  opt::minimize(trust_rosenbrock, first, before, five);
  const opt::StateDict saved = before.state_dict();
  ASSERT_NE(saved.scalar("state.trust_radius"), 1.0);

  tg::Parameter resumed_x(first.value());
  opt::TrustNewtonCg resumed({resumed_x});
  resumed.load_state_dict(saved);
  TrustIterates got;
  opt::minimize(trust_rosenbrock, resumed_x, resumed, five, got);
  ASSERT_EQ(got.x.size(), 6u);
  for (std::size_t k = 0; k < got.x.size(); ++k) EXPECT_EQ(got.x[k], expected.x[5 + k]) << "step " << k;
  EXPECT_EQ(resumed.trust_radius(), uninterrupted.trust_radius());
  EXPECT_EQ(resumed.hessian_vector_products(), uninterrupted.hessian_vector_products());
  EXPECT_EQ(resumed.rejected_steps(), uninterrupted.rejected_steps());
  EXPECT_EQ(resumed.boundary_steps(), uninterrupted.boundary_steps());

  // Without the state, the same five steps go elsewhere.
  tg::Parameter fresh_x(first.value());
  opt::TrustNewtonCg fresh({fresh_x});
  opt::minimize(trust_rosenbrock, fresh_x, fresh, five);
  EXPECT_NE(fresh_x.value(), straight.value());
}

TEST(TrustNewtonCg, RefusesOptionsAndStatesOutOfRange) {
  tg::Parameter x(Eigen::Vector2d(1, 2));
  const auto refuses = [&](const opt::TrustNewtonCgOptions& o, const std::string& part) {
    try {
      opt::TrustNewtonCg trust({x}, o);
      ADD_FAILURE() << "accepted; expected an error with '" << part << "'";
    } catch (const tg::Error& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  refuses({.eta = 0.25}, "eta = 0.25 must be in [0, 0.25)");
  refuses({.eta = -0.1}, "eta = -0.10000000000000001");
  refuses({.initial_trust_radius = 0}, "initial_trust_radius = 0 must be > 0");
  refuses({.initial_trust_radius = 1000}, "initial_trust_radius = 1000 must be < max_trust_radius = 1000");
  refuses({.max_trust_radius = INFINITY}, "max_trust_radius = inf must be > 0 and finite");
  refuses({.max_cg_iter = -1}, "max_cg_iter = -1");
  refuses({.forcing = 1}, "forcing = 1 must be in (0, 1)");

  opt::TrustNewtonCg trust({x}, {.initial_trust_radius = 0.5, .eta = 0.1});
  EXPECT_THROW(trust.step(), tg::Error);
  try {
    trust.step([] { return 0.0; });
    ADD_FAILURE() << "step(closure) without the curvature went on";
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("TrustNewtonCg needs the Hessian"), std::string::npos) << e.what();
  }

  // A state round-trips the options; one that breaks a rule is refused and changes nothing.
  opt::TrustNewtonCg other({x});
  other.load_state_dict(trust.state_dict());
  EXPECT_EQ(other.options().eta, 0.1);
  EXPECT_EQ(other.trust_radius(), 0.5);
  opt::StateDict bad = trust.state_dict();
  bad.entries["state.trust_radius"] = {2000.0};
  EXPECT_THROW(other.load_state_dict(bad), tg::Error);
  bad = trust.state_dict();
  bad.entries["group.0.eta"] = {0.5};
  EXPECT_THROW(other.load_state_dict(bad), tg::Error);
  EXPECT_EQ(other.options().eta, 0.1);
  EXPECT_EQ(other.trust_radius(), 0.5);
  opt::NewtonCg newton_cg({x});
  EXPECT_THROW(other.load_state_dict(newton_cg.state_dict()), tg::Error);
}

// Throws unless loading `state` into `into` fails with an error whose message holds every one of `parts`.
template <class Optimizer>
void expect_state_refused(Optimizer& into, const opt::StateDict& state,
                          const std::vector<std::string>& parts) {
  try {
    into.load_state_dict(state);
    ADD_FAILURE() << "the state was loaded";
  } catch (const tg::Error& e) {
    for (const std::string& part : parts)
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << "'" << part << "' in " << e.what();
  }
}

TEST(StateDict, AnEnumOptionThatIsNoneOfItsValuesIsRefusedNamingTheField) {
  // StepSearch has the values 0 (strong-wolfe) and 1 (backtracking), HessianStorage 0, 1 and 2:
  // 7, 3 and ½ are none of them.
  tg::Parameter x(Eigen::Vector2d(1, 2));
  opt::NewtonCg newton_cg({x}, {.line_search = opt::StepSearch::Backtracking});
  opt::StateDict bad = newton_cg.state_dict();
  bad.entries["group.0.line_search"] = {7.0};
  expect_state_refused(newton_cg, bad, {"group.0.line_search", "= 7", "0: strong-wolfe, 1: backtracking"});
  bad.entries["group.0.line_search"] = {0.5};
  expect_state_refused(newton_cg, bad, {"group.0.line_search", "= 0.5"});
  EXPECT_EQ(newton_cg.options().line_search, opt::StepSearch::Backtracking);
  // Each value the table lists loads.
  bad.entries["group.0.line_search"] = {0.0};
  newton_cg.load_state_dict(bad);
  EXPECT_EQ(newton_cg.options().line_search, opt::StepSearch::StrongWolfe);

  opt::Newton newton({x}, {.hessian = opt::HessianStorage::Dense});
  bad = newton.state_dict();
  bad.entries["group.0.hessian"] = {3.0};
  expect_state_refused(newton, bad, {"group.0.hessian", "= 3", "0: auto, 1: dense, 2: sparse"});
  EXPECT_EQ(newton.options().hessian, opt::HessianStorage::Dense);
  // An integer option takes only a whole number it can hold.
  bad = newton_cg.state_dict();
  bad.entries["group.0.max_cg_iter"] = {1e300};
  expect_state_refused(newton_cg, bad, {"group.0.max_cg_iter", "= 1e+300"});

  // A number cast into the enum in the options themselves is refused by the constructor.
  try {
    opt::Newton cast({x}, {.hessian = static_cast<opt::HessianStorage>(5)});
    ADD_FAILURE() << "hessian = 5 accepted";
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("Newton: hessian = 5 must be one of 0: auto, 1: dense, 2: sparse"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
