/// \file
/// The two rules that make a data-parallel gradient the same bits on any number of
/// workers: how a batch is cut into shards (a rule of the batch alone), and the one
/// order in which shard gradients are added — a fixed binary tree over shard indices.
///
/// The tree over S shards: shard pairs (0,1), (2,3), … are added, then those sums
/// pairwise, and so on; a node [s, e) is the sum of shards s … e−1 in that order. A
/// worker that owns a contiguous block of shards sums the largest nodes inside its
/// block itself (tree_nodes_in); the nodes of all workers, added as the tree says
/// (sum_tree_node), give the root with the same bits as adding the shards one tree level
/// at a time — because each node's value is its two children's sum, whoever adds them.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "../support/error.hpp"

namespace tapegrad {

/// The rows [begin, end) of a minibatch that one shard holds.
struct ShardRange {
  Eigen::Index begin = 0;  ///< The first row.
  Eigen::Index end = 0;    ///< One past the last row.
  /// The number of rows.
  Eigen::Index size() const noexcept { return end - begin; }
};

/// How a minibatch is cut into shards: into as many as fit `min_rows` rows each, but at
/// most `max_shards` (at least one). A rule of the batch's size alone, so the gradient
/// is the same bits on any number of workers. Fewer, larger shards cost less: each
/// shard writes a whole gradient and the tree adds them (on 2 cores, the 784-1024-1024-10
/// network's epoch at batch 512 took 48 ms in 8 shards, 40 in 4, 36 in 2); more shards
/// let more workers share a batch.
struct ShardRule {
  /// Rows per shard at least (a batch smaller than this is one shard).
  Eigen::Index min_rows = 64;
  /// Shards per minibatch at most.
  Eigen::Index max_shards = 4;

  /// Throws for a rule that cannot cut anything.
  void validate() const {
    if (min_rows < 1) throw Error("shard min_rows = " + std::to_string(min_rows) + " (must be ≥ 1)");
    if (max_shards < 1) throw Error("shard max_shards = " + std::to_string(max_shards) + " (must be ≥ 1)");
  }
  /// The number of shards of a minibatch of `batch_rows` rows: clamp(batch_rows / min_rows, 1, max_shards).
  Eigen::Index shards(Eigen::Index batch_rows) const {
    validate();
    if (batch_rows <= 0) return 0;
    return std::clamp(batch_rows / min_rows, Eigen::Index{1}, max_shards);
  }
};

/// Part k of n near-equal contiguous parts of [0, total): the first total % n parts get
/// one more. Which rows a shard holds, and which shards a worker computes.
inline ShardRange even_part(Eigen::Index total, Eigen::Index n, Eigen::Index k) {
  const Eigen::Index base = total / n, extra = total % n;
  const Eigen::Index begin = k * base + std::min(k, extra);
  return {begin, begin + base + (k < extra ? 1 : 0)};
}

namespace detail {

// Shards [begin, end) summed in the tree's order.
struct TreeNode {
  Eigen::Index begin = 0, end = 0;
  int level = 0;  // the node is (begin, level): shards [begin, min(begin + 2^level, shards))
};

// The height of the tree over `shards` shards: the root is node (0, tree_height).
inline int tree_height(Eigen::Index shards) {
  int height = 0;
  while ((Eigen::Index{1} << height) < shards) ++height;
  return height;
}

// The largest tree nodes that lie inside the block [begin, end) of `shards` shards, in
// order; they partition the block. Appended to `nodes` (no allocation once it has room).
inline void tree_nodes_in(Eigen::Index shards, Eigen::Index begin, Eigen::Index end,
                          std::vector<TreeNode>& nodes) {
  for (Eigen::Index s = begin; s < end;) {
    int level = 0;
    for (;;) {
      const Eigen::Index next = Eigen::Index{1} << (level + 1);
      if (s % next != 0 || std::min(s + next, shards) > end || (next >> 1) >= shards) break;
      ++level;
    }
    const Eigen::Index node_end = std::min(s + (Eigen::Index{1} << level), shards);
    nodes.push_back({s, node_end, level});
    s = node_end;
  }
}

// Computes tree node (s, level) — shards [s, min(s + 2^level, shards)) — over elements
// [first, first + count) of the buffers, from `available` nodes that partition it:
// buffer j holds available node j's sum. The result is left in the buffer of the
// available node that starts at s; the others are used as scratch.
template <class T>
void sum_tree_node(std::span<const TreeNode> available, std::span<T* const> buffers, Eigen::Index shards,
                   Eigen::Index s, int level, Eigen::Index first, Eigen::Index count) {
  const auto starting_at = [&](Eigen::Index start) {
    for (std::size_t j = 0; j < available.size(); ++j)
      if (available[j].begin == start) return j;
    throw Error("sum_tree_node: no node starts at shard " + std::to_string(start));
  };
  const std::size_t left = starting_at(s);
  if (available[left].end == std::min(s + (Eigen::Index{1} << level), shards)) return;
  if (level == 0) throw Error("sum_tree_node: the available nodes do not partition the tree");
  sum_tree_node(available, buffers, shards, s, level - 1, first, count);
  const Eigen::Index middle = s + (Eigen::Index{1} << (level - 1));
  if (middle >= shards) return;
  sum_tree_node(available, buffers, shards, middle, level - 1, first, count);
  T* to = buffers[left] + first;
  const T* from = buffers[starting_at(middle)] + first;
  for (Eigen::Index i = 0; i < count; ++i) to[i] += from[i];
}

}  // namespace detail
}  // namespace tapegrad
