/// \file
/// The operands of every statement on a tape: (Var index, local partial) pairs, kept as
/// two side-by-side arrays (structure of arrays) so that the reverse sweep streams them,
/// and where each statement's operands end. Capacity is kept across clears, so a
/// training loop stops allocating after its first step.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>

#include "../support/flat_array.hpp"
#include "../support/growth_check.hpp"

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
  /// Null where statements are rebuilt from leaves checked when they were recorded.
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

/// A recording's arrays, by pointer: statement s's operands are operand_index[o],
/// operand_partial[o] for statement_end[s-1] <= o < statement_end[s] (statement 0, the
/// slot constants point at, has none). Index is `const std::uint32_t` in the read-only
/// view (Tape::view()).
template <class T, class Index = const std::uint32_t>
struct RecordingArrays {
  /// One past each statement's last operand.
  const std::uint32_t* statement_end;
  /// Each operand's Var (statement) index.
  Index* operand_index;
  /// Each operand's local partial.
  T* operand_partial;
  /// Statements, slot 0 included.
  std::uint32_t statements;
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
  // reserve_extra's one test is against this: the capacity, or less where a growth check
  // (a tape's memory budget) wants to be asked again sooner.
  std::size_t operand_limit = 0;
  FlatArray<std::uint32_t> statement_end;  // one past each statement's last operand
  std::size_t capacity = 0;
  // A statement without operands (a leaf, a hook) is checked against this instead
  // (check_statement); one with operands is checked through its operands, whose
  // allowance counts its statement end too.
  std::size_t statement_limit = max_count;
  GrowthCheck growth_check;  // asked with the extra operands past the limits (limit_to())
  std::size_t checked_operands = std::numeric_limits<std::size_t>::max();  // what the check allows

  // Called by the growth check: ask again past `operands` operands or `statements` statements.
  void limit_to(std::size_t operands, std::size_t statements) noexcept {
    checked_operands = operands;
    statement_limit = std::min(statements, max_count);
    operand_limit = std::min(capacity, checked_operands);
  }

  std::uint32_t statements() const noexcept { return static_cast<std::uint32_t>(statement_end.size()); }
  std::uint32_t begin_of(std::uint32_t s) const noexcept { return s == 0 ? 0 : statement_end[s - 1]; }
  RecordingArrays<const T> view() const noexcept {
    return {statement_end.data(), indices.get(), partials.get(), statements()};
  }
  RecordingArrays<T, std::uint32_t> arrays() noexcept {
    return {statement_end.data(), indices.get(), partials.get(), statements()};
  }
  std::span<const std::uint32_t> indices_of(std::uint32_t s) const noexcept {
    return {indices.get() + begin_of(s), indices.get() + statement_end[s]};
  }
  std::span<const T> partials_of(std::uint32_t s) const noexcept {
    return {partials.get() + begin_of(s), partials.get() + statement_end[s]};
  }
  // Closes the statement whose operands were just written; returns its index.
  std::uint32_t end_statement() {
    const std::size_t index = statement_end.size();
    if (index == max_count) [[unlikely]]
      throw_too_large("statements");
    statement_end.push_back(static_cast<std::uint32_t>(count));
    return static_cast<std::uint32_t>(index);
  }
  // Before a statement without operands: asks the growth check when past its limit.
  void check_statement() {
    if (statement_end.size() >= statement_limit) [[unlikely]]
      check_statement_slow();
  }
  // Empty but for statement 0, the slot constants point at (never a real Var).
  void clear() {
    statement_end.truncate(0);
    statement_end.push_back(0);
    count = 0;
  }
  // Appends a statement's operands.
  void append(std::span<const std::uint32_t> operand_index, std::span<const T> operand_partial) {
    reserve_extra(operand_index.size());
    std::copy(operand_index.begin(), operand_index.end(), indices.get() + count);
    std::copy(operand_partial.begin(), operand_partial.end(), partials.get() + count);
    count += operand_index.size();
  }
  // Replaces everything by these statement ends (slot 0 included) and operand indices,
  // with zero partials.
  void assign(std::span<const std::uint32_t> ends, std::span<const std::uint32_t> operand_index) {
    statement_end.truncate(0);
    for (const std::uint32_t end : ends) statement_end.push_back(end);
    count = 0;
    reserve_extra(operand_index.size());
    std::copy(operand_index.begin(), operand_index.end(), indices.get());
    std::fill_n(partials.get(), operand_index.size(), T(0));
    count = operand_index.size();
  }
  // Keeps the first `statements` statements and `operands` operands (rewind).
  void truncate(std::uint32_t statements, std::size_t operands) noexcept {
    statement_end.truncate(statements);
    count = operands;
  }

  void reserve_extra(std::size_t extra) {
    if (count + extra > operand_limit) [[unlikely]]
      reserve_slow(extra);
  }
  std::size_t bytes_in_use() const noexcept {
    return count * (sizeof(std::uint32_t) + sizeof(T)) + statement_end.size() * sizeof(std::uint32_t);
  }
  std::size_t bytes_reserved() const noexcept {
    return capacity * (sizeof(std::uint32_t) + sizeof(T)) + statement_end.capacity() * sizeof(std::uint32_t);
  }

 private:
  [[gnu::noinline]] void reserve_slow(std::size_t extra) {
    if (growth_check && count + extra > checked_operands) growth_check(extra);
    if (count + extra > capacity) grow(extra);
    operand_limit = std::min(capacity, checked_operands);
  }
  [[gnu::noinline]] void check_statement_slow() {
    if (statement_end.size() >= max_count) throw_too_large("statements");
    if (growth_check) growth_check(0);
  }
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
