// Reading the command line's own values: "x1=1,x2=-2.5" points, "lo,hi" boxes, and
// numbers, each refused with a message that names the flag and the bad part. A
// UsageError ends the program with exit code 2.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "../autodiff/support/enum_names.hpp"
#include "../autodiff/support/error.hpp"

namespace tapegrad::cli {

class UsageError : public Error {
 public:
  using Error::Error;
};

// The input was fine but the computation did not succeed (a minimization that
// diverged, a training run whose loss exploded): the program says why and exits 1.
class RunFailed : public Error {
 public:
  using Error::Error;
};

bool is_identifier(const std::string& s);
// "'α' is not a variable name: 'α' (U+03B1) is not an ASCII letter, digit or _": a name
// that is not an identifier, quoted whole, with the character (or the byte that is not
// UTF-8) that makes it one no longer.
std::string not_a_name(const std::string& name);
// Without leading and trailing white space.
std::string trimmed(const std::string& s);
// The candidate nearest to a mistyped `name` (edit distance, at most about a third of
// its length), or "" when none is near: for "did you mean …?".
std::string closest_name(const std::string& name, const std::vector<std::string>& candidates);
// "name=value,name=value" (flag names the option in messages). Names must be
// identifiers and appear once. Empty text gives no values (as does it for dimensions).
std::vector<std::pair<std::string, double>> parse_assignments(const std::string& text,
                                                              const std::string& flag);
// "name=N,…" with N a positive whole number.
std::map<std::string, std::size_t> parse_dimensions(const std::string& text, const std::string& flag);
// The whole text as one finite number.
double parse_number(const std::string& text, const std::string& what);
// "lo,hi" with lo < hi.
std::pair<double, double> parse_box(const std::string& text, const std::string& flag);
// A CSV field separator: one character that cannot be part of a number or a quoted
// field (, ; | …), or "tab".
char parse_delimiter(const std::string& text, const std::string& flag);
// A file this program can write, checked before anything is computed: its folder exists
// and takes files, and it is no folder itself. `flag` names the option in messages.
void check_writable_file(const std::string& file, const std::string& flag);
// "32,16": positive whole numbers.
std::vector<long> parse_widths(const std::string& text, const std::string& flag);

// The value of the enum E that `text` names in enum_names(E{}) (its table of names), or a
// UsageError naming `flag` and every name it takes: "--method: 'x' (expected a, b or c)".
template <class E>
E enum_flag(const std::string& text, const std::string& flag) {
  const auto names = enum_names(E{});
  if (const auto value = value_named(text, names)) return *value;
  std::string choices;
  for (std::size_t k = 0; k < names.size(); ++k)
    choices += (k == 0 ? "" : k + 1 == names.size() ? " or " : ", ") + std::string(names[k].second);
  throw UsageError(flag + ": '" + text + "' (expected " + choices + ")");
}

}  // namespace tapegrad::cli
