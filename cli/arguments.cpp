#include "arguments.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>

#include "../autodiff/support/utf8.hpp"

namespace tapegrad::cli {
namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

// name=value pieces, checked for form and repetition.
std::vector<std::pair<std::string, std::string>> named_parts(const std::string& text,
                                                             const std::string& flag) {
  std::vector<std::pair<std::string, std::string>> out;
  if (trimmed(text).empty()) return out;  // nothing given; a variable left without a value is named later
  for (const std::string& part : split(text, ',')) {
    const std::size_t eq = part.find('=');
    if (eq == std::string::npos)
      throw UsageError(flag + ": '" + trimmed(part) + "' is not of the form name=value");
    std::string name = trimmed(part.substr(0, eq)), value = trimmed(part.substr(eq + 1));
    if (!is_identifier(name)) throw UsageError(flag + ": " + not_a_name(name));
    for (const auto& [seen, unused] : out)
      if (seen == name) throw UsageError(flag + ": " + name + " is given twice");
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

}  // namespace

std::string trimmed(const std::string& s) {
  std::size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

bool is_identifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

std::string not_a_name(const std::string& name) {
  std::string message = "'" + tapegrad::detail::printable_utf8(name) + "' is not a variable name";
  for (std::size_t k = 0; k < name.size(); ++k) {
    if (static_cast<unsigned char>(name[k]) < 0x80) continue;
    const std::string_view rest = std::string_view(name).substr(k);
    if (tapegrad::detail::decode_utf8(rest).length == 0)
      return message + ": " + tapegrad::detail::quoted_character(rest) + " is not UTF-8 text";
    return message + ": " + tapegrad::detail::quoted_character(rest) +
           " is not an ASCII letter, digit or _ (names are ASCII)";
  }
  return message;
}

double parse_number(const std::string& text, const std::string& what) {
  std::string s = trimmed(text);
  if (!s.empty() && s[0] == '+') s.erase(0, 1);
  double value = 0;
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (!s.empty() && end == s.data() + s.size() && error == std::errc::result_out_of_range)
    throw UsageError(what + ": '" + trimmed(text) + "' is out of range of a double (overflow or underflow)");
  if (s.empty() || end != s.data() + s.size() || error != std::errc())
    throw UsageError(what + ": '" + trimmed(text) + "' is not a number");
  if (!std::isfinite(value)) throw UsageError(what + ": '" + trimmed(text) + "' is not a finite number");
  return value;
}

std::vector<std::pair<std::string, double>> parse_assignments(const std::string& text,
                                                              const std::string& flag) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& [name, value] : named_parts(text, flag))
    out.emplace_back(name, parse_number(value, flag + " " + name));
  return out;
}

std::map<std::string, std::size_t> parse_dimensions(const std::string& text, const std::string& flag) {
  std::map<std::string, std::size_t> out;
  for (const auto& [name, value] : named_parts(text, flag)) {
    const double n = parse_number(value, flag + " " + name);
    if (!(n >= 1 && n <= 1e6 && n == std::floor(n)))
      throw UsageError(flag + " " + name + ": the length " + value +
                       " must be a whole number from 1 to 10^6");
    out[name] = static_cast<std::size_t>(n);
  }
  return out;
}

std::pair<double, double> parse_box(const std::string& text, const std::string& flag) {
  const std::vector<std::string> parts = split(text, ',');
  if (parts.size() != 2) throw UsageError(flag + ": expected lo,hi, got '" + text + "'");
  const double lo = parse_number(parts[0], flag), hi = parse_number(parts[1], flag);
  if (!(lo < hi))
    throw UsageError(flag + ": the low end " + trimmed(parts[0]) + " is not below the high end");
  return {lo, hi};
}

std::string closest_name(const std::string& name, const std::vector<std::string>& candidates) {
  // Edit distance, case-insensitive, with a swap of two neighbours as one edit (optimal
  // string alignment: "adma" is one from adam, as the typo is one slip); a suggestion only
  // within a third of the length.
  const auto distance = [](const std::string& a, const std::string& b) {
    const auto same = [](char x, char y) {
      return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    };
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
      for (std::size_t j = 1; j <= b.size(); ++j) {
        d[i][j] = std::min(
            {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (same(a[i - 1], b[j - 1]) ? 0 : 1)});
        if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1]))
          d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    return d[a.size()][b.size()];
  };
  // Ties go to the longer common prefix: "sinn" is nearer sin than sign.
  const auto common_prefix = [&](const std::string& c) {
    std::size_t k = 0;
    while (k < c.size() && k < name.size() && c[k] == name[k]) ++k;
    return k;
  };
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(1, name.size() / 3) + 1, best_prefix = 0;
  for (const std::string& c : candidates) {
    const std::size_t d = distance(name, c), prefix = common_prefix(c);
    if (d < best_distance || (d == best_distance && !best.empty() && prefix > best_prefix)) {
      best = c;
      best_distance = d;
      best_prefix = prefix;
    }
  }
  return best;
}

char parse_delimiter(const std::string& text, const std::string& flag) {
  if (text == "tab" || text == "\\t" || text == "\t") return '\t';
  if (text.size() == 1 && text[0] != '"' && text[0] != '\n' && text[0] != '.' && text[0] != '-' &&
      text[0] != '+' && !std::isalnum(static_cast<unsigned char>(text[0])))
    return text[0];
  throw UsageError(flag + ": '" + text + "' (expected one character such as , ; | or tab)");
}

std::vector<long> parse_widths(const std::string& text, const std::string& flag) {
  std::vector<long> widths;
  if (trimmed(text).empty()) return widths;
  for (const std::string& part : split(text, ',')) {
    const double w = parse_number(part, flag);
    if (!(w >= 1 && w <= 1e6 && w == std::floor(w)))
      throw UsageError(flag + ": '" + trimmed(part) +
                       "' is not a layer width (a whole number from 1 to 10^6)");
    widths.push_back(static_cast<long>(w));
  }
  return widths;
}

void check_writable_file(const std::string& file, const std::string& flag) {
  namespace fs = std::filesystem;
  const fs::path path(file);
  std::error_code ec;
  if (!path.has_filename() || fs::is_directory(path, ec))
    throw UsageError(flag + " " + file + ": give a file name, not a folder");
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (!fs::is_directory(folder, ec))
    throw UsageError(flag + " " + file + ": the folder " + folder.string() + " does not exist");
  if (::access(folder.c_str(), W_OK) != 0 || (fs::exists(path, ec) && ::access(path.c_str(), W_OK) != 0))
    throw UsageError(flag + " " + file + ": cannot write there (permission denied)");
}

}  // namespace tapegrad::cli
