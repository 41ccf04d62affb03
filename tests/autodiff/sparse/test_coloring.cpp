// Colorings of sparse Jacobians and Hessians (autodiff/sparse/coloring.hpp), checked against
// their definitions written here independently:
//  - distance-2 (a Jacobian's columns): the columns of each row have distinct colors;
//  - star: adjacent vertices differ and every path on four vertices has at least three
//    colors (every such path is enumerated);
//  - acyclic: adjacent vertices differ and every cycle has at least three colors, that is,
//    the vertices of any two colors induce a forest (checked pair by pair with union-find);
// then the recovery: M with the pattern and random values, B = M·S computed here, and every
// nonzero recovered from B (the same bits for a direct recovery, to 1e-14 relative for a
// substitution); and the color counts on patterns whose optimum is known.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <set>
#include <span>
#include <string>
#include <tapegrad/autodiff/sparse/coloring.hpp>
#include <tapegrad/autodiff/support/error.hpp>
#include <vector>

#include "../../support/allocation_counter.hpp"

namespace coloring_test {

namespace tg = tapegrad;
using ::testing::HasSubstr;
using Rows = std::vector<std::vector<std::uint32_t>>;

// ---------------------------------------------------------------------------------------
// Patterns

tg::SparsityPattern from_rows(std::size_t cols, const Rows& rows) {
  tg::SparsityPattern p;
  p.rows = rows.size();
  p.cols = cols;
  for (const auto& r : rows) {
    p.columns.insert(p.columns.end(), r.begin(), r.end());
    p.row_begin.push_back(p.columns.size());
  }
  return p;
}

// |i − j| ≤ b: a band of half-bandwidth b (b = 1: tridiagonal). Symmetric.
tg::SparsityPattern band(std::size_t n, std::size_t b) {
  Rows rows(n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i >= b ? i - b : 0; j <= std::min(n - 1, i + b); ++j)
      rows[i].push_back(static_cast<std::uint32_t>(j));
  return from_rows(n, rows);
}

// The 5-point stencil on an m × m grid (point (x, y) is x·m + y). Symmetric.
tg::SparsityPattern stencil(std::size_t m) {
  Rows rows(m * m);
  for (std::size_t x = 0; x < m; ++x)
    for (std::size_t y = 0; y < m; ++y) {
      const auto i = static_cast<std::uint32_t>(x * m + y);
      auto& r = rows[i];
      if (x > 0) r.push_back(i - static_cast<std::uint32_t>(m));
      if (y > 0) r.push_back(i - 1);
      r.push_back(i);
      if (y + 1 < m) r.push_back(i + 1);
      if (x + 1 < m) r.push_back(i + static_cast<std::uint32_t>(m));
    }
  return from_rows(m * m, rows);
}

// Variable 0 interacts with every other; the others only with 0 and themselves.
tg::SparsityPattern arrowhead(std::size_t n) {
  Rows rows(n);
  for (std::size_t j = 0; j < n; ++j) rows[0].push_back(static_cast<std::uint32_t>(j));
  for (std::size_t i = 1; i < n; ++i) rows[i] = {0, static_cast<std::uint32_t>(i)};
  return from_rows(n, rows);
}

// Dense diagonal blocks of size k.
tg::SparsityPattern block_diagonal(std::size_t blocks, std::size_t k) {
  Rows rows(blocks * k);
  for (std::size_t i = 0; i < blocks * k; ++i)
    for (std::size_t j = i / k * k; j < (i / k + 1) * k; ++j)
      rows[i].push_back(static_cast<std::uint32_t>(j));
  return from_rows(blocks * k, rows);
}

// Each entry present with probability `density`.
tg::SparsityPattern random_pattern(std::size_t rows, std::size_t cols, double density, unsigned seed) {
  std::mt19937 random(seed);
  std::bernoulli_distribution present(density);
  Rows r(rows);
  for (auto& row : r)
    for (std::size_t j = 0; j < cols; ++j)
      if (present(random)) row.push_back(static_cast<std::uint32_t>(j));
  return from_rows(cols, r);
}

// A random symmetric pattern: `per_row` random partners for each variable, and the diagonal
// where `diagonal` says.
tg::SparsityPattern random_symmetric(std::size_t n, int per_row, unsigned seed, bool diagonal = true) {
  std::mt19937 random(seed);
  std::vector<std::set<std::uint32_t>> s(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (diagonal) s[i].insert(static_cast<std::uint32_t>(i));
    for (int k = 0; k < per_row; ++k) {
      const auto j = static_cast<std::uint32_t>(random() % n);
      if (j == i) continue;
      s[i].insert(j);
      s[j].insert(static_cast<std::uint32_t>(i));
    }
  }
  Rows rows(n);
  for (std::size_t i = 0; i < n; ++i) rows[i].assign(s[i].begin(), s[i].end());
  return from_rows(n, rows);
}

// ---------------------------------------------------------------------------------------
// The definitions

// Every column with a nonzero has a color in [0, colors); every column without has −1.
void expect_colors_in_range(const tg::SparsityPattern& p, const tg::ColumnColoring& c) {
  ASSERT_EQ(c.color().size(), p.cols);
  std::vector<bool> used(p.cols, false);
  for (const std::uint32_t j : p.columns) used[j] = true;
  std::vector<bool> color_used(c.colors(), false);
  for (std::size_t j = 0; j < p.cols; ++j) {
    if (!used[j]) {
      EXPECT_EQ(c.color()[j], -1) << "column " << j << " has no nonzero";
      continue;
    }
    ASSERT_GE(c.color()[j], 0) << "column " << j;
    ASSERT_LT(static_cast<std::size_t>(c.color()[j]), c.colors()) << "column " << j;
    color_used[static_cast<std::size_t>(c.color()[j])] = true;
  }
  EXPECT_EQ(std::count(color_used.begin(), color_used.end(), false), 0) << "a color no column has";
}

// Distance-2: the columns of each row have distinct colors.
bool distance2_valid(const tg::SparsityPattern& p, std::span<const int> color) {
  for (std::size_t i = 0; i < p.rows; ++i) {
    std::set<int> seen;
    for (const std::uint32_t j : p.row(i))
      if (!seen.insert(color[j]).second) return false;
  }
  return true;
}

// The adjacency graph of a symmetric pattern (no self loops).
std::vector<std::vector<std::uint32_t>> graph_of(const tg::SparsityPattern& p) {
  std::vector<std::vector<std::uint32_t>> adjacent(p.rows);
  for (std::size_t i = 0; i < p.rows; ++i)
    for (const std::uint32_t j : p.row(i))
      if (j != i) adjacent[i].push_back(j);
  return adjacent;
}

bool proper(const std::vector<std::vector<std::uint32_t>>& g, std::span<const int> color) {
  for (std::size_t v = 0; v < g.size(); ++v)
    for (const std::uint32_t w : g[v])
      if (color[v] == color[w]) return false;
  return true;
}

// Star: proper, and no path a–b–c–d (four distinct vertices) colored x, y, x, y.
bool star_valid(const std::vector<std::vector<std::uint32_t>>& g, std::span<const int> color) {
  if (!proper(g, color)) return false;
  for (std::size_t b = 0; b < g.size(); ++b)
    for (const std::uint32_t c : g[b])
      for (const std::uint32_t a : g[b]) {
        if (a == c || color[a] != color[c]) continue;
        for (const std::uint32_t d : g[c])
          if (d != b && d != a && color[d] == color[b]) return false;
      }
  return true;
}

// Acyclic: proper, and for each pair of colors the vertices of those colors induce a forest.
bool acyclic_valid(const std::vector<std::vector<std::uint32_t>>& g, std::span<const int> color, int colors) {
  if (!proper(g, color)) return false;
  std::vector<std::uint32_t> parent(g.size());
  const auto find = [&](std::uint32_t v) {
    while (parent[v] != v) v = parent[v] = parent[parent[v]];
    return v;
  };
  for (int x = 0; x < colors; ++x)
    for (int y = x + 1; y < colors; ++y) {
      std::iota(parent.begin(), parent.end(), 0U);
      for (std::uint32_t v = 0; v < g.size(); ++v)
        for (const std::uint32_t w : g[v]) {
          if (w < v || !((color[v] == x && color[w] == y) || (color[v] == y && color[w] == x))) continue;
          const std::uint32_t rv = find(v), rw = find(w);
          if (rv == rw) return false;  // the edge closes a cycle in colors x and y
          parent[rv] = rw;
        }
    }
  return true;
}

// The fewest colors of a star coloring of `g`, by exhaustive search (vertices in order, a
// new color only as the next unused one). Small graphs only.
int star_chromatic_number(const std::vector<std::vector<std::uint32_t>>& g) {
  const std::size_t n = g.size();
  std::vector<int> color(n, -1);
  // Whether v, just colored, lies on a two-colored path on four colored vertices or has a
  // neighbour of its color.
  const auto bad = [&](std::uint32_t v) {
    for (const std::uint32_t w : g[v])
      if (color[w] == color[v]) return true;
    // v at an end (v–x–w–y) or inside (a–v–x–w).
    for (const std::uint32_t x : g[v]) {
      if (color[x] < 0) continue;
      for (const std::uint32_t w : g[x]) {
        if (w == v || color[w] != color[v]) continue;
        for (const std::uint32_t y : g[w])
          if (y != x && y != v && color[y] == color[x]) return true;
        for (const std::uint32_t a : g[v])
          if (a != x && a != w && color[a] == color[x]) return true;
      }
    }
    return false;
  };
  for (int k = 1;; ++k) {
    std::fill(color.begin(), color.end(), -1);
    const auto search = [&](const auto& self, std::uint32_t v, int used) -> bool {
      if (v == n) return true;
      for (int c = 0; c < k && c <= used; ++c) {
        color[v] = c;
        if (!bad(v) && self(self, v + 1, std::max(used, c + 1))) return true;
      }
      color[v] = -1;
      return false;
    };
    if (search(search, 0, 0)) return k;
  }
}

// ---------------------------------------------------------------------------------------
// Recovery

// Random values in [0.5, 2) on the pattern (symmetric ones when `symmetric`), in the pattern's order.
std::vector<double> random_values(const tg::SparsityPattern& p, bool symmetric, unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> value(0.5, 2.0);
  std::vector<double> v(p.nonzeros());
  for (std::size_t i = 0; i < p.rows; ++i)
    for (std::size_t k = p.row_begin[i]; k < p.row_begin[i + 1]; ++k) {
      const std::uint32_t j = p.columns[k];
      if (symmetric && j < i) {  // the mirror, already drawn
        const auto r = p.row(j);
        v[k] =
            v[p.row_begin[j] + static_cast<std::size_t>(std::lower_bound(r.begin(), r.end(), i) - r.begin())];
      } else {
        v[k] = value(random);
      }
    }
  return v;
}

// B = M·S (rows × colors, column-major), S(j, color(j)) = 1.
std::vector<double> compress(const tg::SparsityPattern& p, std::span<const double> values,
                             const tg::ColumnColoring& c) {
  std::vector<double> b(p.rows * c.colors(), 0.0);
  for (std::size_t i = 0; i < p.rows; ++i)
    for (std::size_t k = p.row_begin[i]; k < p.row_begin[i + 1]; ++k)
      b[i + p.rows * static_cast<std::size_t>(c.color()[p.columns[k]])] += values[k];
  return b;
}

// Colors `p`'s columns checks the coloring by its definition, recovers random values.
void expect_recovered(const tg::SparsityPattern& p, const tg::ColumnColoring& c, unsigned seed) {
  const std::vector<double> truth = random_values(p, c.symmetric(), seed);
  const std::vector<double> b = compress(p, truth, c);
  std::vector<double> recovered(p.nonzeros(), -1.0);
  c.recover(b, recovered);
  for (std::size_t i = 0; i < p.rows; ++i)
    for (std::size_t k = p.row_begin[i]; k < p.row_begin[i + 1]; ++k) {
      if (c.direct()) {
        ASSERT_EQ(recovered[k], truth[k]) << "nonzero (" << i << ", " << p.columns[k] << ")";
      } else {
        ASSERT_LE(std::abs(recovered[k] - truth[k]), 1e-14 * std::abs(truth[k]))
            << "nonzero (" << i << ", " << p.columns[k] << "): " << recovered[k] << " for " << truth[k];
      }
    }
}

tg::ColumnColoring checked_jacobian(const tg::SparsityPattern& p,
                                    tg::ColoringOrder order = tg::ColoringOrder::Best) {
  tg::ColumnColoring c = tg::color_jacobian(p, order);
  EXPECT_EQ(c.pattern(), p);
  EXPECT_FALSE(c.symmetric());
  EXPECT_TRUE(c.direct());
  expect_colors_in_range(p, c);
  EXPECT_TRUE(distance2_valid(p, c.color()));
  expect_recovered(p, c, 11);
  return c;
}

tg::ColumnColoring checked_hessian(const tg::SparsityPattern& p, tg::SymmetricColoring kind,
                                   tg::ColoringOrder order = tg::ColoringOrder::Best) {
  tg::ColumnColoring c = tg::color_hessian(p, kind, order);
  EXPECT_EQ(c.pattern(), p);
  EXPECT_TRUE(c.symmetric());
  EXPECT_EQ(c.direct(), kind == tg::SymmetricColoring::Star || p.nonzeros() == 0);
  expect_colors_in_range(p, c);
  const auto g = graph_of(p);
  if (kind == tg::SymmetricColoring::Star)
    EXPECT_TRUE(star_valid(g, c.color()));
  else
    EXPECT_TRUE(acyclic_valid(g, c.color(), static_cast<int>(c.colors())));
  expect_recovered(p, c, 12);
  return c;
}

// A tapegrad::Error whose message holds `part`.
template <class F>
void expect_error(F f, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "no tapegrad::Error; expected one saying \"" << part << "\"";
  } catch (const tg::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(part));
  }
}

// ---------------------------------------------------------------------------------------
// The checker itself

TEST(ColoringDefinitions, TellValidColoringsFromInvalidOnes) {
  const auto path = graph_of(band(4, 1));  // 0–1–2–3
  const std::vector<int> two{0, 1, 0, 1}, three{0, 1, 0, 2}, clash{0, 0, 1, 2};
  EXPECT_FALSE(star_valid(path, two));  // the path itself is two-colored
  EXPECT_TRUE(star_valid(path, three));
  EXPECT_FALSE(star_valid(path, clash));
  EXPECT_TRUE(acyclic_valid(path, two, 2));                                      // a path has no cycle
  const auto square = graph_of(from_rows(4, {{1, 3}, {0, 2}, {1, 3}, {0, 2}}));  // the cycle 0–1–2–3–0
  EXPECT_FALSE(acyclic_valid(square, two, 2));
  EXPECT_TRUE(acyclic_valid(square, three, 3));
  const auto tri = band(3, 1);
  EXPECT_TRUE(distance2_valid(tri, std::vector<int>{0, 1, 2}));
  EXPECT_FALSE(distance2_valid(tri, std::vector<int>{0, 1, 0}));  // columns 0 and 2 share row 1
}

// ---------------------------------------------------------------------------------------
// Jacobians

TEST(ColorJacobian, TridiagonalTakesThreeColors) {
  // Each inner row has three nonzeros, so at least 3; j mod 3 is a coloring.
  const tg::ColumnColoring c = checked_jacobian(band(100, 1));
  EXPECT_EQ(c.colors(), 3U);
}

TEST(ColorJacobian, BandTakesTwiceTheHalfBandwidthPlusOne) {
  // A full row of a band of half-bandwidth b has 2b + 1 nonzeros, and j mod (2b + 1) is a
  // coloring: the optimum is 2b + 1.
  for (const std::size_t b : {2U, 3U, 6U}) {
    const tg::ColumnColoring c = checked_jacobian(band(200, b));
    EXPECT_GE(c.colors(), 2 * b + 1) << "b = " << b;
    EXPECT_LE(c.colors(), 2 * b + 2) << "b = " << b;
  }
}

TEST(ColorJacobian, FivePointStencilTakesFiveColors) {
  // An inner row has 5 nonzeros; (x + 2y) mod 5 is a coloring. Only some of ColPack's
  // orderings find 5 (Natural and LargestFirst give 7): Best tries them.
  const tg::ColumnColoring c = checked_jacobian(stencil(30));
  EXPECT_GE(c.colors(), 5U);
  EXPECT_LE(c.colors(), 6U);
  EXPECT_EQ(c.colors(), 5U);
}

TEST(ColorJacobian, EveryOrderingColorsValidlyAndBestIsTheFewest) {
  for (const auto& p : {stencil(20), random_pattern(120, 90, 0.05, 3), band(50, 4)}) {
    std::size_t fewest = SIZE_MAX;
    for (const tg::ColoringOrder order :
         {tg::ColoringOrder::Natural, tg::ColoringOrder::LargestFirst, tg::ColoringOrder::SmallestLast,
          tg::ColoringOrder::IncidenceDegree}) {
      const tg::ColumnColoring c = checked_jacobian(p, order);
      EXPECT_EQ(c.order(), order);
      fewest = std::min(fewest, c.colors());
    }
    const tg::ColumnColoring best = checked_jacobian(p);
    EXPECT_EQ(best.colors(), fewest);
    EXPECT_NE(best.order(), tg::ColoringOrder::Best);
    EXPECT_GE(best.seconds(), 0.0);
  }
}

TEST(ColorJacobian, AnOrderingThatLeavesAColumnOutIsPassedOverOrRefused) {
  // Distance-2 degrees 1, 3, 2, 2: ColPack's largest-first ordering of these columns keeps
  // degrees 3 down to 2 only (it updates its smallest degree only for columns that did not
  // raise its largest), so column 0 is left out, and coloring in that order would read past
  // its end.
  const tg::SparsityPattern p = from_rows(4, {{0, 1}, {1, 2}, {2, 3}, {1, 3}});
  expect_error([&] { tg::color_jacobian(p, tg::ColoringOrder::LargestFirst); },
               "color_jacobian: ColPack's LARGEST_FIRST ordering left column 0 out; choose another "
               "ColoringOrder");
  EXPECT_EQ(checked_jacobian(p).colors(), 3U);
}

TEST(ColorJacobian, RandomPatternsAreColoredAndRecovered) {
  for (unsigned seed = 1; seed <= 6; ++seed) checked_jacobian(random_pattern(80 + seed * 10, 60, 0.06, seed));
  // A dense row makes every column a color of its own.
  Rows rows(5);
  for (std::uint32_t j = 0; j < 40; ++j) rows[2].push_back(j);
  EXPECT_EQ(checked_jacobian(from_rows(40, rows)).colors(), 40U);
}

TEST(ColorJacobian, DiagonalAndBlockDiagonal) {
  EXPECT_EQ(checked_jacobian(band(50, 0)).colors(), 1U);
  // A dense block of k columns needs k colors, and k suffice for all blocks.
  EXPECT_EQ(checked_jacobian(block_diagonal(10, 4)).colors(), 4U);
}

TEST(ColorJacobian, EmptyPatternsAndEmptyRowsAndColumns) {
  const tg::ColumnColoring none = checked_jacobian(tg::SparsityPattern{});
  EXPECT_EQ(none.colors(), 0U);
  none.recover({}, {});

  const tg::SparsityPattern zero = from_rows(7, Rows(4));  // 4 × 7, no nonzeros
  const tg::ColumnColoring c = checked_jacobian(zero);
  EXPECT_EQ(c.colors(), 0U);
  EXPECT_THAT(std::vector<int>(c.color().begin(), c.color().end()), ::testing::Each(-1));

  // Row 1 and column 3 empty.
  const tg::SparsityPattern gaps = from_rows(5, {{0, 1}, {}, {1, 2, 4}, {0, 4}});
  const tg::ColumnColoring g = checked_jacobian(gaps);
  EXPECT_EQ(g.color()[3], -1);
  EXPECT_EQ(g.colors(), 3U);

  const tg::ColumnColoring one = checked_jacobian(from_rows(1, {{0}}));
  EXPECT_EQ(one.colors(), 1U);
  double value = 0;
  const double b = 2.5;
  one.recover({&b, 1}, {&value, 1});
  EXPECT_EQ(value, 2.5);
}

// ---------------------------------------------------------------------------------------
// Hessians

TEST(ColorHessian, BandStarColoringTakesTwiceTheHalfBandwidthPlusOne) {
  // The star chromatic number of a band of half-bandwidth b (the b-th power of a path) is
  // 2b + 1 once it has 3b + 1 or more columns — not b + 1, the acyclic one below: a star
  // coloring of a band gains nothing from symmetry. Upper bound: i mod (2b + 1), checked
  // here to be a star coloring for every b tested. Lower bound: the exhaustive search here
  // for b ≤ 3 (an exhaustive search with another checker agreed up to b = 4 while this test
  // was written). For b = 6, 2b + 1 is therefore the upper bound, and the lower bound
  // assumed to continue the pattern.
  for (const std::size_t b : {1U, 2U, 3U}) {
    const auto small = graph_of(band(3 * b + 3, b));
    EXPECT_EQ(star_chromatic_number(small), static_cast<int>(2 * b + 1)) << "b = " << b;
  }
  for (const std::size_t b : {1U, 2U, 3U, 6U}) {
    const tg::SparsityPattern p = band(300, b);
    std::vector<int> periodic(p.cols);
    for (std::size_t i = 0; i < p.cols; ++i) periodic[i] = static_cast<int>(i % (2 * b + 1));
    EXPECT_TRUE(star_valid(graph_of(p), periodic)) << "b = " << b;
    const tg::ColumnColoring c = checked_hessian(p, tg::SymmetricColoring::Star);
    if (b <= 3) {
      EXPECT_GE(c.colors(), 2 * b + 1) << "b = " << b;
    }
    EXPECT_LE(c.colors(), 2 * b + 2) << "b = " << b;
  }
}

TEST(ColorHessian, BandAcyclicColoringTakesTheHalfBandwidthPlusOne) {
  // Any b + 1 consecutive columns are a clique, so at least b + 1; i mod (b + 1) is acyclic
  // (two colors of it induce paths), so b + 1 is the optimum (Powell and Toint's
  // substitution for banded Hessians).
  for (const std::size_t b : {1U, 2U, 3U, 6U}) {
    const tg::ColumnColoring c = checked_hessian(band(300, b), tg::SymmetricColoring::Acyclic);
    EXPECT_GE(c.colors(), b + 1) << "b = " << b;
    EXPECT_LE(c.colors(), b + 2) << "b = " << b;
  }
}

TEST(ColorHessian, ArrowheadStarColoringTakesTwoColors) {
  // The hub one color, every other variable the other: each two-colored path is a star.
  for (const auto kind : {tg::SymmetricColoring::Star, tg::SymmetricColoring::Acyclic}) {
    const tg::ColumnColoring c = checked_hessian(arrowhead(200), kind);
    EXPECT_EQ(c.colors(), 2U);
  }
}

TEST(ColorHessian, DiagonalAndBlockDiagonal) {
  for (const auto kind : {tg::SymmetricColoring::Star, tg::SymmetricColoring::Acyclic}) {
    EXPECT_EQ(checked_hessian(band(50, 0), kind).colors(), 1U);
    // A block of k is a clique: k colors, which suffice for every block.
    EXPECT_EQ(checked_hessian(block_diagonal(10, 4), kind).colors(), 4U);
  }
}

TEST(ColorHessian, StencilAndRandomPatternsAreColoredAndRecovered) {
  // The grid graph of a 5-point stencil: star chromatic number 5 and acyclic chromatic
  // number 3 from 4 × 4 points on. Lower bounds: the search here finds no star coloring of
  // the 4 × 4 grid (a subgraph of every larger one) with 4 colors, and two colors leave
  // every 4-cycle two-colored. Upper bounds: (x + 2y) mod 5 is a star coloring and
  // (x + y) mod 3 an acyclic one, both checked here. ColPack's colorings are allowed one
  // more.
  EXPECT_EQ(star_chromatic_number(graph_of(stencil(4))), 5);
  const std::size_t m = 25;
  std::vector<int> star(m * m), acyclic(m * m);
  for (std::size_t x = 0; x < m; ++x)
    for (std::size_t y = 0; y < m; ++y) {
      star[x * m + y] = static_cast<int>((x + 2 * y) % 5);
      acyclic[x * m + y] = static_cast<int>((x + y) % 3);
    }
  EXPECT_TRUE(star_valid(graph_of(stencil(m)), star));
  EXPECT_TRUE(acyclic_valid(graph_of(stencil(m)), acyclic, 3));
  for (const auto kind : {tg::SymmetricColoring::Star, tg::SymmetricColoring::Acyclic}) {
    const tg::ColumnColoring s = checked_hessian(stencil(m), kind);
    const std::size_t optimum = kind == tg::SymmetricColoring::Star ? 5 : 3;
    EXPECT_GE(s.colors(), optimum);
    EXPECT_LE(s.colors(), optimum + 1);
    for (unsigned seed = 1; seed <= 4; ++seed)
      checked_hessian(random_symmetric(150, 2, seed, seed % 2 == 0), kind);
  }
}

TEST(ColorHessian, EveryOrderingColorsValidlyAndBestIsTheFewest) {
  for (const auto kind : {tg::SymmetricColoring::Star, tg::SymmetricColoring::Acyclic})
    for (const auto& p : {stencil(15), random_symmetric(200, 3, 5)}) {
      std::size_t fewest = SIZE_MAX;
      for (const tg::ColoringOrder order :
           {tg::ColoringOrder::Natural, tg::ColoringOrder::LargestFirst, tg::ColoringOrder::SmallestLast,
            tg::ColoringOrder::IncidenceDegree}) {
        const tg::ColumnColoring c = checked_hessian(p, kind, order);
        EXPECT_EQ(c.order(), order);
        if (order != tg::ColoringOrder::IncidenceDegree) fewest = std::min(fewest, c.colors());
      }
      EXPECT_EQ(checked_hessian(p, kind).colors(), fewest);
    }
}

TEST(ColorHessian, EmptyPatternsIsolatedVariablesAndOneByOne) {
  for (const auto kind : {tg::SymmetricColoring::Star, tg::SymmetricColoring::Acyclic}) {
    const tg::ColumnColoring none = checked_hessian(tg::SparsityPattern{}, kind);
    EXPECT_EQ(none.colors(), 0U);
    const tg::ColumnColoring zero = checked_hessian(from_rows(6, Rows(6)), kind);
    EXPECT_EQ(zero.colors(), 0U);
    EXPECT_THAT(std::vector<int>(zero.color().begin(), zero.color().end()), ::testing::Each(-1));

    // Variable 2 appears nowhere; variable 4 only on the diagonal; 1 has no diagonal entry.
    const tg::SparsityPattern gaps = from_rows(5, {{0, 1, 3}, {0, 3}, {}, {0, 1, 3}, {4}});
    const tg::ColumnColoring g = checked_hessian(gaps, kind);
    EXPECT_EQ(g.color()[2], -1);
    EXPECT_GE(g.color()[4], 0);

    const tg::ColumnColoring one = checked_hessian(from_rows(1, {{0}}), kind);
    EXPECT_EQ(one.colors(), 1U);
    double value = 0;
    const double b = -3.25;
    one.recover({&b, 1}, {&value, 1});
    EXPECT_EQ(value, -3.25);
  }
}

TEST(ColorHessian, CopiesRecoverAfterTheOriginalIsGone) {
  const tg::SparsityPattern p = random_symmetric(100, 3, 9);
  std::vector<tg::ColumnColoring> copies;
  {
    const tg::ColumnColoring c = tg::color_hessian(p, tg::SymmetricColoring::Acyclic);
    copies.push_back(c);
  }
  expect_recovered(p, copies.front(), 4);
}

TEST(ColumnColoring, DirectRecoveryAllocatesNothing) {
  const tg::SparsityPattern p = stencil(20);
  for (const tg::ColumnColoring& c : {tg::color_jacobian(p), tg::color_hessian(p)}) {
    const std::vector<double> b = compress(p, random_values(p, true, 1), c);
    std::vector<double> values(p.nonzeros());
    c.recover(b, values);
    const long before = tg::testing::allocation_count();
    c.recover(b, values);
    EXPECT_EQ(tg::testing::allocation_count(), before);
  }
}

TEST(ColumnColoring, ColoringTheSamePatternTwiceGivesTheSameColors) {
  const tg::SparsityPattern p = random_symmetric(300, 3, 2);
  const tg::ColumnColoring a = tg::color_jacobian(p), b = tg::color_jacobian(p);
  EXPECT_TRUE(std::ranges::equal(a.color(), b.color()));
  const tg::ColumnColoring s = tg::color_hessian(p), t = tg::color_hessian(p);
  EXPECT_TRUE(std::ranges::equal(s.color(), t.color()));
}

// ---------------------------------------------------------------------------------------
// Patterns and bad input

TEST(SparsityPattern, RowsContainsAndEquality) {
  const tg::SparsityPattern p = from_rows(5, {{0, 3}, {}, {1, 2, 4}});
  EXPECT_EQ(p.nonzeros(), 5U);
  EXPECT_TRUE(p.contains(0, 3));
  EXPECT_FALSE(p.contains(0, 2));
  EXPECT_FALSE(p.contains(1, 0));
  EXPECT_TRUE(p.contains(2, 4));
  EXPECT_FALSE(p.contains(3, 0));  // no row 3
  EXPECT_FALSE(p.contains(0, 99));
  EXPECT_EQ(p.row(2).size(), 3U);
  EXPECT_TRUE(p.row(1).empty());
  EXPECT_THROW(p.row(3), tg::Error);
  EXPECT_EQ(p, from_rows(5, {{0, 3}, {}, {1, 2, 4}}));
  EXPECT_NE(p, from_rows(6, {{0, 3}, {}, {1, 2, 4}}));
  EXPECT_NO_THROW(p.check("test"));
  EXPECT_NO_THROW(tg::SparsityPattern{}.check("test"));
}

TEST(SparsityPattern, BadPatternsAreRefusedByName) {
  expect_error(
      [] {
        tg::color_jacobian(from_rows(5, {{0, 3, 2}}));
      },
      "color_jacobian: row 0's columns are not sorted (2 after 3)");
  expect_error(
      [] {
        tg::color_jacobian(from_rows(5, {{1}, {0, 2, 2}}));
      },
      "row 1 of the pattern repeats column 2");
  expect_error(
      [] {
        tg::color_hessian(from_rows(3, {{0}, {0, 3}, {2}}));
      },
      "color_hessian: row 1 of the pattern has column 3, outside its 3 columns");
  tg::SparsityPattern short_rows = from_rows(4, {{0}, {1}});
  short_rows.rows = 3;
  expect_error([&] { tg::color_jacobian(short_rows); },
               "row_begin has 3 entries for 3 rows (it needs rows + 1 = 4)");
  tg::SparsityPattern bad_end = from_rows(4, {{0}, {1}});
  bad_end.columns.push_back(2);
  expect_error([&] { tg::color_jacobian(bad_end); }, "row_begin ends at 2, but columns has 3 entries");
  tg::SparsityPattern bad_start = from_rows(4, {{0}, {1}});
  bad_start.row_begin.front() = 1;
  expect_error([&] { bad_start.check("mine"); }, "mine: the pattern's row_begin starts at 1, not 0");
}

TEST(SparsityPattern, HessianPatternsMustBeSquareAndSymmetric) {
  expect_error([] { tg::color_hessian(from_rows(3, {{0, 1}, {0, 1}})); }, "the pattern is 2 × 3, not square");
  expect_error(
      [] {
        tg::color_hessian(from_rows(3, {{0, 2}, {1}, {2}}));
      },
      "color_hessian: the pattern is not symmetric: (0, 2) is a nonzero but (2, 0) is not");
  expect_error(
      [] {
        tg::color_hessian(from_rows(2, {{0}, {0, 1}}), tg::SymmetricColoring::Acyclic);
      },
      "(1, 0) is a nonzero but (0, 1) is not");
}

TEST(ColumnColoring, RecoverRefusesWrongSizes) {
  const tg::SparsityPattern p = band(10, 1);
  for (const tg::ColumnColoring& c :
       {tg::color_jacobian(p), tg::color_hessian(p), tg::color_hessian(p, tg::SymmetricColoring::Acyclic)}) {
    std::vector<double> b(p.rows * c.colors()), values(p.nonzeros());
    const std::vector<double> short_b(b.size() - 1);
    expect_error([&] { c.recover(short_b, values); },
                 "ColumnColoring::recover: the compressed matrix has " + std::to_string(short_b.size()) +
                     " entries; it must have rows × colors = 10 × " + std::to_string(c.colors()) + " = " +
                     std::to_string(b.size()));
    std::vector<double> long_values(p.nonzeros() + 1);
    expect_error([&] { c.recover(b, long_values); }, "room for 29 values; the pattern has 28 nonzeros");
  }
}

TEST(ColumnColoring, DefaultIsTheEmptyPattern) {
  const tg::ColumnColoring c;
  EXPECT_EQ(c.colors(), 0U);
  EXPECT_TRUE(c.color().empty());
  EXPECT_EQ(c.pattern(), tg::SparsityPattern{});
  c.recover({}, {});
}

}  // namespace coloring_test
