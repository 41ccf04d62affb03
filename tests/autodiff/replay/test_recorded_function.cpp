// Recorded functions: a replay gives the same bits as a fresh recording (every rule, in
// every operand form and inside larger expressions), Hessian-vector products the same
// bits as tg::hvp, and a changed comparison or kink is caught — reported by name, or
// recorded again.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <span>
#include <tapegrad/autodiff/autodiff.hpp>
#include <tapegrad/autodiff/replay/recorded_function.hpp>
#include <vector>

#include "../scalar/rule_sampling.hpp"
#include "fresh_recording.hpp"

namespace {

namespace tg = tapegrad;
namespace rules = tg::rules;
using replay_testing::fresh_gradient;
using replay_testing::Function;
using tg::Var;

// Records f at points[0]; at every point, the replayed value and gradient must equal a
// fresh recording's to the bit (re-recording where a kink changed piece, which rules
// without pieces must never need).
void expect_replay_matches_fresh(const Function& f, const std::vector<std::vector<double>>& points,
                                 bool may_change_piece, const std::string& what) {
  tg::RecordedFunction fn(f, std::span<const double>(points[0]));
  for (const std::vector<double>& x : points) {
    std::vector<double> expected_g;
    const double expected = fresh_gradient(f, x, expected_g);
    std::vector<double> g(x.size());
    const double value = fn.gradient(std::span<const double>(x), std::span<double>(g));
    EXPECT_EQ(value, expected) << what << " at x0 = " << x[0];
    for (std::size_t i = 0; i < x.size(); ++i)
      EXPECT_EQ(g[i], expected_g[i]) << what << ": d/dx" << i << " at x0 = " << x[0];
    EXPECT_EQ(fn.value(std::span<const double>(x)), expected) << what;
  }
  if (!may_change_piece) {
    EXPECT_EQ(fn.rerecordings(), 0U) << what << ": " << fn.last_change();
  }
}

template <class Rule>
constexpr bool has_piece = tg::detail::HasPiece<Rule>;

template <class Rule>
class ReplayUnaryRule : public ::testing::Test {};
using UnaryRuleTypes = rule_sampling::AsTypes<rules::UnaryRules>::type;
TYPED_TEST_SUITE(ReplayUnaryRule, UnaryRuleTypes, rule_sampling::RuleNames);

// Replayed alone, and inside a product and a sum, where the partials multiply along the
// path as recording multiplied them.
TYPED_TEST(ReplayUnaryRule, EqualsAFreshRecording) {
  using Rule = TypeParam;
  std::vector<std::vector<double>> points;
  for (const auto& p : rule_sampling::sample_points<Rule, 1>({Rule::sample}, 17))
    points.push_back({p[0], std::sin(3 * p[0])});
  const Function alone = [](std::span<const Var> x) { return Var(tg::UnaryExpr<Rule, Var>(x[0])); };
  const Function nested = [](std::span<const Var> x) {
    return Var(tg::sin(x[1]) * tg::UnaryExpr<Rule, Var>(x[0]) + tg::UnaryExpr<Rule, Var>(x[0]) * x[0] * 0.75);
  };
  const Function chained = [](std::span<const Var> x) {
    Var t = tg::UnaryExpr<Rule, Var>(x[0]);
    Var u = t * x[1] + tg::square(t);
    return Var(tg::exp(u * 0.01) * u);
  };
  expect_replay_matches_fresh(alone, points, has_piece<Rule>, "alone");
  expect_replay_matches_fresh(nested, points, has_piece<Rule>, "nested");
  expect_replay_matches_fresh(chained, points, has_piece<Rule>, "chained");
}

template <class Rule>
class ReplayBinaryRule : public ::testing::Test {};
using BinaryRuleTypes = rule_sampling::AsTypes<rules::BinaryRules>::type;
TYPED_TEST_SUITE(ReplayBinaryRule, BinaryRuleTypes, rule_sampling::RuleNames);

TYPED_TEST(ReplayBinaryRule, EqualsAFreshRecordingInEveryOperandForm) {
  using Rule = TypeParam;
  std::vector<std::vector<double>> points;
  for (const auto& p : rule_sampling::sample_points<Rule, 2>({Rule::sample_a, Rule::sample_b}, 23))
    points.push_back({p[0], p[1]});
  // The numbers are the midpoints of the sample intervals, inside each operand's domain.
  static constexpr double a_number = (Rule::sample_a.lo + Rule::sample_a.hi) / 2;
  static constexpr double b_number = (Rule::sample_b.lo + Rule::sample_b.hi) / 2;
  const Function both = [](std::span<const Var> x) { return Var(tg::detail::binary<Rule>(x[0], x[1])); };
  const Function number_right = [](std::span<const Var> x) {
    return Var(tg::detail::binary<Rule>(x[0], b_number) * x[1]);
  };
  const Function number_left = [](std::span<const Var> x) {
    return Var(tg::detail::binary<Rule>(a_number, x[1]) + x[0]);
  };
  const Function nested = [](std::span<const Var> x) {
    return Var(tg::exp(tg::detail::binary<Rule>(x[0], x[1]) * 0.1) * x[0] -
               tg::detail::binary<Rule>(x[0], x[1]));
  };
  expect_replay_matches_fresh(both, points, has_piece<Rule>, "both operands Vars");
  expect_replay_matches_fresh(number_right, points, has_piece<Rule>, "a number on the right");
  expect_replay_matches_fresh(number_left, points, has_piece<Rule>, "a number on the left");
  expect_replay_matches_fresh(nested, points, has_piece<Rule>, "nested");
}

TEST(ReplayTernaryRule, ClampEqualsAFreshRecording) {
  std::vector<std::vector<double>> points;
  using Rule = rules::Clamp;
  for (const auto& p :
       rule_sampling::sample_points<Rule, 3>({Rule::sample_a, Rule::sample_b, Rule::sample_c}, 5))
    points.push_back({p[0], p[1], p[2]});
  const Function vars = [](std::span<const Var> x) { return Var(tg::clamp(x[0], x[1], x[2]) * x[0]); };
  const Function numbers = [](std::span<const Var> x) {
    return Var(tg::clamp(x[0] * x[1], -1.0, 1.5) + x[2]);
  };
  expect_replay_matches_fresh(vars, points, true, "clamp of three Vars");
  expect_replay_matches_fresh(numbers, points, true, "clamp with number bounds");
}

// A statement read by many later ones, constant Vars inside expressions, and a loop.
TEST(RecordedFunction, SharedSubexpressionsAndConstantVarsReplayExactly) {
  const Function f = [](std::span<const Var> x) {
    const Var shared = x[0] * x[1] + tg::log(x[2]);
    Var total;  // a constant 0 on no tape, first used as an operand
    for (int i = 1; i <= 20; ++i) total += shared * static_cast<double>(i) + tg::sin(shared * x[i % 3]);
    const Var constant_var;  // a default Var: the number 0, a leaf of no tape
    return Var(total / (x[2] + constant_var + 2.0));
  };
  expect_replay_matches_fresh(f, {{0.3, -1.2, 2.5}, {1.1, 0.4, 0.7}, {-0.9, 2.0, 3.5}, {0.0, 0.0, 1.0}},
                              false, "shared");
}

// The value and gradient of f(x, y) = x²·y + 3 sin(y) derived by hand, replayed at points
// far from where it was recorded.
TEST(RecordedFunction, GradientsAtNewInputsAgreeWithTheFormulas) {
  auto fn =
      tg::record_function([](auto x) { return tg::square(x[0]) * x[1] + 3.0 * tg::sin(x[1]); }, {1.0, 2.0});
  for (const auto& [x, y] : std::vector<std::pair<double, double>>{{0.5, -1.0}, {3.0, 0.25}, {-2.0, 7.0}}) {
    const std::vector<double> g = fn.gradient({x, y});
    EXPECT_DOUBLE_EQ(g[0], 2 * x * y);
    EXPECT_DOUBLE_EQ(g[1], x * x + 3 * std::cos(y));
    EXPECT_DOUBLE_EQ(fn.value({x, y}), x * x * y + 3 * std::sin(y));
  }
  EXPECT_EQ(fn.rerecordings(), 0U);
}

// hvp on the replayed recording is tg::hvp's forward over reverse, bit for bit; on
// Rosenbrock it is also the matrix derived by hand times v.
TEST(RecordedFunction, HessianVectorProductsEqualTgHvp) {
  auto rosenbrock = [](auto x) {
    return 100.0 * tg::square(x[1] - tg::square(x[0])) + tg::square(1.0 - x[0]);
  };
  auto mixed = [](auto x) {
    using tg::exp, tg::log, tg::sin, tg::pow;
    return exp(x[0] * 0.3) * sin(x[1]) + log(x[2] * x[2] + 1.0) * pow(x[0] * x[0] + 1.0, x[1] * 0.5) +
           tg::tanh(x[0] - x[2]) / (x[1] * x[1] + 2.0);
  };
  auto fn = tg::record_function(rosenbrock, {-1.2, 1.0});
  for (const auto& [x, y] : std::vector<std::pair<double, double>>{{0.5, 0.5}, {-0.3, 1.7}, {2.0, -1.0}}) {
    const std::vector<double> v{0.7, -1.3};
    const std::vector<double> hv = fn.hvp({x, y}, v);
    const std::vector<double> expected = tg::hvp(rosenbrock, std::vector<double>{x, y}, v);
    EXPECT_EQ(hv, expected);
    // H = [[1200x² − 400y + 2, −400x], [−400x, 200]]
    EXPECT_NEAR(hv[0], (1200 * x * x - 400 * y + 2) * v[0] - 400 * x * v[1], 1e-10);
    EXPECT_NEAR(hv[1], -400 * x * v[0] + 200 * v[1], 1e-10);
  }
  auto fm = tg::record_function(mixed, {0.4, 0.9, -0.6});
  for (const std::vector<double>& x : std::vector<std::vector<double>>{{0.1, 0.2, 0.3}, {-1.5, 2.5, 1.0}}) {
    const std::vector<double> v{0.25, -0.5, 1.5};
    EXPECT_EQ(fm.hvp(x, v), tg::hvp(mixed, x, v));
  }
}

// ------------------------------------------------------------------- branches

// f(x) = x² for x > 0, −x otherwise: replaying at x < 0 would be silently wrong.
auto piecewise = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  V y;
  if (x[0] > 0.0)
    y = x[0] * x[0];
  else
    y = -x[0];
  return y;
};

TEST(RecordedFunctionBranches, AnIfThatFlipsIsRecordedAgain) {
  auto fn = tg::record_function(piecewise, {1.5});
  EXPECT_EQ(fn.num_comparisons(), 1U);
  EXPECT_EQ(fn.gradient({2.0})[0], 4.0);  // same branch: replayed
  EXPECT_EQ(fn.rerecordings(), 0U);
  EXPECT_EQ(fn.gradient({-2.0})[0], -1.0);  // the other branch: recorded again
  EXPECT_EQ(fn.rerecordings(), 1U);
  EXPECT_NE(fn.last_change().find("v1 > 0"), std::string::npos) << fn.last_change();
  EXPECT_NE(fn.last_change().find("was true when recorded and is false now"), std::string::npos)
      << fn.last_change();
  EXPECT_EQ(fn.value({-3.0}), 3.0);  // the new recording replays on its side
  EXPECT_EQ(fn.rerecordings(), 1U);
}

TEST(RecordedFunctionBranches, AnIfThatFlipsIsReportedWhenAsked) {
  auto fn = tg::record_function(piecewise, {1.5}, {.on_branch_change = tg::OnBranchChange::Throw});
  EXPECT_EQ(fn.gradient({0.5})[0], 1.0);
  try {
    fn.gradient({-0.5});
    FAIL() << "no BranchChanged";
  } catch (const tg::BranchChanged& e) {
    EXPECT_NE(std::string(e.what()).find("the comparison v1 > 0"), std::string::npos) << e.what();
  }
  // Equality is a branch too: x == 0 holds only at 0.
  auto at_zero = tg::record_function(
      [](auto x) {
        using V = std::remove_cvref_t<decltype(x[0])>;
        return x[0] == 0.0 ? V(x[0] * 2.0) : V(x[0] * 3.0);
      },
      {0.0}, {.on_branch_change = tg::OnBranchChange::Throw});
  EXPECT_THROW(at_zero.gradient({1e-300}), tg::BranchChanged);
}

// Kinks: abs, relu and max on the other side of their kink. The replayed rule would be
// right (its partial is recomputed), but the branch is reported as the recording's
// piece no longer holding, and re-recording gives the fresh result.
TEST(RecordedFunctionBranches, KinksOnTheOtherSideAreCaught) {
  struct Case {
    const char* name;
    Function f;
    double recorded_at, flipped_at;
    double derivative_after_flip;  // by hand
  };
  const std::vector<Case> cases = {
      {"abs", [](std::span<const Var> x) { return Var(tg::abs(x[0]) * 2.0); }, 1.0, -1.0, -2.0},
      {"relu", [](std::span<const Var> x) { return Var(tg::relu(x[0] - 0.5) + x[0]); }, 1.0, 0.25, 1.0},
      {"max", [](std::span<const Var> x) { return Var(tg::max(x[0], 3.0 - x[0]) * 4.0); }, 2.0, 1.0, -4.0},
  };
  for (const Case& c : cases) {
    tg::RecordedFunction report(c.f, std::vector<double>{c.recorded_at},
                                {.on_branch_change = tg::OnBranchChange::Throw});
    try {
      report.gradient({c.flipped_at});
      ADD_FAILURE() << c.name << ": no BranchChanged";
    } catch (const tg::BranchChanged& e) {
      EXPECT_NE(std::string(e.what()).find(std::string(c.name) + " in"), std::string::npos) << e.what();
    }
    tg::RecordedFunction rerecord(c.f, std::vector<double>{c.recorded_at});
    EXPECT_EQ(rerecord.gradient({c.flipped_at})[0], c.derivative_after_flip) << c.name;
    EXPECT_EQ(rerecord.rerecordings(), 1U) << c.name;
  }
}

// A loop whose trip count depends on x (Newton's iteration for √a): each trip's test is a
// comparison, so a replay where the loop would run a different number of times is caught.
TEST(RecordedFunctionBranches, ALoopWithADifferentTripCountIsRecordedAgain) {
  auto root = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    V r = x[0];
    while (tg::abs(r * r - x[0]) > 1e-12 * x[0]) r = 0.5 * (r + x[0] / r);
    return r;
  };
  auto fn = tg::record_function(root, {4.0});
  for (const double a : {4.0, 9.0, 2.0, 100.0}) {
    std::vector<double> g = fn.gradient({a});
    EXPECT_NEAR(fn.value({a}), std::sqrt(a), 1e-12 * std::sqrt(a));
    EXPECT_NEAR(g[0], 0.5 / std::sqrt(a), 1e-9) << a;  // d√a/da
  }
  EXPECT_GE(fn.rerecordings(), 1U);
}

// ------------------------------------------------------------------ misuse

TEST(RecordedFunctionMisuse, WrongSizesOpaqueStatementsAndConstantsAreRefused) {
  auto fn = tg::record_function([](auto x) { return x[0] * x[1]; }, {1.0, 2.0});
  EXPECT_THROW(fn.gradient({1.0}), tg::Error);
  EXPECT_THROW(fn.value({1.0, 2.0, 3.0}), tg::Error);
  EXPECT_THROW(fn.hvp({1.0, 2.0}, {1.0}), tg::Error);

  const Function custom = [](std::span<const Var> x) {
    const std::vector<Var> in{x[0]};
    return tg::custom_op(std::sin(x[0].value()), in, std::vector<double>{std::cos(x[0].value())});
  };
  try {
    tg::RecordedFunction opaque(custom, std::vector<double>{1.0});
    FAIL() << "a custom_op recorded";
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("custom_op"), std::string::npos) << e.what();
  }
  const Function constant = [](std::span<const Var>) { return Var(); };
  EXPECT_THROW(tg::RecordedFunction(constant, std::vector<double>{1.0}), tg::Error);
}

// The recorded function's tape records nothing after construction: Vars made afterwards
// go to the caller's own tape.
TEST(RecordedFunctionMisuse, ItsTapeDoesNotCaptureLaterRecordings) {
  tg::Tape outer;
  auto fn = tg::record_function([](auto x) { return tg::exp(x[0]); }, {0.0});
  const std::size_t before = outer.num_nodes();
  Var later = 2.0;
  EXPECT_EQ(outer.num_nodes(), before + 1);
  EXPECT_EQ(fn.tape().num_nodes(), 2U);  // the input and exp
  EXPECT_DOUBLE_EQ(fn.gradient({1.0})[0], std::exp(1.0));
  (void)later;
}

// A replay tape also holds what replaying needs; bytes_in_use() counts it.
TEST(ReplayableTape, CountsItsReplayRecordInBytesInUse) {
  std::size_t plain_bytes = 0;
  {
    tg::Tape tape;
    Var x1 = 1.0, x2 = 1.0;
    [[maybe_unused]] Var f = x1 * x1 + x2 * x2 + tg::abs(x1 + x2);
    plain_bytes = tape.bytes_in_use();
  }
  tg::ReplayTape tape;
  Var x1 = 1.0, x2 = 1.0;
  [[maybe_unused]] Var f = x1 * x1 + x2 * x2 + tg::abs(x1 + x2);
  EXPECT_EQ(tape.recording_bytes(), plain_bytes);
  EXPECT_GT(tape.bytes_in_use(), plain_bytes);
}

template <class Tape>
concept CanReplay = requires(Tape& tape) {
  tape.replay();
};

// The tape-level interface: set_input, replay, backward; rewind drops recorded comparisons.
TEST(ReplayableTape, ReplaysInPlaceAndRewindsItsComparisons) {
  tg::ReplayTape tape;
  Var x = 2.0, y = 3.0;
  const Var f = x * y + tg::sin(x);
  tape.set_input(x.index(), 0.5);
  tape.replay();
  tape.backward(f);
  EXPECT_DOUBLE_EQ(tape.replayed_value(f.index()), 0.5 * 3 + std::sin(0.5));
  EXPECT_DOUBLE_EQ(x.adjoint(), 3 + std::cos(0.5));
  EXPECT_DOUBLE_EQ(y.adjoint(), 0.5);
  EXPECT_THROW(tape.set_input(f.index(), 1.0), tg::Error);  // not an input

  const tg::TapePosition mark = tape.position();
  if (x > 1.0) {  // recorded: 0.5 > 1 is false now, but the comparison used x's handle value 2
  }
  EXPECT_EQ(tape.record().num_guards(), 1U);
  EXPECT_THROW(tape.replay(), tg::BranchChanged);
  tape.rewind(mark);
  EXPECT_EQ(tape.record().num_guards(), 0U);
  EXPECT_NO_THROW(tape.replay());

  // A plain tape keeps nothing to replay, and has no replay() to call by mistake.
  static_assert(!CanReplay<tg::Tape>);
  static_assert(CanReplay<tg::ReplayTape>);
}

}  // namespace
