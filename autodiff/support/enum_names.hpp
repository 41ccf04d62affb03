// The names of an enum's values as one table of {value, name} pairs, read both ways:
// name_of for messages and files, value_named to parse a name back.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

namespace tapegrad {

template <class E, std::size_t N>
using EnumNames = std::array<std::pair<E, const char*>, N>;

template <class E, std::size_t N>
constexpr const char* name_of(E value, const EnumNames<E, N>& names) {
  for (const auto& [v, name] : names)
    if (v == value) return name;
  return "?";
}

template <class E, std::size_t N>
constexpr std::optional<E> value_named(std::string_view name, const EnumNames<E, N>& names) {
  for (const auto& [v, n] : names)
    if (name == n) return v;
  return std::nullopt;
}

}  // namespace tapegrad
