// Sparsity patterns of recordings: never missing an entry of the dense Hessian or
// Jacobian at random points, and no denser than the expression's true interactions on
// functions built so that those are known.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <tapegrad/tapegrad.hpp>
#include <utility>
#include <vector>

namespace tg = tapegrad;

namespace {

using Entries = std::set<std::pair<std::size_t, std::size_t>>;

Entries entries_of(const tg::SparsityPattern& p) {
  Entries out;
  for (std::size_t i = 0; i < p.rows; ++i)
    for (const std::uint32_t j : p.row(i)) out.insert({i, j});
  return out;
}

Entries nonzeros_of(const Eigen::MatrixXd& m) {
  Entries out;
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j)
      if (m(i, j) != 0) out.insert({static_cast<std::size_t>(i), static_cast<std::size_t>(j)});
  return out;
}

bool contains_all(const Entries& big, const Entries& small) {
  for (const auto& e : small)
    if (!big.contains(e)) return false;
  return true;
}

std::vector<double> random_point(std::size_t n, std::mt19937& random, double lo = -1.5, double hi = 1.5) {
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> x(n);
  for (double& e : x) e = u(random);
  return x;
}

}  // namespace

TEST(SparsityPattern, ARunningSumOfNonlinearTermsIsBanded) {
  // s = s + term(x[i], x[i+1]): the chain s adds no interaction, so the Hessian is
  // tridiagonal, with the diagonal.
  auto f = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    V s = 0.0;
    for (std::size_t i = 0; i + 1 < x.size(); ++i)
      s = s + 100.0 * tg::square(x[i + 1] - x[i] * x[i]) + tg::square(1.0 - x[i]);
    return s;
  };
  const std::size_t n = 30;
  std::mt19937 random(1);
  const std::vector<double> x = random_point(n, random);
  Entries expected;
  for (std::size_t i = 0; i < n; ++i) {
    expected.insert({i, i});
    if (i + 1 < n) expected.insert({i, i + 1}), expected.insert({i + 1, i});
  }
  EXPECT_EQ(entries_of(tg::hessian_pattern(f, x)), expected);
  EXPECT_EQ(nonzeros_of(tg::hessian(f, x)), expected);
}

TEST(SparsityPattern, ProductsCoupleTheirFactorsOnlyAndSumsNothing) {
  // x*y + z: x with y only; z enters linearly. u / v: u with v, v with itself.
  // exp(a) + b*b: a and b each with itself. relu, abs, max: piecewise linear.
  auto f = [](auto x) {
    return x[0] * x[1] + x[2] + x[3] / x[4] + tg::exp(x[5]) + x[6] * x[6] + tg::relu(x[7] - x[8]) +
           tg::abs(x[9]) * 3.0 + tg::max(x[10], x[11]) + tg::floor(x[12] * x[13]);
  };
  std::mt19937 random(2);
  std::vector<double> x = random_point(14, random, 0.5, 1.5);
  x[7] = 2, x[8] = 1;  // relu on its linear piece
  const Entries pattern = entries_of(tg::hessian_pattern(f, x));
  const Entries expected{{0, 1}, {1, 0}, {3, 4}, {4, 3}, {4, 4}, {5, 5}, {6, 6}};
  EXPECT_EQ(pattern, expected);
  EXPECT_EQ(nonzeros_of(tg::hessian(f, x)), expected);
  // The Jacobian (gradient) pattern: floor passes nothing on.
  auto as_vector = [&](auto v) { return std::vector{f(v)}; };
  Entries gradient_expected;
  for (std::size_t j = 0; j < 12; ++j) gradient_expected.insert({0, j});
  EXPECT_EQ(entries_of(tg::jacobian_pattern(as_vector, x)), gradient_expected);
}

TEST(SparsityPattern, NamedTemporariesAndChainsAcrossStatements) {
  // t = x0 * x1 (one statement), u = t + x2 (linear), w = u * u: x0, x1, x2 all interact;
  // v = x3 + x4 enters the output linearly through a sum chain.
  auto f = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    V t = x[0] * x[1];
    V u = t + x[2];
    V w = u * u;
    V v = x[3] + x[4];
    V s = w;
    s = s + v;
    s = s + tg::sin(x[5]) * x[6];
    return s;
  };
  std::mt19937 random(3);
  const std::vector<double> x = random_point(7, random);
  const Entries pattern = entries_of(tg::hessian_pattern(f, x));
  Entries expected;
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 3; ++j) expected.insert({i, j});
  expected.insert({5, 5}), expected.insert({5, 6}), expected.insert({6, 5});
  EXPECT_EQ(pattern, expected);
  EXPECT_TRUE(contains_all(pattern, nonzeros_of(tg::hessian(f, x))));
}

TEST(SparsityPattern, ABranchGivesThePatternOfThePathTaken) {
  auto f = [](auto x) { return x[0] > 0.0 ? x[0] * x[1] : x[0] * x[2]; };
  EXPECT_EQ(entries_of(tg::hessian_pattern(f, std::vector{1.0, 2.0, 3.0})), (Entries{{0, 1}, {1, 0}}));
  EXPECT_EQ(entries_of(tg::hessian_pattern(f, std::vector{-1.0, 2.0, 3.0})), (Entries{{0, 2}, {2, 0}}));
}

TEST(SparsityPattern, RandomPartiallySeparableFunctionsNeverMissAnEntry) {
  // f = Σₖ elementₖ(x restricted to a small random set Sₖ), each element a random chain of
  // rules; the pattern must contain every nonzero of the dense Hessian at random points
  // and lie inside ∪ Sₖ × Sₖ (the interactions the construction allows).
  std::mt19937 random(42);
  for (int trial = 0; trial < 60; ++trial) {
    const std::size_t n = 3 + random() % 12;
    const std::size_t elements = 1 + random() % 6;
    std::vector<std::vector<std::size_t>> sets(elements);
    std::vector<std::vector<int>> ops(elements);
    Entries allowed;
    for (std::size_t k = 0; k < elements; ++k) {
      const std::size_t size = 1 + random() % 3;
      for (std::size_t e = 0; e < size; ++e) sets[k].push_back(random() % n);
      for (const std::size_t a : sets[k])
        for (const std::size_t b : sets[k]) allowed.insert({a, b});
      for (std::size_t e = 0; e < 2 * size; ++e) ops[k].push_back(static_cast<int>(random() % 9));
    }
    auto f = [&](auto x) {
      using V = std::remove_cvref_t<decltype(x[0])>;
      V total = 0.0;
      for (std::size_t k = 0; k < elements; ++k) {
        V acc = x[sets[k][0]];
        for (std::size_t e = 0; e < ops[k].size(); ++e) {
          const V& y = x[sets[k][e % sets[k].size()]];
          switch (ops[k][e]) {
            case 0:
              acc = acc + y;
              break;
            case 1:
              acc = acc * y;
              break;
            case 2:
              acc = tg::sin(acc) - y;
              break;
            case 3:
              acc = acc / (2.0 + tg::cos(y));
              break;
            case 4:
              acc = tg::exp(acc * 0.3) + 0.5 * y;
              break;
            case 5:
              acc = tg::tanh(acc) * 2.0 - y;
              break;
            case 6:
              acc = tg::hypot(acc, y);
              break;
            case 7:
              acc = acc - 3.0 * y;
              break;
            default:
              acc = tg::square(acc) * 0.1 + tg::atan(y);
              break;
          }
        }
        total = total + acc;
      }
      return total;
    };
    const std::vector<double> x0 = random_point(n, random);
    const Entries pattern = entries_of(tg::hessian_pattern(f, x0));
    EXPECT_TRUE(contains_all(allowed, pattern)) << "trial " << trial;
    for (int point = 0; point < 3; ++point) {
      const std::vector<double> x = point == 0 ? x0 : random_point(n, random);
      EXPECT_TRUE(contains_all(pattern, nonzeros_of(tg::hessian(f, x)))) << "trial " << trial;
    }
    // The Jacobian of the elements as a vector function: row k within Sₖ.
    auto elements_of = [&](auto x) {
      using V = std::remove_cvref_t<decltype(x[0])>;
      std::vector<V> out;
      for (std::size_t k = 0; k < elements; ++k) {
        V acc = x[sets[k][0]];
        for (std::size_t e = 1; e < sets[k].size(); ++e) acc = acc * tg::sin(x[sets[k][e]]) + 1.0;
        out.push_back(acc);
      }
      return out;
    };
    const tg::SparsityPattern jp = tg::jacobian_pattern(elements_of, x0);
    for (std::size_t k = 0; k < elements; ++k) {
      const std::set<std::size_t> in_set(sets[k].begin(), sets[k].end());
      const auto row = jp.row(k);
      EXPECT_EQ(std::set<std::size_t>(row.begin(), row.end()), in_set) << "trial " << trial << " row " << k;
    }
    EXPECT_TRUE(contains_all(entries_of(jp), nonzeros_of(tg::jacobian(elements_of, x0))));
  }
}

TEST(SparsityPattern, TensorsAreDenseBlocks) {
  // A tensor operation hides which inputs it reads: everything recorded before it is
  // taken to interact. The scalar part after it stays exact.
  auto f = [](auto x) {
    using V = std::remove_cvref_t<decltype(x[0])>;
    const V s = tg::sum(tg::exp(tg::as_tensor(V(x[0] * x[1]))));
    return s + x[2] * x[3];
  };
  const std::vector<double> x{0.1, 0.2, 0.3, 0.4};
  const Entries pattern = entries_of(tg::hessian_pattern(f, x));
  EXPECT_TRUE(contains_all(pattern, nonzeros_of(tg::hessian(f, x))));
  EXPECT_TRUE(pattern.contains({0, 0}) && pattern.contains({1, 1}) && pattern.contains({2, 3}));
}
