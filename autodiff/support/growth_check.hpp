/// \file
/// A callback a growing store asks before it grows past the limit it was given (a tape's
/// memory budget): the operand store before more operands or statements, the arena before
/// another block. A plain function and its owner, so that the stores need not know the
/// tape; it throws to refuse the growth.
#pragma once

#include <cstddef>

namespace tapegrad::detail {

struct GrowthCheck {
  void (*check)(void* owner, std::size_t amount) = nullptr;
  void* owner = nullptr;

  explicit operator bool() const noexcept { return check != nullptr; }
  void operator()(std::size_t amount) const { check(owner, amount); }
};

}  // namespace tapegrad::detail
