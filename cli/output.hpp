// How results are printed: numbers with 17 significant digits (every double exactly),
// and one JSON object on stdout with --json.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace tapegrad::cli {

using Json = nlohmann::ordered_json;

// 17 significant digits print every double exactly; 9 every float.
inline std::string number(double v, int significant_digits = 17) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.*g", significant_digits, v);
  return buffer;
}

inline void print_json(const Json& j) { std::printf("%s\n", j.dump().c_str()); }

}  // namespace tapegrad::cli
