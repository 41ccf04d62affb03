// Binomial checkpointing's counts: revolve_advances() against the fewest advances found by
// trying every first split (dynamic programming over the recursion of revolve.hpp), and
// revolve_split() as one of the splits that reach it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <tapegrad/tapegrad.hpp>
#include <vector>

namespace tg = tapegrad;

namespace {

constexpr std::uint64_t max_steps = 120;
constexpr std::uint64_t max_snapshots = 9;

// fewest[s][l]: the fewest advances reversing l steps with s states kept (the start
// among them): from a kept state, advance j, keep it, reverse the l − j after it with
// s − 1 states, then the j before it with s; with one state, advance from the start to
// each step in turn (0 + 1 + … + l−1).
std::vector<std::vector<std::uint64_t>> fewest_advances() {
  std::vector<std::vector<std::uint64_t>> fewest(max_snapshots + 1,
                                                 std::vector<std::uint64_t>(max_steps + 1, 0));
  for (std::uint64_t l = 0; l <= max_steps; ++l) fewest[1][l] = l * (l > 0 ? l - 1 : 0) / 2;
  for (std::uint64_t s = 2; s <= max_snapshots; ++s)
    for (std::uint64_t l = 2; l <= max_steps; ++l) {
      std::uint64_t best = std::numeric_limits<std::uint64_t>::max();
      for (std::uint64_t j = 1; j < l; ++j) best = std::min(best, j + fewest[s - 1][l - j] + fewest[s][j]);
      fewest[s][l] = best;
    }
  return fewest;
}

TEST(Revolve, AdvancesAreTheFewestPossible) {
  const auto fewest = fewest_advances();
  for (std::uint64_t s = 1; s <= max_snapshots; ++s)
    for (std::uint64_t l = 1; l <= max_steps; ++l)
      ASSERT_EQ(tg::revolve_advances(l, s), fewest[s][l]) << l << " steps, " << s << " snapshots";
}

TEST(Revolve, EverySplitReachesTheFewest) {
  const auto fewest = fewest_advances();
  for (std::uint64_t s = 2; s <= max_snapshots; ++s)
    for (std::uint64_t l = 2; l <= max_steps; ++l) {
      const std::uint64_t j = tg::detail::revolve_split(l, s);
      ASSERT_GE(j, 1u);
      ASSERT_LT(j, l);
      EXPECT_EQ(j + fewest[s - 1][l - j] + fewest[s][j], fewest[s][l])
          << l << " steps, " << s << " snapshots";
    }
}

// By hand: with every state kept, each step is advanced once on the way out (the last
// excepted); with only the start, step k is reached k times over; 10 steps with 3 states
// take r = 2 repetitions (β(3, 1) = 4 < 10 ≤ β(3, 2) = 10): 2·10 − β(4, 1) = 20 − 5 = 15.
TEST(Revolve, CountsDerivedByHand) {
  EXPECT_EQ(tg::revolve_advances(1000, 1000), 999u);
  EXPECT_EQ(tg::revolve_advances(1000, 5000), 999u);  // more snapshots than steps help no more
  EXPECT_EQ(tg::revolve_advances(100, 1), 4950u);
  EXPECT_EQ(tg::revolve_advances(10, 3), 15u);
  EXPECT_EQ(tg::revolve_advances(1, 1), 0u);
  EXPECT_EQ(tg::revolve_advances(0, 3), 0u);
}

// The counts stay exact at the largest loop checkpointed_loop accepts (2³¹ steps).
TEST(Revolve, LargestLoops) {
  const std::uint64_t l = std::uint64_t{1} << 31;
  EXPECT_EQ(tg::revolve_advances(l, 1), l * (l - 1) / 2);
  EXPECT_EQ(tg::revolve_advances(l, l), l - 1);
  const std::uint64_t two = tg::revolve_advances(l, 2);
  EXPECT_GT(two, l);
  EXPECT_LT(two, l * 65536);  // about l·√(2l)
}

}  // namespace
