// How results are printed: numbers with 17 significant digits (every double exactly),
// and one JSON object on stdout with --json.
#pragma once

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace tapegrad::cli {

using Json = nlohmann::ordered_json;

// 17 significant digits print every double exactly; 9 every float.
inline std::string number(double v, int significant_digits = 17) {
  // printf writes a NaN's sign bit ("-nan"), which means nothing to a reader.
  if (std::isnan(v)) return "nan";
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.*g", significant_digits, v);
  return buffer;
}

// A string that is not UTF-8 (a file name in another encoding) is written with U+FFFD
// in place of its bad bytes, rather than dump() throwing after the work is done.
inline void print_json(const Json& j) {
  std::printf("%s\n", j.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
}

}  // namespace tapegrad::cli
