/// \file
/// The operands of every statement on a tape: (Var index, local partial) pairs, kept as
/// two side-by-side arrays (structure of arrays) so that the reverse sweep streams them.
/// Capacity is kept across clears, so a training loop stops allocating after its first
/// step.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>

namespace tapegrad {

template <class T>
class BasicTape;

/// Receives the operands of the statement being recorded. Every leaf of an expression
/// tree has a fixed slot known at compile time (its position among the leaves), so
/// writing an operand is two stores and one generation comparison.
template <class T>
struct OperandSink {
  /// Where the statement's partials go.
  T* partials;
  /// Where the statement's operand indices go.
  std::uint32_t* indices;
  /// The tape's generation, which every leaf's must match.
  std::uint32_t generation;
  /// Null in the replay kernels, whose leaves were checked when they were recorded.
  const BasicTape<T>* tape;

  /// Writes operand `slot`: the leaf's statement index and its local partial; a leaf of another recording is
  /// refused (tapegrad::Error).
  void write(std::size_t slot, std::uint32_t index, std::uint32_t var_generation, const T& partial) const {
    if (var_generation != generation && tape != nullptr) [[unlikely]]
      tape->check_operand(index, var_generation);
    partials[slot] = partial;
    indices[slot] = index;
  }
};

namespace detail {

[[noreturn]] void throw_too_large(const char* what);

template <class T>
struct OperandStore {
  // Statement and operand indices must fit in 32 bits, with statement 0 reserved.
  static constexpr std::size_t max_count = std::numeric_limits<std::uint32_t>::max();

  std::unique_ptr<T[]> partials;
  std::unique_ptr<std::uint32_t[]> indices;
  std::size_t count = 0;
  std::size_t capacity = 0;

  void reserve_extra(std::size_t extra) {
    if (count + extra > capacity) [[unlikely]]
      grow(extra);
  }
  std::size_t bytes_in_use() const noexcept { return count * (sizeof(std::uint32_t) + sizeof(T)); }
  std::size_t bytes_reserved() const noexcept { return capacity * (sizeof(std::uint32_t) + sizeof(T)); }

 private:
  [[gnu::noinline]] void grow(std::size_t extra) {
    const std::size_t needed = count + extra;
    if (needed > max_count) throw_too_large("operands");
    const std::size_t new_capacity = std::min(std::max({needed, 2 * capacity, std::size_t{256}}), max_count);
    std::unique_ptr<T[]> new_partials(new T[new_capacity]);
    std::unique_ptr<std::uint32_t[]> new_indices(new std::uint32_t[new_capacity]);
    std::copy_n(partials.get(), count, new_partials.get());
    std::copy_n(indices.get(), count, new_indices.get());
    partials = std::move(new_partials);
    indices = std::move(new_indices);
    capacity = new_capacity;
  }
};

}  // namespace detail
}  // namespace tapegrad
