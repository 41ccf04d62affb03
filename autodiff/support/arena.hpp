/// \file
/// The memory tensor nodes live in: values, adjoints and each node's backward data are
/// carved from large blocks that are kept when the tape is cleared, so a training loop
/// that records the same graph every step allocates only during its first step.
/// Pointers into the arena stay valid until the tape is cleared or rewound past them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "error.hpp"
#include "growth_check.hpp"

namespace tapegrad::detail {

class Arena {
 public:
  // A point to return to (Tape::rewind).
  struct Mark {
    std::size_t block = 0;
    std::size_t offset = 0;
  };

  // `count` uninitialized objects of a trivially destructible type, 64-byte aligned
  // (a cache line, and enough for any SIMD load Eigen issues).
  template <class U>
  U* allocate(std::size_t count) {
    static_assert(std::is_trivially_destructible_v<U>, "the arena never runs destructors");
    if (count > (std::numeric_limits<std::size_t>::max() - alignment) / sizeof(U))
      throw Error("tensor of " + std::to_string(count) + " elements is too large");
    return static_cast<U*>(allocate_bytes(count * sizeof(U)));
  }

  // Asked with the bytes requested before the arena moves on to another block (a tape's
  // memory budget); throws to refuse them.
  void set_growth_check(GrowthCheck check) noexcept { growth_check_ = check; }

  Mark mark() const noexcept { return {current_, offset_}; }
  void release_to(const Mark& mark) noexcept {
    current_ = mark.block;
    offset_ = mark.offset;
  }
  void clear() noexcept { release_to({}); }

  std::size_t bytes_in_use() const noexcept {
    std::size_t used = offset_;
    for (std::size_t b = 0; b < current_ && b < blocks_.size(); ++b) used += blocks_[b].size;
    return used;
  }
  std::size_t bytes_reserved() const noexcept {
    std::size_t total = 0;
    for (const Block& b : blocks_) total += b.size;
    return total;
  }

 private:
  static constexpr std::size_t alignment = 64;
  static constexpr std::size_t min_block_size = std::size_t{1} << 20;

  struct Block {
    std::unique_ptr<std::byte[]> storage;
    std::byte* start;  // storage rounded up to the alignment
    std::size_t size;  // usable bytes from start
  };

  void* allocate_bytes(std::size_t bytes) {
    bytes = (bytes + alignment - 1) / alignment * alignment;
    if (current_ < blocks_.size() && offset_ + bytes <= blocks_[current_].size) {
      void* p = blocks_[current_].start + offset_;
      offset_ += bytes;
      return p;
    }
    return allocate_in_next_block(bytes);
  }

  // Moves on to the next block, inserting a new one when the next is missing or too
  // small. A recording that repeats the previous one's allocations finds every block
  // it needs already there.
  [[gnu::noinline]] void* allocate_in_next_block(std::size_t bytes) {
    if (growth_check_) growth_check_(bytes);
    const std::size_t next = blocks_.empty() ? 0 : current_ + 1;
    if (next >= blocks_.size() || blocks_[next].size < bytes) {
      const std::size_t previous = blocks_.empty() ? 0 : blocks_.back().size;
      const std::size_t size = std::max({bytes, min_block_size, previous});
      Block block;
      block.storage = std::make_unique_for_overwrite<std::byte[]>(size + alignment);
      const auto address = reinterpret_cast<std::uintptr_t>(block.storage.get());
      block.start = block.storage.get() + ((alignment - address % alignment) % alignment);
      block.size = size;
      blocks_.insert(blocks_.begin() + static_cast<std::ptrdiff_t>(next), std::move(block));
    }
    current_ = next;
    offset_ = bytes;
    return blocks_[current_].start;
  }

  std::vector<Block> blocks_;
  std::size_t current_ = 0;
  std::size_t offset_ = 0;
  GrowthCheck growth_check_;
};

}  // namespace tapegrad::detail
