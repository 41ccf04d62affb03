// The adjoint buffers of the tensors on a tape (in its arena), by the statement that
// owns each, so that a sweep zeroes them together with the scalar adjoints.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "../support/flat_array.hpp"

namespace tapegrad::detail {

template <class T>
class TensorAdjoints {
 public:
  void track(std::uint32_t statement, T* data, std::size_t size) {
    buffers_.push_back({statement, data, size});
  }
  // Zeroes the buffers of the tensors recorded by statements lo..hi.
  void zero(std::uint32_t lo, std::uint32_t hi) {
    for (std::size_t t = 0; t < buffers_.size(); ++t) {
      const Buffer& b = buffers_[t];
      if (b.statement >= lo && b.statement <= hi) std::fill(b.data, b.data + b.size, T(0));
    }
  }
  std::size_t size() const noexcept { return buffers_.size(); }
  void truncate(std::size_t n) noexcept { buffers_.truncate(n); }

 private:
  struct Buffer {
    std::uint32_t statement;
    T* data;
    std::size_t size;
  };
  FlatArray<Buffer> buffers_;
};

}  // namespace tapegrad::detail
