/// \file
/// Tensor adjoints are assigned on their first write of a sweep, not zeroed and then
/// accumulated (PyTorch's rule): no buffer is cleared before a sweep, the first product
/// into a gradient runs with β = 0, and Parameter::zero_grad() costs nothing.
///
/// Each adjoint buffer has an AdjointState saying whether it holds contributions yet:
///  - an intermediate tensor's (in the tape's arena) holds the number of the sweep that
///    last wrote it; every sweep has a new number (BasicTape::sweep_number), so at the
///    start of a sweep every buffer reads as unwritten, that is as zero;
///  - a Parameter's gradient persists across sweeps: `holds` once written, `pending_zero`
///    after zero_grad() (its storage is zeroed only if it is read before a sweep writes it).
/// A node's backward claims an input's buffer before writing into it (claim()): the first
/// claim of a sweep assigns, the others add. The sweep skips a tensor operation whose
/// own adjoint no one wrote (nothing it computed reached the output).
#pragma once

#include <cstdint>
#include <limits>

namespace tapegrad::detail {

struct AdjointState {
  static constexpr std::uint64_t pending_zero = 0;
  static constexpr std::uint64_t holds = std::numeric_limits<std::uint64_t>::max();

  std::uint64_t written = pending_zero;
  bool persistent = false;  // a Parameter's gradient

  // True if the buffer holds contributions (of sweep `sweep`, for a tape's tensor).
  bool written_in(std::uint64_t sweep) const noexcept {
    return persistent ? written == holds : written == sweep;
  }
};

// How a backward writes its contribution into an adjoint buffer.
enum class Write { assign, add };

// Marks the buffer written in sweep `sweep`; assign if it was not yet.
inline Write claim(AdjointState& state, std::uint64_t sweep) noexcept {
  if (state.written_in(sweep)) return Write::add;
  state.written = state.persistent ? AdjointState::holds : sweep;
  return Write::assign;
}

// dst = src or dst += src, for Eigen expressions.
template <class Dst, class Src>
void store(Write write, Dst&& dst, const Src& src) {
  if (write == Write::assign)
    dst = src;
  else
    dst += src;
}

}  // namespace tapegrad::detail
