// How results are printed: numbers with 17 significant digits (every double exactly),
// and one JSON object on stdout with --json.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "../autodiff/support/atomic_file.hpp"
#include "expression.hpp"
#include "plural.hpp"
#include "point.hpp"

namespace tapegrad::cli {

using Json = nlohmann::ordered_json;

// 17 significant digits print every double exactly; 9 every float.
// printf's "%.17g", which std::to_chars with a precision is specified to write, about five
// times faster: --out writes 10⁶ of them for a point of 10⁶ unknowns.
inline std::string number(double v, int significant_digits = 17) {
  // printf writes a NaN's sign bit ("-nan"), which means nothing to a reader.
  if (std::isnan(v)) return "nan";
  char buffer[40];
  const std::to_chars_result r =
      std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::general, significant_digits);
  return std::string(buffer, r.ptr);
}

// A string that is not UTF-8 (a file name in another encoding) is written with U+FFFD
// in place of its bad bytes, rather than dump() throwing after the work is done.
inline void print_json(const Json& j) {
  std::printf("%s\n", j.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
}

// The name of entry k of a list of results ("x[3]", "F2/dx[1]"): made when it is printed,
// so that a list of 10⁷ entries of which a screenful is printed builds a screenful of names.
using EntryName = std::function<std::string(std::size_t)>;

// Every entry as a "prefix name = value" line into `file` (atomically), saying so on
// stderr: what --out writes, with --json too (where stdout holds the JSON).
inline void write_entries(const std::string& file, std::span<const double> values, const EntryName& name,
                          const std::string& prefix = "") {
  std::string all;
  for (std::size_t k = 0; k < values.size(); ++k) {
    all += prefix;
    all += name(k);
    all += " = ";
    all += number(values[k]);
    all += '\n';
  }
  write_file_atomically(file, all);
  std::fprintf(stderr, "wrote %s (%s)\n", file.c_str(),
               counted(static_cast<long long>(values.size()), "entry", "entries").c_str());
}

// The point as JSON: scalars by name, vectors as arrays.
inline Json point_json(const Expression& e, const Point& p) {
  Json x = Json::object();
  for (std::size_t s = 0; s < e.scalars().size(); ++s) x[e.scalars()[s]] = p.scalars[s];
  for (std::size_t v = 0; v < e.vectors().size(); ++v) x[e.vectors()[v]] = p.vectors[v];
  return x;
}

}  // namespace tapegrad::cli
