// Every zero a rule declares about its derivatives (rules.hpp: second_partials,
// constant_pieces) is checked here at points across its sample intervals, through Dual
// numbers: a declared zero that is not one would make the sparse Hessian's or
// Jacobian's pattern drop an entry.
#include <gtest/gtest.h>

#include <string>
#include <tapegrad/tapegrad.hpp>
#include <tuple>

namespace tg = tapegrad;
namespace rules = tapegrad::rules;

namespace {

using D = tg::Dual<double>;

double along(const rules::Interval& interval, int k) {
  return interval.lo + (interval.hi - interval.lo) * (k + 0.5) / 9.0;
}

template <class Rule>
void check_unary() {
  constexpr unsigned second = rules::second_partials_of<Rule>();
  for (int k = 0; k < 9; ++k) {
    const double x = along(Rule::sample, k);
    const D dx(x, 1.0);
    const D y = Rule::value(dx);
    const D partial = Rule::partial(dx, y);
    if (!(second & rules::pairs::aa)) {
      EXPECT_EQ(partial.tangent(), 0.0) << Rule::name << " at " << x;
    }
    if (rules::constant_pieces_of<Rule>()) {
      EXPECT_EQ(partial.value(), 0.0) << Rule::name << " at " << x;
    }
  }
}

template <class Rule>
void check_binary() {
  constexpr unsigned second = rules::second_partials_of<Rule>();
  for (int i = 0; i < 9; ++i)
    for (int j = 0; j < 9; ++j) {
      const double a = along(Rule::sample_a, i), b = along(Rule::sample_b, j);
      for (int seeded = 0; seeded < 2; ++seeded) {
        const D da(a, seeded == 0 ? 1.0 : 0.0), db(b, seeded == 1 ? 1.0 : 0.0);
        const D y = Rule::value(da, db);
        const D pa = Rule::d_a(da, db, y), pb = Rule::d_b(da, db, y);
        const std::string where =
            std::string(Rule::name) + " at " + std::to_string(a) + ", " + std::to_string(b);
        if (seeded == 0 && !(second & rules::pairs::aa)) {
          EXPECT_EQ(pa.tangent(), 0.0) << where << " (aa)";
        }
        if (seeded == 1 && !(second & rules::pairs::ab)) {
          EXPECT_EQ(pa.tangent(), 0.0) << where << " (ab)";
        }
        if (seeded == 0 && !(second & rules::pairs::ab)) {
          EXPECT_EQ(pb.tangent(), 0.0) << where << " (ba)";
        }
        if (seeded == 1 && !(second & rules::pairs::bb)) {
          EXPECT_EQ(pb.tangent(), 0.0) << where << " (bb)";
        }
      }
    }
}

template <class Rule>
void check_ternary() {
  constexpr unsigned second = rules::second_partials_of<Rule>();
  // pairs::aa, ab, bb, ac, bc, cc: the bit of (partial p, seeded q).
  constexpr unsigned bit[3][3] = {{rules::pairs::aa, rules::pairs::ab, rules::pairs::ac},
                                  {rules::pairs::ab, rules::pairs::bb, rules::pairs::bc},
                                  {rules::pairs::ac, rules::pairs::bc, rules::pairs::cc}};
  for (int i = 0; i < 9; ++i)
    for (int j = 0; j < 9; ++j)
      for (int k = 0; k < 9; ++k)
        for (int q = 0; q < 3; ++q) {
          const D a(along(Rule::sample_a, i), q == 0), b(along(Rule::sample_b, j), q == 1),
              c(along(Rule::sample_c, k), q == 2);
          const D y = Rule::value(a, b, c);
          const D partials[3] = {Rule::d_a(a, b, c, y), Rule::d_b(a, b, c, y), Rule::d_c(a, b, c, y)};
          for (int p = 0; p < 3; ++p)
            if (!(second & bit[p][q])) {
              EXPECT_EQ(partials[p].tangent(), 0.0) << Rule::name << " p" << p << " q" << q;
            }
        }
}

}  // namespace

TEST(RuleStructure, EveryDeclaredZeroDerivativeIsZero) {
  std::apply([](auto... r) { (check_unary<decltype(r)>(), ...); }, rules::UnaryRules{});
  std::apply([](auto... r) { (check_binary<decltype(r)>(), ...); }, rules::BinaryRules{});
  std::apply([](auto... r) { (check_ternary<decltype(r)>(), ...); }, rules::TernaryRules{});
}

TEST(RuleStructure, TheLinearRulesAreDeclaredSo) {
  // The interactions the sparse patterns rely on being exact.
  EXPECT_EQ(rules::second_partials_of<rules::Add>(), 0u);
  EXPECT_EQ(rules::second_partials_of<rules::Sub>(), 0u);
  EXPECT_EQ(rules::second_partials_of<rules::Neg>(), 0u);
  EXPECT_EQ(rules::second_partials_of<rules::Mul>(), rules::pairs::ab);
  EXPECT_EQ(rules::second_partials_of<rules::Div>(), rules::pairs::ab | rules::pairs::bb);
  EXPECT_EQ(rules::second_partials_of<rules::Exp>(), rules::pairs::all);
}
