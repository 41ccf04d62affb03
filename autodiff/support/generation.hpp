/// \file
/// Tape generations: the number every Var carries to say which recording it belongs to
/// (see tape.hpp), so that a stale or foreign Var is caught by one integer comparison.
#pragma once

#include <atomic>
#include <cstdint>

namespace tapegrad::detail {

// Generation 0 is never issued: it marks a Var that is not on any tape (a constant).
inline std::atomic<std::uint32_t> generation_blocks{0};

// Generations are unique across all tapes and threads, so a Var from another tape or
// thread never matches. Each thread takes blocks of 2^16 to keep clear() free of
// atomic operations.
inline std::uint32_t next_generation() {
  constexpr std::uint32_t block_size = 1u << 16;
  thread_local std::uint32_t next = 0;
  thread_local std::uint32_t block_end = 0;
  if (next == block_end) {
    next = generation_blocks.fetch_add(1, std::memory_order_relaxed) * block_size;
    block_end = next + block_size;
    if (next == 0) next = 1;
  }
  return next++;
}

}  // namespace tapegrad::detail
