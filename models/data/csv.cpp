#include "csv.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "../../autodiff/support/error.hpp"
#include "../../autodiff/support/utf8.hpp"

namespace tapegrad::models {
namespace {

struct Field {
  std::string text;
  std::size_t column;  // 1-based byte column where the field starts
};

struct Row {
  std::vector<Field> fields;
  std::size_t line;  // 1-based
  std::size_t end_column;
  std::string_view text;  // the line as it is in the file
};

// Where an error is: the file, and a line and column. Columns are counted in bytes while
// reading and reported in characters, as an editor counts them.
class Location {
 public:
  Location(const std::string& source, std::string_view text) : source_(source), text_(text) {}
  [[noreturn]] void fail(std::size_t line, std::size_t byte_column, const std::string& what) const {
    throw Error("" + source_ + ":" + std::to_string(line) + ":" +
                std::to_string(character_column(line, byte_column)) + ": " + what);
  }
  [[noreturn]] void fail(const std::string& what) const { throw Error("" + source_ + ": " + what); }

 private:
  // Only on the way to an error, so the line is looked for from the start.
  std::size_t character_column(std::size_t line, std::size_t byte_column) const {
    std::size_t start = 0;
    for (std::size_t l = 1; l < line && start != std::string_view::npos; ++l) {
      start = text_.find('\n', start);
      if (start != std::string_view::npos) ++start;
    }
    if (start == std::string_view::npos || start > text_.size()) return byte_column;
    return detail::character_column(text_.substr(start), byte_column);
  }

  std::string source_;
  std::string_view text_;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits one line into fields; a field in double quotes may hold the delimiter, and ""
// inside it is one quote.
Row split_line(std::string_view line, std::size_t line_number, char delimiter, const Location& at) {
  Row row{{}, line_number, line.size() + 1, line};
  std::size_t i = 0;
  while (true) {
    Field field{{}, i + 1};
    std::size_t j = i;
    while (j < line.size() && (line[j] == ' ' || line[j] == '\t')) ++j;
    if (j < line.size() && line[j] == '"') {
      ++j;
      while (true) {
        if (j >= line.size()) at.fail(line_number, field.column, "a quoted field is not closed on its line");
        if (line[j] == '"') {
          if (j + 1 < line.size() && line[j + 1] == '"') {
            field.text += '"';
            j += 2;
            continue;
          }
          ++j;
          break;
        }
        field.text += line[j++];
      }
      while (j < line.size() && (line[j] == ' ' || line[j] == '\t')) ++j;
      if (j < line.size() && line[j] != delimiter)
        at.fail(line_number, j + 1, "unexpected text after a quoted field");
    } else {
      const std::size_t end = std::min(line.find(delimiter, i), line.size());
      field.text = std::string(trim(line.substr(i, end - i)));
      j = end;
    }
    row.fields.push_back(std::move(field));
    if (j >= line.size()) break;
    i = j + 1;  // past the delimiter
  }
  return row;
}

std::vector<Row> split_rows(std::string_view text, char delimiter, const Location& at) {
  std::vector<Row> rows;
  std::size_t line_number = 0, start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_number;
    if (!trim(line).empty()) rows.push_back(split_line(line, line_number, delimiter, at));
    start = end + 1;
  }
  return rows;
}

bool is_missing_marker(std::string_view s) {
  static constexpr std::string_view markers[] = {"",    "NA",  "N/A", "na",   "n/a",  "NaN",
                                                 "nan", "NAN", "?",   "null", "NULL", "None"};
  return std::find(std::begin(markers), std::end(markers), s) != std::end(markers);
}

// The whole field as a decimal number (from_chars: no locale, no hex), or nothing.
std::optional<double> parse_number(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double value = 0;
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (end != s.data() + s.size()) return std::nullopt;
  // Out of range: strtod says which way (±HUGE_VAL for overflow, 0 or a subnormal for
  // underflow); the text is already known to be a well-formed decimal.
  if (error == std::errc::result_out_of_range) return std::strtod(std::string(s).c_str(), nullptr);
  if (error != std::errc()) return std::nullopt;
  return value;
}

std::string shown(std::string_view s) {
  constexpr std::size_t shown = 40;
  std::string out = "'";
  // Control bytes and bytes that are not part of valid UTF-8 are shown as \xNN, so that
  // binary garbage makes a readable message (and never a broken character on a terminal).
  const std::string_view head = s.substr(0, shown);
  for (std::size_t k = 0; k < head.size();) {
    const auto u = static_cast<unsigned char>(head[k]);
    const std::size_t length = detail::decode_utf8(head.substr(k)).length;
    if (length > 1 || (length == 1 && u >= 0x20 && u != 0x7f)) {
      out += head.substr(k, length);
      k += length;
      continue;
    }
    static constexpr char hex[] = "0123456789abcdef";
    out += "\\x";
    out += hex[u >> 4];
    out += hex[u & 15];
    ++k;
  }
  if (s.size() > shown) out += "…";
  out += "'";
  return out;
}

class CsvParser {
 public:
  CsvParser(std::string_view text, const std::string& source, const CsvOptions& options)
      : at_(source, text), options_(options), rows_(split_rows(text, options.delimiter, at_)) {
    data_.source = source;
    data_.task = options.task;
  }

  Dataset parse() {
    if (rows_.empty()) at_.fail("the file is empty (no header and no data rows)");
    width_ = rows_.front().fields.size();
    if (width_ == 1) refuse_other_delimiter();
    has_header_ = decide_header();
    column_names();
    labelled_ = options_.labelled;
    label_ = labelled_ ? find_label_column() : width_;
    if (label_ == width_) labelled_ = false;  // an optional label column that is absent
    if (labelled_ && width_ < 2)
      at_.fail(rows_.front().line, 1,
               "one column only: there must be at least one feature besides the label");
    const std::size_t first = has_header_ ? 1 : 0;
    if (rows_.size() == first) at_.fail("the file has a header row but no data rows");
    read_rows(first);
    if (options_.task == Task::Classify && labelled_) assign_classes();
    return std::move(data_);
  }

 private:
  // One column only, and the line holds another usual separator: say which.
  void refuse_other_delimiter() const {
    const std::string& line = rows_.front().fields.front().text;
    for (const char other : {',', ';', '\t', '|'}) {
      if (other == options_.delimiter || line.find(other) == std::string::npos) continue;
      const auto name = [](char c) { return c == '\t' ? std::string("tab") : std::string("'") + c + "'"; };
      at_.fail(rows_.front().line, 1,
               "one column only with the delimiter " + name(options_.delimiter) + ", but the line holds " +
                   name(other) + ": the file looks separated by " + name(other) + " (set the delimiter)");
    }
  }

  bool decide_header() const {
    switch (options_.header) {
      case Header::Present:
        return true;
      case Header::Absent:
        return false;
      case Header::Auto:
        break;
    }
    const auto& fields = rows_.front().fields;
    const bool label_by_name = options_.labelled && !options_.label_column.empty() &&
                               !std::all_of(options_.label_column.begin(), options_.label_column.end(),
                                            [](char c) { return c >= '0' && c <= '9'; });
    // A label named in the options is a header when the first row holds that name. A
    // headerless file's columns are named column_0, column_1, …, so a model trained on
    // one names its label that way and a first row of numbers is data, never dropped.
    if (label_by_name && std::any_of(fields.begin(), fields.end(),
                                     [&](const Field& f) { return f.text == options_.label_column; }))
      return true;
    // A class name in the label column of a data row is not a header; a non-number
    // anywhere else is.
    std::size_t label = options_.labelled && !label_by_name ? label_index_without_names() : width_;
    if (label_by_name && options_.label_column.rfind("column_", 0) == 0) {
      const std::string digits = options_.label_column.substr(7);
      if (!digits.empty() && digits.size() < 10 &&
          std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        label = static_cast<std::size_t>(std::stoull(digits));
    }
    for (std::size_t c = 0; c < fields.size(); ++c)
      if (c != label && !parse_number(fields[c].text) && !is_missing_marker(fields[c].text)) return true;
    return false;
  }

  // Text the data set keeps (column and class names) is written to model files and JSON
  // later, which hold UTF-8 only: a byte of another encoding is refused here, before any
  // training, rather than after it. Numbers need no check: such a byte is not a number.
  void check_encoding(const Row& row, std::size_t c) const {
    const std::size_t begin = row.fields[c].column - 1;
    // The next field starts one past the delimiter.
    const std::size_t end = c + 1 < row.fields.size() ? row.fields[c + 1].column - 2 : row.text.size();
    const std::string_view raw = row.text.substr(begin, end - begin);
    const std::size_t bad = detail::find_invalid_utf8(raw);
    if (bad == std::string_view::npos) return;
    at_.fail(row.line, begin + bad + 1,
             "byte " + detail::byte_name(static_cast<unsigned char>(raw[bad])) + " in " + shown(trim(raw)) +
                 " is not UTF-8 text: the file must be UTF-8 (one in Latin-1 converts with "
                 "iconv -f latin1 -t utf-8 OLD.csv > NEW.csv)");
  }

  std::size_t label_index_without_names() const {
    if (options_.label_column.empty()) return width_ - 1;
    if (options_.label_column.size() > 9) return width_;  // no such column; reported later
    return static_cast<std::size_t>(std::stoull(options_.label_column));
  }

  void column_names() {
    names_.clear();
    for (std::size_t c = 0; c < width_; ++c) {
      if (!has_header_) {
        names_.push_back("column_" + std::to_string(c));
        continue;
      }
      const Field& f = rows_.front().fields[c];
      check_encoding(rows_.front(), c);
      if (f.text.empty())
        at_.fail(rows_.front().line, f.column, "header column " + std::to_string(c) + " has no name");
      for (std::size_t d = 0; d < c; ++d)
        if (names_[d] == f.text)
          at_.fail(rows_.front().line, f.column, "header name " + shown(f.text) + " appears twice");
      names_.push_back(f.text);
    }
  }

  std::size_t find_label_column() const {
    const std::string& wanted = options_.label_column;
    if (wanted.empty()) return width_ - 1;
    if (std::all_of(wanted.begin(), wanted.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      const auto index = wanted.size() > 9 ? width_ : static_cast<std::size_t>(std::stoull(wanted));
      if (index >= width_)
        at_.fail(rows_.front().line, 1,
                 "label column " + wanted + " does not exist: the rows have " + std::to_string(width_) +
                     " columns (0 to " + std::to_string(width_ - 1) + ")");
      return index;
    }
    const auto it = std::find(names_.begin(), names_.end(), wanted);
    if (it == names_.end() && options_.label_optional) return width_;
    if (it == names_.end()) {
      std::string known;
      for (const std::string& n : names_) known += (known.empty() ? "" : ", ") + n;
      if (known.size() > 200) known = known.substr(0, 200) + "…";
      at_.fail(rows_.front().line, 1,
               "no column is named " + shown(wanted) + " (the header has: " + known + ")");
    }
    return static_cast<std::size_t>(it - names_.begin());
  }

  void read_rows(std::size_t first) {
    const auto n = static_cast<Eigen::Index>(rows_.size() - first);
    const auto features = static_cast<Eigen::Index>(labelled_ ? width_ - 1 : width_);
    data_.features.resize(n, features);
    if (labelled_ && options_.task == Task::Regress) data_.targets.resize(n, 1);
    for (std::size_t c = 0; c < width_; ++c)
      if (c != label_) data_.feature_names.push_back(names_[c]);
    if (labelled_) data_.label_name = names_[label_];
    for (std::size_t r = first; r < rows_.size(); ++r) {
      const Row& row = rows_[r];
      if (row.fields.size() != width_)
        at_.fail(row.line, row.fields.size() < width_ ? row.end_column : row.fields[width_].column,
                 "this row has " + std::to_string(row.fields.size()) + " fields, the " +
                     (has_header_ ? std::string("header has ") : std::string("first row has ")) +
                     std::to_string(width_));
      const auto i = static_cast<Eigen::Index>(r - first);
      Eigen::Index feature = 0;
      for (std::size_t c = 0; c < width_; ++c) {
        const Field& f = row.fields[c];
        if (is_missing_marker(f.text))
          at_.fail(row.line, f.column,
                   "missing value " + shown(f.text) + " in column " + shown(names_[c]) +
                       " (rows with missing values are refused, not dropped)");
        if (c == label_ && options_.task == Task::Classify) {
          check_encoding(row, c);
          label_text_.push_back(f.text);
          continue;
        }
        const std::optional<double> value = parse_number(f.text);
        if (!value)
          at_.fail(row.line, f.column, shown(f.text) + " in column " + shown(names_[c]) + " is not a number");
        if (!std::isfinite(*value))
          at_.fail(row.line, f.column,
                   shown(f.text) + " in column " + shown(names_[c]) + " is not a finite number");
        if (c == label_)
          data_.targets(i, 0) = *value;
        else
          data_.features(i, feature++) = *value;
      }
    }
  }

  // Class names sorted, numerically when every label is an integer (so "10" follows
  // "9"), otherwise as text; class k is the k-th name.
  void assign_classes() {
    std::vector<std::string> names = label_text_;
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    const bool integers = std::all_of(names.begin(), names.end(), [](const std::string& s) {
      const std::optional<double> v = parse_number(s);
      return v && std::isfinite(*v) && *v == std::floor(*v) && std::abs(*v) < 1e15;
    });
    if (integers)
      std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
        return *parse_number(a) < *parse_number(b);
      });
    if (integers) {  // "1" and "1.0" are one class
      names.erase(std::unique(names.begin(), names.end(),
                              [](const std::string& a, const std::string& b) {
                                return *parse_number(a) == *parse_number(b);
                              }),
                  names.end());
    }
    std::map<std::string, int> index;
    for (std::size_t k = 0; k < names.size(); ++k) index[names[k]] = static_cast<int>(k);
    data_.labels.reserve(label_text_.size());
    for (const std::string& label : label_text_) {
      auto it = index.find(label);
      if (it == index.end())  // an integer spelled differently ("1.0" beside "1")
        it = std::find_if(index.begin(), index.end(),
                          [&](const auto& kv) { return *parse_number(kv.first) == *parse_number(label); });
      data_.labels.push_back(it->second);
    }
    data_.class_names = std::move(names);
    if (data_.class_names.size() < 2)
      at_.fail("every row has the label " + shown(data_.class_names.front()) +
               ": classification needs at least two classes");
  }

  Location at_;
  const CsvOptions& options_;
  std::vector<Row> rows_;
  std::size_t width_ = 0;
  bool has_header_ = false;
  std::vector<std::string> names_;
  std::size_t label_ = 0;
  bool labelled_ = true;
  std::vector<std::string> label_text_;
  Dataset data_;
};

}  // namespace

Dataset parse_csv(std::string_view text, const std::string& source, const CsvOptions& options) {
  // A byte-order mark (written by some editors and spreadsheets) would otherwise stay in
  // the first column's name.
  return CsvParser(detail::without_bom(text), source, options).parse();
}

Dataset load_csv(const std::filesystem::path& path, const CsvOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error("" + path.string() + ": is a directory, not a CSV file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("" + path.string() + ": cannot open the file (does it exist?)");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error("" + path.string() + ": reading failed");
  return parse_csv(text.str(), path.string(), options);
}

}  // namespace tapegrad::models
