/// \file
/// The names of an enum's values as one table of {value, name} pairs, read both ways:
/// name_of for messages and files, value_named to parse a name back.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace tapegrad {

/// A table of an enum's values and their names (for messages, files and the command line).
template <class E, std::size_t N>
using EnumNames = std::array<std::pair<E, const char*>, N>;

/// The name of `value` in `names`.
template <class E, std::size_t N>
constexpr const char* name_of(E value, const EnumNames<E, N>& names) {
  for (const auto& [v, name] : names)
    if (v == value) return name;
  return "?";
}

/// The value named `name` in `names`, or nullopt.
template <class E, std::size_t N>
constexpr std::optional<E> value_named(std::string_view name, const EnumNames<E, N>& names) {
  for (const auto& [v, n] : names)
    if (name == n) return v;
  return std::nullopt;
}

}  // namespace tapegrad
