#include "point.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

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
  if (name == "sum" || name == "prod" || name == "len")
    throw UsageError(flag + ": " + name + " is a reserved name (a function), not a variable");
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

namespace {

// The expression's variable names, for telling a value's name from a variable's.
std::unordered_set<std::string> variable_names(const Expression& e) {
  std::unordered_set<std::string> names(e.scalars().begin(), e.scalars().end());
  names.insert(e.vectors().begin(), e.vectors().end());
  return names;
}

}  // namespace

Point bind_point(const Expression& e, const std::vector<std::pair<std::string, double>>& values,
                 const std::string& flag) {
  std::unordered_map<std::string, double> by_name;  // the first value of each name
  for (const auto& [name, value] : values) by_name.emplace(name, value);
  const auto value_of = [&](const std::string& name) {
    const auto it = by_name.find(name);
    if (it == by_name.end()) throw UsageError(flag + ": no value for the variable " + name);
    return it->second;
  };
  Point p;
  for (const std::string& name : e.scalars()) p.scalars.push_back(value_of(name));
  for (std::size_t v = 0; v < e.vectors().size(); ++v)
    p.vectors.emplace_back(e.dimension(v), value_of(e.vectors()[v]));
  const std::unordered_set<std::string> variables = variable_names(e);
  for (const auto& [name, unused] : values)
    if (!variables.count(name)) not_a_variable(e, name, flag);
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

// A point file may hold 10^7 numbers: its pieces are views of the text, and a number
// is read where it stands, so that reading one allocates little per entry.

// White space as std::isspace has it in the C locale.
bool is_blank(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

std::string_view trimmed_view(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// The number `text` holds, read as parse_number reads it; when it holds none,
// parse_number words why, naming what(), which is built only then.
template <class What>
double number_in(std::string_view text, const What& what) {
  std::string_view s = trimmed_view(text);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double value = 0;
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (!s.empty() && end == s.data() + s.size() && error == std::errc() && std::isfinite(value)) return value;
  return parse_number(std::string(text), what());
}

// Splits at commas, semicolons and new lines outside brackets.
std::vector<std::string_view> pieces(std::string_view text, const std::string& flag) {
  std::vector<std::string_view> out;
  const auto add = [&](std::string_view piece) {
    piece = trimmed_view(piece);
    if (!piece.empty()) out.push_back(piece);
  };
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t k = 0; k < text.size(); ++k) {
    const char c = text[k];
    if (c == '[') ++depth;
    if (c == ']' && --depth < 0) throw UsageError(flag + ": a ']' without its '['");
    if ((c == ',' || c == '\n' || c == ';') && depth == 0) {
      add(text.substr(start, k - start));
      start = k + 1;
    }
  }
  if (depth != 0) throw UsageError(flag + ": a '[' without its ']'");
  add(text.substr(start));
  return out;
}

Assignment parse_piece(std::string_view piece, const std::string& flag) {
  const std::size_t eq = piece.find('=');
  if (eq == std::string_view::npos)
    throw UsageError(flag + ": '" + std::string(piece) + "' is not of the form name=value");
  Assignment a;
  std::string_view left = trimmed_view(piece.substr(0, eq));
  const std::string_view right = trimmed_view(piece.substr(eq + 1));
  const std::string_view named = left;  // "x" or "x[3]", for messages
  if (const std::size_t open = left.find('['); open != std::string_view::npos) {
    if (left.back() != ']')
      throw UsageError(flag + ": '" + std::string(left) + "' is not of the form name[index]");
    const double i = number_in(left.substr(open + 1, left.size() - open - 2),
                               [&] { return flag + " " + std::string(named); });
    if (!(i >= 0 && i < 1e15 && i == std::floor(i)))
      throw UsageError(flag + ": the index in '" + std::string(left) + "' is not a whole number ≥ 0");
    a.index = static_cast<std::size_t>(i);
    left = trimmed_view(left.substr(0, open));
  }
  a.name = std::string(left);
  if (!is_identifier(a.name)) throw UsageError(flag + ": " + not_a_name(a.name));
  if (!right.empty() && right.front() == '[') {
    if (a.index) throw UsageError(flag + ": " + a.name + "[…] takes one number, not a list");
    if (right.back() != ']') throw UsageError(flag + ": the list for " + a.name + " does not end with ']'");
    a.list = true;
    // Entries separated by commas or line breaks (a list written one entry a line); a
    // blank line is no entry, an empty place between commas is an error.
    const std::size_t end = right.size() - 1;
    char before = '[';
    for (std::size_t from = 1; from <= end;) {
      std::size_t to = from;
      while (to < end && right[to] != ',' && right[to] != '\n') ++to;
      const char after = to < end ? right[to] : ']';
      const std::string_view item = trimmed_view(right.substr(from, to - from));
      if (!item.empty())
        a.values.push_back(number_in(item, [&] { return flag + " " + a.name; }));
      else if (before != '\n' && after != '\n' && !(before == '[' && after == ']'))
        throw UsageError(flag + ": an empty entry in the list for " + a.name);
      before = after;
      from = to + 1;
    }
    if (a.values.empty()) throw UsageError(flag + ": the list for " + a.name + " is empty");
  } else {
    a.values.push_back(number_in(right, [&] { return flag + " " + std::string(named); }));
  }
  return a;
}

}  // namespace

namespace {

// The text of a point argument: itself, or the contents of @file (without the byte-order
// mark some editors write).
std::string point_text(const std::string& argument, const std::string& flag) {
  if (argument.empty() || argument[0] != '@') return argument;
  return std::string(
      tapegrad::detail::without_bom(read_input_file(argument.substr(1), "the point file", flag)));
}

}  // namespace

std::string read_input_file(const std::string& path, const std::string& what, const std::string& flag) {
  const std::string prefix = flag.empty() ? std::string() : flag + ": ";
  const std::string named = what + " '" + path + "'";
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw UsageError(prefix + named + " is a folder");
  const std::string limit = "the " + bytes_text(max_input_file_bytes) + " a file given with @ may have";
  // A pipe or a device has no size: it is refused by the bytes read instead.
  const std::uintmax_t bytes = std::filesystem::file_size(path, ec);
  if (!ec && bytes > max_input_file_bytes)
    throw UsageError(prefix + named + " has " + std::to_string(bytes) + " bytes, more than " + limit);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(prefix + "cannot open " + named);
  std::string text;
  if (!ec) text.reserve(static_cast<std::size_t>(bytes));
  std::array<char, 1 << 16> buffer;
  while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
    text.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_input_file_bytes) throw UsageError(prefix + named + " holds more than " + limit);
  }
  if (in.bad()) throw UsageError(prefix + "cannot read " + named);
  return text;
}

std::map<std::string, std::size_t> dimensions_of(const std::string& dims_text, const std::string& dims_flag,
                                                 const std::string& point_argument,
                                                 const std::string& point_flag) {
  std::map<std::string, std::size_t> dimensions = parse_dimensions(dims_text, dims_flag);
  // A list says its own length, and so do entries given alone (x[0]=…, x[1]=…); --dim is
  // needed only for a vector given by one number for every entry, or partly by entries.
  // A length that disagrees with --dim, or an entry left out, is refused when the point
  // is bound.
  if (!point_argument.empty()) {
    std::map<std::string, std::size_t> listed, by_entries;
    std::set<std::string> whole;  // given one number or a list
    const std::string text = point_text(point_argument, point_flag);
    for (const std::string_view piece : pieces(text, point_flag)) {
      const Assignment a = parse_piece(piece, point_flag);
      if (a.index) {
        std::size_t& n = by_entries[a.name];
        n = std::max(n, *a.index + 1);
      } else {
        whole.insert(a.name);
        if (a.list) listed[a.name] = a.values.size();
      }
    }
    const auto take = [&](const std::string& name, std::size_t n, const std::string& how) {
      if (dimensions.count(name)) return;
      if (n > 1'000'000)  // the bound --dim has (parse_dimensions)
        throw UsageError(point_flag + ": " + how + "; a vector has at most 10^6 entries");
      dimensions[name] = n;
    };
    for (const auto& [name, n] : listed)
      take(name, n, "the list for " + name + " has " + std::to_string(n) + " values");
    for (const auto& [name, n] : by_entries)
      if (!whole.count(name)) take(name, n, name + "[" + std::to_string(n - 1) + "] is given");
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
  for (const std::string_view piece : pieces(text, flag)) assignments.push_back(parse_piece(piece, flag));

  // Each variable's assignments in the order given: one pass over them, however many.
  std::unordered_map<std::string, std::vector<std::size_t>> given;
  for (std::size_t k = 0; k < assignments.size(); ++k) given[assignments[k].name].push_back(k);
  const std::vector<std::size_t> none;
  const auto given_for = [&](const std::string& name) -> const std::vector<std::size_t>& {
    const auto it = given.find(name);
    return it == given.end() ? none : it->second;
  };

  Point p = zero_point(e);
  for (std::size_t s = 0; s < e.scalars().size(); ++s) {
    const std::string& name = e.scalars()[s];
    bool found = false;
    for (const std::size_t k : given_for(name)) {
      const Assignment& a = assignments[k];
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
    std::vector<bool> set(n, false);
    bool whole = false;
    for (const std::size_t k : given_for(name)) {  // x=… first, then x[i]=… overrides entries
      const Assignment& a = assignments[k];
      if (a.index) continue;
      if (whole) throw UsageError(flag + ": " + name + " is given twice");
      whole = true;
      if (a.list && a.values.size() != n)
        throw UsageError(flag + ": the list for " + name + " has " + std::to_string(a.values.size()) +
                         " values, its dimension is " + std::to_string(n));
      for (std::size_t i = 0; i < n; ++i) p.vectors[v][i] = a.list ? a.values[i] : a.values[0];
      set.assign(n, true);
    }
    std::vector<bool> indexed(n, false);
    for (const std::size_t k : given_for(name)) {
      const Assignment& a = assignments[k];
      if (!a.index) continue;
      if (*a.index >= n)
        throw UsageError(flag + ": " + name + "[" + std::to_string(*a.index) + "] is out of range: " + name +
                         " has dimension " + std::to_string(n) + " (indices 0 to " + std::to_string(n - 1) +
                         ")");
      if (indexed[*a.index])
        throw UsageError(flag + ": " + name + "[" + std::to_string(*a.index) + "] is given twice");
      indexed[*a.index] = set[*a.index] = true;
      p.vectors[v][*a.index] = a.values[0];
    }
    for (std::size_t i = 0; i < n; ++i)
      if (!set[i])
        throw UsageError(flag + ": no value for " + name + "[" + std::to_string(i) + "] (give " + name +
                         "=[…] with " + std::to_string(n) + " values, " + name + "=number for all, or each " +
                         name + "[i])");
  }
  const std::unordered_set<std::string> vectors(e.vectors().begin(), e.vectors().end());
  const std::unordered_set<std::string> variables = variable_names(e);
  for (const Assignment& a : assignments) {
    if (!variables.count(a.name)) not_a_variable(e, a.name, flag);
    if ((a.index || a.list) && !vectors.count(a.name))
      throw UsageError(flag + ": " + a.name + " is a scalar; give it one number");
  }
  return p;
}

}  // namespace tapegrad::cli
