/// \file
/// What keeps Vars valid across Tape::rewind(): every recording has a generation, and a
/// rewind starts a new one. The earlier generations live on as *epochs*, each valid only
/// below the rewind points that came after it, so a Var recorded before a rewind stays
/// usable while one recorded after it is caught as stale.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace tapegrad::detail {

class RewindEpochs {
 public:
  // The recording of `generation`, whose first statement is `start`, is cut back to
  // `position` statements: it joins the history, and every epoch keeps only Vars below
  // `position` (an epoch with none left is dropped).
  void rewind(std::uint32_t generation, std::uint32_t start, std::uint32_t position) {
    epochs_.push_back({generation, start, std::numeric_limits<std::uint32_t>::max()});
    std::erase_if(epochs_, [&](Epoch& e) {
      e.limit = std::min(e.limit, position);
      return e.start >= e.limit;
    });
  }
  // Out of line: only Vars of an earlier generation come here.
  [[gnu::noinline]] bool contains(std::uint32_t index, std::uint32_t generation) const noexcept {
    for (const Epoch& e : epochs_)
      if (e.generation == generation) return index < e.limit;
    return false;
  }
  void clear() noexcept { epochs_.clear(); }

 private:
  struct Epoch {
    std::uint32_t generation;
    std::uint32_t start;  // first statement recorded in this generation
    std::uint32_t limit;  // statements at or past it were discarded by a rewind
  };
  std::vector<Epoch> epochs_;
};

}  // namespace tapegrad::detail
