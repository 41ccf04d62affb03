#include "point.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "../autodiff/support/utf8.hpp"
#include "arguments.hpp"
#include "functions.hpp"
#include "limits.hpp"

namespace tapegrad::cli {
namespace {

// Why `name`, given a value, is not a variable of `e`.
[[noreturn]] void not_a_variable(const Expression& e, const std::string& name, const std::string& flag) {
  if (name == "e" || name == "pi")
    throw UsageError(flag + ": " + name + " is a reserved name (the constant " + name +
                     " in expressions), not a variable; call the variable something else");
  for (const OperationInfo& op : operation_table)
    if (op.called_by_name && name == op.name)
      throw UsageError(flag + ": " + name + " is a reserved name (a function), not a variable");
  std::vector<std::string> variables = e.scalars();
  variables.insert(variables.end(), e.vectors().begin(), e.vectors().end());
  const std::string near = closest_name(name, variables);
  throw UsageError(flag + ": " + name + " is not a variable of the expression" +
                   (near.empty() ? std::string() : "; did you mean " + near + "?"));
}

}  // namespace

std::vector<double> Point::flat() const {
  std::vector<double> x = scalars;
  for (const std::vector<double>& v : vectors) x.insert(x.end(), v.begin(), v.end());
  return x;
}

Point Point::with_flat(std::span<const double> x) const {
  Point p = *this;
  std::size_t k = 0;
  for (double& s : p.scalars) s = x[k++];
  for (std::vector<double>& v : p.vectors)
    for (double& entry : v) entry = x[k++];
  return p;
}

Point bind_point(const Expression& e, const std::vector<std::pair<std::string, double>>& values,
                 const std::string& flag) {
  const auto value_of = [&](const std::string& name) {
    const auto it =
        std::find_if(values.begin(), values.end(), [&](const auto& v) { return v.first == name; });
    if (it == values.end()) throw UsageError(flag + ": no value for the variable " + name);
    return it->second;
  };
  Point p;
  for (const std::string& name : e.scalars()) p.scalars.push_back(value_of(name));
  for (std::size_t v = 0; v < e.vectors().size(); ++v)
    p.vectors.emplace_back(e.dimension(v), value_of(e.vectors()[v]));
  for (const auto& [name, unused] : values) {
    const bool known = std::find(e.scalars().begin(), e.scalars().end(), name) != e.scalars().end() ||
                       std::find(e.vectors().begin(), e.vectors().end(), name) != e.vectors().end();
    if (!known) not_a_variable(e, name, flag);
  }
  return p;
}

namespace {

// One "name=…" or "name[i]=…" piece of a values text.
struct Assignment {
  std::string name;
  std::optional<std::size_t> index;  // name[index]=number
  std::vector<double> values;        // one number, or a bracketed list
  bool list = false;
};

// Splits at commas and new lines outside brackets.
std::vector<std::string> pieces(const std::string& text, const std::string& flag) {
  std::vector<std::string> out;
  std::string current;
  int depth = 0;
  for (char c : text) {
    if (c == '[') ++depth;
    if (c == ']' && --depth < 0) throw UsageError(flag + ": a ']' without its '['");
    if ((c == ',' || c == '\n' || c == ';') && depth == 0) {
      if (!trimmed(current).empty()) out.push_back(trimmed(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (depth != 0) throw UsageError(flag + ": a '[' without its ']'");
  if (!trimmed(current).empty()) out.push_back(trimmed(current));
  return out;
}

Assignment parse_piece(const std::string& piece, const std::string& flag) {
  const std::size_t eq = piece.find('=');
  if (eq == std::string::npos) throw UsageError(flag + ": '" + piece + "' is not of the form name=value");
  Assignment a;
  std::string left = trimmed(piece.substr(0, eq));
  const std::string right = trimmed(piece.substr(eq + 1));
  if (const std::size_t open = left.find('['); open != std::string::npos) {
    if (left.back() != ']') throw UsageError(flag + ": '" + left + "' is not of the form name[index]");
    const double i = parse_number(left.substr(open + 1, left.size() - open - 2), flag + " " + left);
    if (!(i >= 0 && i == static_cast<double>(static_cast<std::size_t>(i))))
      throw UsageError(flag + ": the index in '" + left + "' is not a whole number ≥ 0");
    a.index = static_cast<std::size_t>(i);
    left = trimmed(left.substr(0, open));
  }
  a.name = left;
  if (!is_identifier(a.name)) throw UsageError(flag + ": " + not_a_name(a.name));
  if (!right.empty() && right.front() == '[') {
    if (a.index) throw UsageError(flag + ": " + a.name + "[…] takes one number, not a list");
    if (right.back() != ']') throw UsageError(flag + ": the list for " + a.name + " does not end with ']'");
    a.list = true;
    std::stringstream items(right.substr(1, right.size() - 2));
    for (std::string item; std::getline(items, item, ',');) {
      if (trimmed(item).empty()) throw UsageError(flag + ": an empty entry in the list for " + a.name);
      a.values.push_back(parse_number(item, flag + " " + a.name));
    }
    if (a.values.empty()) throw UsageError(flag + ": the list for " + a.name + " is empty");
  } else {
    a.values.push_back(parse_number(right, flag + " " + piece.substr(0, eq)));
  }
  return a;
}

}  // namespace

namespace {

// A point file holds at most max_point_entries numbers of a few dozen characters each:
// a larger one is refused by its size before it is read into memory.
constexpr std::uintmax_t max_point_file_bytes = 64 * static_cast<std::uintmax_t>(max_point_entries);

// The text of a point argument: itself, or the contents of @file (without the byte-order
// mark some editors write).
std::string point_text(const std::string& argument, const std::string& flag) {
  if (argument.empty() || argument[0] != '@') return argument;
  const std::string path = argument.substr(1);
  std::error_code ec;
  const std::uintmax_t bytes = std::filesystem::file_size(path, ec);
  if (!ec && bytes > max_point_file_bytes)
    throw UsageError(flag + ": the file " + path + " has " + std::to_string(bytes) +
                     " bytes; a point file is at most " + std::to_string(max_point_file_bytes));
  std::ifstream in(path);
  if (!in) throw UsageError(flag + ": cannot read the file " + path);
  std::ostringstream content;
  content << in.rdbuf();
  return std::string(tapegrad::detail::without_bom(content.str()));
}

}  // namespace

std::map<std::string, std::size_t> dimensions_of(const std::string& dims_text, const std::string& dims_flag,
                                                 const std::string& point_argument,
                                                 const std::string& point_flag) {
  std::map<std::string, std::size_t> dimensions = parse_dimensions(dims_text, dims_flag);
  // A list says its own length; --dim is needed only for a vector given by one number
  // or by entries. A length that disagrees with --dim is refused when the point is bound.
  if (!point_argument.empty())
    for (const std::string& piece : pieces(point_text(point_argument, point_flag), point_flag)) {
      const Assignment a = parse_piece(piece, point_flag);
      if (a.list && dimensions.count(a.name) == 0) {
        if (a.values.size() > 1'000'000)  // the bound --dim has (parse_dimensions)
          throw UsageError(point_flag + ": the list for " + a.name + " has " +
                           std::to_string(a.values.size()) + " values; a vector has at most 10^6 entries");
        dimensions[a.name] = a.values.size();
      }
    }
  long long total = 0;
  for (const auto& [name, n] : dimensions) total += static_cast<long long>(n);
  if (total > max_point_entries)
    throw UsageError(dims_flag + ": " + std::to_string(total) + " vector entries in all; at most " +
                     limit_text(max_point_entries) + " together");
  return dimensions;
}

Point zero_point(const Expression& e) {
  Point p;
  p.scalars.assign(e.scalars().size(), 0.0);
  for (std::size_t v = 0; v < e.vectors().size(); ++v) p.vectors.emplace_back(e.dimension(v), 0.0);
  return p;
}

Point bind_point(const Expression& e, const std::string& argument, const std::string& flag) {
  const std::string text = point_text(argument, flag);
  std::vector<Assignment> assignments;
  for (const std::string& piece : pieces(text, flag)) assignments.push_back(parse_piece(piece, flag));

  Point p = zero_point(e);
  for (std::size_t s = 0; s < e.scalars().size(); ++s) {
    const std::string& name = e.scalars()[s];
    bool found = false;
    for (const Assignment& a : assignments) {
      if (a.name != name) continue;
      if (a.index || a.list) throw UsageError(flag + ": " + name + " is a scalar; give it one number");
      if (found) throw UsageError(flag + ": " + name + " is given twice");
      p.scalars[s] = a.values[0];
      found = true;
    }
    if (!found) throw UsageError(flag + ": no value for the variable " + name);
  }
  for (std::size_t v = 0; v < e.vectors().size(); ++v) {
    const std::string& name = e.vectors()[v];
    const std::size_t n = e.dimension(v);
    std::vector<bool> given(n, false);
    bool whole = false;
    for (const Assignment& a : assignments) {  // x=… first, then x[i]=… overrides entries
      if (a.name != name || a.index) continue;
      if (whole) throw UsageError(flag + ": " + name + " is given twice");
      whole = true;
      if (a.list && a.values.size() != n)
        throw UsageError(flag + ": the list for " + name + " has " + std::to_string(a.values.size()) +
                         " values, its dimension is " + std::to_string(n));
      for (std::size_t i = 0; i < n; ++i) p.vectors[v][i] = a.list ? a.values[i] : a.values[0];
      given.assign(n, true);
    }
    std::vector<bool> indexed(n, false);
    for (const Assignment& a : assignments) {
      if (a.name != name || !a.index) continue;
      if (*a.index >= n)
        throw UsageError(flag + ": " + name + "[" + std::to_string(*a.index) + "] is out of range: " + name +
                         " has dimension " + std::to_string(n) + " (indices 0 to " + std::to_string(n - 1) +
                         ")");
      if (indexed[*a.index])
        throw UsageError(flag + ": " + name + "[" + std::to_string(*a.index) + "] is given twice");
      indexed[*a.index] = given[*a.index] = true;
      p.vectors[v][*a.index] = a.values[0];
    }
    for (std::size_t i = 0; i < n; ++i)
      if (!given[i])
        throw UsageError(flag + ": no value for " + name + "[" + std::to_string(i) + "] (give " + name +
                         "=[…] with " + std::to_string(n) + " values, " + name + "=number for all, or each " +
                         name + "[i])");
  }
  for (const Assignment& a : assignments) {
    const bool known = std::find(e.scalars().begin(), e.scalars().end(), a.name) != e.scalars().end() ||
                       std::find(e.vectors().begin(), e.vectors().end(), a.name) != e.vectors().end();
    if (!known) not_a_variable(e, a.name, flag);
    const bool is_vector = std::find(e.vectors().begin(), e.vectors().end(), a.name) != e.vectors().end();
    if ((a.index || a.list) && !is_vector)
      throw UsageError(flag + ": " + a.name + " is a scalar; give it one number");
  }
  return p;
}

}  // namespace tapegrad::cli
