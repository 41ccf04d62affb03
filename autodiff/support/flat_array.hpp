/// \file
/// A growable array of trivially copyable values, for the tape's own arrays (statement
/// ends, operands, adjoints, hooks; tensor buffers live in arena.hpp): raw pointer
/// access for the hot loops, no zeroing on growth, and capacity kept when the tape is
/// cleared so that a training loop stops allocating after its first step.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <type_traits>

namespace tapegrad::detail {

template <class U>
class FlatArray {
  static_assert(std::is_trivially_copyable_v<U>);

 public:
  U* data() noexcept { return data_.get(); }
  const U* data() const noexcept { return data_.get(); }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  U& operator[](std::size_t i) noexcept { return data_[i]; }
  const U& operator[](std::size_t i) const noexcept { return data_[i]; }

  // Makes room for `extra` more elements; existing elements are kept.
  void reserve_extra(std::size_t extra) {
    if (size_ + extra > capacity_) grow(size_ + extra);
  }
  void push_back(const U& value) {
    if (size_ == capacity_) [[unlikely]]
      grow(size_ + 1);
    data_[size_++] = value;
  }
  // Sets the size; new elements are left uninitialized (callers overwrite them).
  void resize_uninitialized(std::size_t n) {
    if (n > capacity_) grow(n);
    size_ = n;
  }
  void truncate(std::size_t n) noexcept { size_ = std::min(size_, n); }

 private:
  // Out of line so that push_back stays small enough to inline into recording.
  [[gnu::noinline]] void grow(std::size_t needed) {
    const std::size_t new_capacity = std::max({needed, 2 * capacity_, std::size_t{64}});
    std::unique_ptr<U[]> bigger(new U[new_capacity]);
    if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_ * sizeof(U));
    data_ = std::move(bigger);
    capacity_ = new_capacity;
  }

  std::unique_ptr<U[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace tapegrad::detail
