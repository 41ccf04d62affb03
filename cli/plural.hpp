// Counts in messages with the noun in the right number: "1 step", "2 steps", "1 equation
// in 2 unknowns". One helper, so that no message says "1 steps".
#pragma once

#include <string>

namespace tapegrad::cli {

// "n noun" with the noun singular for n = 1 and plural otherwise (noun + "s" unless
// `plural` gives the plural form).
inline std::string counted(long long n, const std::string& noun, const std::string& plural = "") {
  return std::to_string(n) + " " + (n == 1 || n == -1 ? noun : plural.empty() ? noun + "s" : plural);
}

}  // namespace tapegrad::cli
