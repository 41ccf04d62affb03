/// \file
/// JSON documents of a file format (model files, checkpoints): sealing one (format name,
/// version, checksum) and opening one (format, version, checksum, conversion of older
/// versions), then typed field access whose errors name the file, the field and its place.
/// For the library's own .cpp files only: it includes nlohmann-json, a private dependency
/// of the library, so no public header (and neither umbrella header) may include it.
///
/// A document is a JSON object holding "format" (the format's name), "version" and
/// "checksum": FNV-1a 64 as 16 hex digits over the compact text (keys sorted, as
/// nlohmann-json dumps them) of the object without "checksum". NaN and infinities, which
/// JSON lacks, are the strings "nan", "inf" and "-inf" where a field allows them.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "file_format.hpp"

namespace tapegrad::detail {

/// The JSON value type of every document.
using Json = nlohmann::json;

/// Which numbers a field takes: JSON numbers only, or also "nan", "inf" and "-inf".
enum class Numbers { Finite, OrSpecial };

/// `v` as a document stores it: a number, or "nan", "inf", "-inf" (read back with
/// Numbers::OrSpecial). Finite doubles are written as shortest round-trip decimals.
inline Json json_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

/// The checksum `doc` must carry: over its compact text without "checksum".
inline std::string json_checksum(Json doc) {
  doc.erase("checksum");
  return content_checksum(doc.dump());
}

/// The text of a document of `format`: `doc` with its "format", "version" (the current
/// one) and "checksum" set, indented by one space, ending in a newline.
inline std::string seal_json(const FileFormat& format, Json doc) {
  doc["format"] = std::string(format.name);
  doc["version"] = format.version;
  doc["checksum"] = json_checksum(doc);
  return doc.dump(1) + "\n";
}

/// A matrix read from {"rows": r, "cols": c, "values": [row by row]}.
template <class T>
struct JsonMatrix {
  std::size_t rows = 0;   ///< at least 1
  std::size_t cols = 0;   ///< at least 1
  std::vector<T> values;  ///< rows × cols, row by row
};

/// {"rows": rows, "cols": cols, "values": [at(0, 0), at(0, 1), …]}, the values written by
/// json_number().
template <class At>
Json matrix_json(std::int64_t rows, std::int64_t cols, At&& at) {
  Json values = Json::array();
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) values.push_back(json_number(static_cast<double>(at(i, j))));
  return {{"rows", rows}, {"cols", cols}, {"values", std::move(values)}};
}

class JsonReader;

/// Converts a document of one version to the next, in place (JsonReader::open).
using JsonUpgrade = void (*)(Json& doc, const JsonReader& at);

/// Reads documents of one format from one source; every error is "tapegrad: <what> file
/// <source>: <why>" with the field and where it sits ("layer 2 weight value 3").
class JsonReader {
 public:
  /// For documents of `format` from `source` (a path, or what the text is called).
  JsonReader(const FileFormat& format, std::string source) : file_(format, std::move(source)) {}

  /// Refuses the document (see FileContext::fail).
  [[noreturn]] void fail(std::string_view why) const { file_.fail(why); }
  /// The format and source, for a reader of an embedded document or a binary file.
  const FileContext& file() const noexcept { return file_; }

  /// Parses `text` and checks the document (check()); returns it at the current version,
  /// without its checksum.
  Json open(const std::string& text, std::span<const JsonUpgrade> upgrades = {}) const {
    Json doc = parse(text);
    check(doc, upgrades);
    return doc;
  }
  /// Reads the file at `path` and opens it.
  Json open_file(const std::filesystem::path& path, std::span<const JsonUpgrade> upgrades = {}) const {
    return open(read_whole_file(file_, path), upgrades);
  }

  /// `text` as JSON, refused when it is not (truncated, corrupted, a number out of range).
  Json parse(const std::string& text) const {
    try {
      return Json::parse(text);
    } catch (const Json::parse_error& e) {
      fail("not valid JSON at byte " + std::to_string(e.byte) + " (truncated or corrupted?)");
    } catch (const Json::out_of_range& e) {
      // A number such as 1e999 that no double holds.
      fail(std::string("a number in the file is out of range: ") + e.what());
    } catch (const Json::exception& e) {
      fail(std::string("not valid JSON: ") + e.what());
    }
  }

  /// Checks that `doc` is an object of this format, of a version this build reads, whose
  /// checksum matches its content; then removes the checksum, converts an older version
  /// with `upgrades` (one per version from the oldest readable up to the current one, the
  /// first turning the oldest into the next) and marks it current.
  void check(Json& doc, std::span<const JsonUpgrade> upgrades = {}) const {
    const FileFormat& format = file_.format();
    if (!doc.is_object()) fail("the document is not a JSON object");
    const auto name = doc.find("format");
    if (name == doc.end() || !name->is_string() || name->get<std::string>() != format.name)
      fail("this is not a tapegrad " + std::string(format.what) + " (no \"format\": \"" +
           std::string(format.name) + "\")");
    const std::string top = "the " + std::string(format.what);
    const std::uint64_t version = count(doc, "version", top);
    file_.check_version(version);
    if (string(doc, "checksum", top) != json_checksum(doc))
      fail("the checksum does not match the content: the file was damaged or edited");
    if (upgrades.size() != format.version - format.oldest_readable)
      throw Error("JsonReader: the " + std::string(format.what) + " format reads " +
                  format.readable_versions() + " but was given " + std::to_string(upgrades.size()) +
                  " conversions");
    doc.erase("checksum");  // it vouched for the file; a converted document no longer matches it
    for (std::uint64_t v = version; v < format.version; ++v) upgrades[v - format.oldest_readable](doc, *this);
    doc["version"] = format.version;
  }

  /// `object`'s field `key`, of any type; `where` names the object in errors.
  const Json& field(const Json& object, std::string_view key, std::string_view where) const {
    if (!object.is_object()) fail(std::string(where) + " is not an object");
    const auto it = object.find(key);
    if (it == object.end()) fail(std::string(where) + " has no \"" + std::string(key) + "\"");
    return *it;
  }
  /// `object`'s field `key`, which must have JSON type `type` (number_float: any number).
  const Json& field(const Json& object, std::string_view key, Json::value_t type,
                    std::string_view where) const {
    const Json& value = field(object, key, where);
    if (type == Json::value_t::number_float ? !value.is_number() : value.type() != type)
      wrong_type(value, key, where, Json(type).type_name());
    return value;
  }

  /// Typed fields of `object`; `where` names the object in errors.
  ///@{
  std::string string(const Json& object, std::string_view key, std::string_view where) const {
    return field(object, key, Json::value_t::string, where).get<std::string>();
  }
  bool boolean(const Json& object, std::string_view key, std::string_view where) const {
    return field(object, key, Json::value_t::boolean, where).get<bool>();
  }
  /// A whole number (negative ones too).
  std::int64_t whole(const Json& object, std::string_view key, std::string_view where) const {
    const Json& value = field(object, key, where);
    if (value.is_number_integer() && (!value.is_number_unsigned() ||
                                      value.get<std::uint64_t>() <= std::numeric_limits<std::int64_t>::max()))
      return value.get<std::int64_t>();
    wrong_type(value, key, where, "a whole number");
  }
  /// A whole number ≥ 0.
  std::uint64_t count(const Json& object, std::string_view key, std::string_view where) const {
    const Json& value = field(object, key, where);
    if (value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0))
      return value.get<std::uint64_t>();
    wrong_type(value, key, where, "a whole number ≥ 0");
  }
  double number(const Json& object, std::string_view key, std::string_view where,
                Numbers numbers = Numbers::Finite) const {
    return number(field(object, key, where), std::string(where) + "'s \"" + std::string(key) + "\"", numbers);
  }
  std::vector<std::string> strings(const Json& object, std::string_view key, std::string_view where) const {
    const Json& array = field(object, key, Json::value_t::array, where);
    std::vector<std::string> out;
    for (const Json& s : array) {
      if (!s.is_string())
        fail(std::string(where) + "'s \"" + std::string(key) + "\" holds " + s.type_name() +
             ", not only strings");
      out.push_back(s.get<std::string>());
    }
    return out;
  }
  ///@}

  /// `value` as a number; `what` names it in errors.
  double number(const Json& value, const std::string& what, Numbers numbers = Numbers::Finite) const {
    if (value.is_number()) return value.get<double>();
    if (numbers == Numbers::OrSpecial && value.is_string()) {
      if (value == "nan") return std::numeric_limits<double>::quiet_NaN();
      if (value == "inf") return std::numeric_limits<double>::infinity();
      if (value == "-inf") return -std::numeric_limits<double>::infinity();
    }
    fail(what + " is not a number" +
         (numbers == Numbers::OrSpecial ? " (nor \"nan\", \"inf\", \"-inf\")" : ""));
  }
  /// The array `value` as numbers; `what` names it in errors.
  std::vector<double> numbers(const Json& value, const std::string& what,
                              Numbers numbers = Numbers::Finite) const {
    if (!value.is_array()) fail(what + " is not an array");
    std::vector<double> out;
    out.reserve(value.size());
    for (std::size_t k = 0; k < value.size(); ++k)
      out.push_back(number(value[k], what + " value " + std::to_string(k), numbers));
    return out;
  }

  /// The matrix `object` ({"rows", "cols", "values"}, each side 1 … 2^24) in T: every value
  /// a number that T holds exactly (a float file's values must be floats), finite unless
  /// `numbers` allows the special ones. `where` names it in errors ("layer 0 weight").
  template <class T>
  JsonMatrix<T> matrix(const Json& object, const std::string& where,
                       Numbers numbers = Numbers::Finite) const {
    JsonMatrix<T> m;
    const std::uint64_t rows = count(object, "rows", where), cols = count(object, "cols", where);
    const Json& values = field(object, "values", Json::value_t::array, where);
    constexpr std::uint64_t most = std::uint64_t{1} << 24;
    if (rows == 0 || cols == 0 || rows > most || cols > most || values.size() != rows * cols)
      fail(where + " is " + std::to_string(rows) + "×" + std::to_string(cols) + " but holds " +
           std::to_string(values.size()) + " values");
    m.rows = static_cast<std::size_t>(rows);
    m.cols = static_cast<std::size_t>(cols);
    m.values.reserve(values.size());
    for (std::size_t k = 0; k < values.size(); ++k) {
      const std::string what = where + " value " + std::to_string(k);
      const double d = number(values[k], what, numbers);
      const T t = static_cast<T>(d);
      if ((numbers == Numbers::Finite && !std::isfinite(d)) ||
          (std::isfinite(d) && static_cast<double>(t) != d))
        fail(what + " (" + values[k].dump() + ") is not a " + (numbers == Numbers::Finite ? "finite " : "") +
             (std::is_same_v<T, float> ? "float" : "double"));
      m.values.push_back(t);
    }
    return m;
  }

 private:
  [[noreturn]] void wrong_type(const Json& value, std::string_view key, std::string_view where,
                               std::string_view expected) const {
    fail(std::string(where) + "'s \"" + std::string(key) + "\" has the wrong type (" + value.type_name() +
         ", expected " + std::string(expected) + ")");
  }

  FileContext file_;
};

/// One member of a struct stored under `key`: the struct's schema is a tuple of these,
/// read and written by the same list (read_fields(), write_fields()), so that no member
/// is written under one name and read under another. Members may be bool, std::string,
/// double (NaN and infinities allowed: json_number()) or an integer type.
template <class S, class M>
struct JsonField {
  std::string_view key;  ///< the name in the document
  M S::*member;          ///< the member it holds
};
/// \cond INTERNAL
// clang 14 deduces no aggregate's template arguments by itself (P1816).
template <class S, class M>
JsonField(std::string_view, M S::*) -> JsonField<S, M>;
/// \endcond

/// Writes `fields` of `s` into the JSON object `object`.
template <class S, class... M>
void write_fields(Json& object, const S& s, const std::tuple<JsonField<S, M>...>& fields) {
  const auto one = [&](const auto& f) {
    const auto& value = s.*(f.member);
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(value)>, double>)
      object[std::string(f.key)] = json_number(value);
    else
      object[std::string(f.key)] = value;
  };
  std::apply([&](const auto&... f) { (one(f), ...); }, fields);
}

/// Reads `fields` of `s` from the JSON object `object` (named `where` in errors),
/// refusing a missing field, one of another type, or a whole number out of its member's range.
template <class S, class... M>
void read_fields(const JsonReader& at, const Json& object, std::string_view where, S& s,
                 const std::tuple<JsonField<S, M>...>& fields) {
  const auto one = [&](const auto& f) {
    auto& value = s.*(f.member);
    using V = std::remove_cvref_t<decltype(value)>;
    if constexpr (std::is_same_v<V, bool>) {
      value = at.boolean(object, f.key, where);
    } else if constexpr (std::is_same_v<V, std::string>) {
      value = at.string(object, f.key, where);
    } else if constexpr (std::is_floating_point_v<V>) {
      value = static_cast<V>(at.number(object, f.key, where, Numbers::OrSpecial));
    } else {
      static_assert(std::is_integral_v<V>,
                    "a JsonField holds bool, std::string, a floating-point or an integer member");
      const auto whole = [&] {
        if constexpr (std::is_signed_v<V>)
          return at.whole(object, f.key, where);
        else
          return at.count(object, f.key, where);
      }();
      if (!std::in_range<V>(whole))
        at.fail(std::string(where) + "'s \"" + std::string(f.key) + "\" (" + std::to_string(whole) +
                ") is out of range");
      value = static_cast<V>(whole);
    }
  };
  std::apply([&](const auto&... f) { (one(f), ...); }, fields);
}

}  // namespace tapegrad::detail
