// The shard rule and the fixed summation tree: the nodes a block of shards sums itself
// partition the block and are tree nodes; summing any such partition up the tree gives
// the bits of adding the shards level by level (stride 1, 2, 4, … — the order the
// tree is defined by, written here independently).
#include <gtest/gtest.h>

#include <random>
#include <tapegrad/autodiff/parallel/shard_tree.hpp>
#include <vector>

namespace {

namespace tg = tapegrad;

TEST(ShardRule, CutsABatchIntoNearEqualContiguousShards) {
  const tg::ShardRule rule{.min_rows = 64, .max_shards = 4};
  EXPECT_EQ(rule.shards(512), 4);  // at most max_shards
  EXPECT_EQ(rule.shards(128), 2);
  EXPECT_EQ(rule.shards(127), 1);  // at least min_rows rows each
  EXPECT_EQ(rule.shards(1), 1);
  EXPECT_EQ(rule.shards(0), 0);
  EXPECT_THROW((tg::ShardRule{.min_rows = 0}.shards(10)), tg::Error);
  EXPECT_THROW((tg::ShardRule{.max_shards = 0}.shards(10)), tg::Error);
  // 10 rows in 3 shards: 4, 3, 3.
  EXPECT_EQ(tg::even_part(10, 3, 0).begin, 0);
  EXPECT_EQ(tg::even_part(10, 3, 0).end, 4);
  EXPECT_EQ(tg::even_part(10, 3, 1).end, 7);
  EXPECT_EQ(tg::even_part(10, 3, 2).end, 10);
  // More parts than items: the last ones are empty.
  EXPECT_EQ(tg::even_part(2, 4, 3).size(), 0);
}

// The definition: at stride 1, 2, 4, …, shard s (a multiple of twice the stride) takes
// shard s + stride's running sum.
std::vector<float> level_by_level(std::vector<std::vector<float>> shards) {
  for (std::size_t stride = 1; stride < shards.size(); stride *= 2)
    for (std::size_t s = 0; s + stride < shards.size(); s += 2 * stride)
      for (std::size_t i = 0; i < shards[s].size(); ++i) shards[s][i] += shards[s + stride][i];
  return shards[0];
}

TEST(ShardTree, AnyBlockPartitionSumsToTheSameBits) {
  std::mt19937 random(7);
  std::uniform_real_distribution<float> value(-1000, 1000);
  constexpr Eigen::Index entries = 37;
  for (Eigen::Index shards = 1; shards <= 17; ++shards) {
    std::vector<std::vector<float>> leaves(static_cast<std::size_t>(shards), std::vector<float>(entries));
    for (auto& leaf : leaves)
      for (float& v : leaf) v = value(random) * std::pow(10.0f, static_cast<float>(random() % 7) - 3);
    const std::vector<float> expected = level_by_level(leaves);

    for (Eigen::Index processes = 1; processes <= 5; ++processes) {
      // Each process sums its block's nodes from its leaves...
      std::vector<tg::detail::TreeNode> all_nodes;
      std::vector<std::vector<float>> node_sums;
      for (Eigen::Index p = 0; p < processes; ++p) {
        const tg::ShardRange block = tg::even_part(shards, processes, p);
        std::vector<tg::detail::TreeNode> own, leaf_nodes;
        tg::detail::tree_nodes_in(shards, block.begin, block.end, own);
        std::vector<std::vector<float>> scratch;
        std::vector<float*> pointers;
        for (Eigen::Index s = block.begin; s < block.end; ++s) {
          leaf_nodes.push_back({s, s + 1, 0});
          scratch.push_back(leaves[static_cast<std::size_t>(s)]);
        }
        for (auto& b : scratch) pointers.push_back(b.data());
        Eigen::Index covered = block.begin;
        for (const tg::detail::TreeNode& node : own) {
          ASSERT_EQ(node.begin, covered) << "the nodes partition the block";
          ASSERT_EQ(node.begin % (Eigen::Index{1} << node.level), 0) << "a node is aligned to its size";
          ASSERT_EQ(node.end, std::min(node.begin + (Eigen::Index{1} << node.level), shards));
          covered = node.end;
          tg::detail::sum_tree_node<float>(leaf_nodes, pointers, shards, node.begin, node.level, 0, entries);
          node_sums.push_back(scratch[static_cast<std::size_t>(node.begin - block.begin)]);
          all_nodes.push_back(node);
        }
        ASSERT_EQ(covered, block.end);
      }
      // ...and the gathered nodes are summed up to the root.
      std::vector<float*> pointers;
      for (auto& n : node_sums) pointers.push_back(n.data());
      tg::detail::sum_tree_node<float>(all_nodes, pointers, shards, 0, tg::detail::tree_height(shards), 0,
                                       entries);
      EXPECT_EQ(node_sums[0], expected) << shards << " shards on " << processes << " processes";
    }
  }
}

TEST(ShardTree, AnIncompletePartitionIsAnError) {
  std::vector<tg::detail::TreeNode> nodes{{0, 1, 0}, {2, 3, 0}};  // shard 1 missing
  std::vector<float> a(1), b(1);
  std::vector<float*> pointers{a.data(), b.data()};
  EXPECT_THROW(tg::detail::sum_tree_node<float>(nodes, pointers, 3, 0, 2, 0, 1), tg::Error);
}

}  // namespace
