/// \file
/// Binary files of named fields, checksummed (saved recordings use it). A file is its
/// format's name and a newline, the version (uint32), the byte-order mark 0x01020304
/// (uint32), the fields, and the FNV-1a 64 checksum of everything before it (uint64). Each
/// field carries what it is:
///
///   name length (uint8), name, element kind (uint8: 1 unsigned, 2 signed, 3 floating
///   point, 4 text), element size in bytes (uint8), count (uint64), then the elements
///   (numbers in the writer's byte order; each text as a uint32 length and its bytes),
///
/// so a reader whose schema lists fields in another order or of another type refuses the
/// file naming the field, where reading by position would take one array for another.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "file_format.hpp"

namespace tapegrad::detail {

/// How a field's elements are stored, written beside its name.
enum class ElementKind : std::uint8_t { Unsigned = 1, Signed = 2, Float = 3, Text = 4 };

/// The element kind of U: an enumeration is stored as its underlying integer.
template <class U>
constexpr ElementKind element_kind() {
  if constexpr (std::is_enum_v<U>) {
    return element_kind<std::underlying_type_t<U>>();
  } else if constexpr (std::is_floating_point_v<U>) {
    return ElementKind::Float;
  } else {
    static_assert(std::is_integral_v<U> && !std::is_same_v<U, bool>,
                  "a field holds numbers, enumerations or text");
    return std::is_signed_v<U> ? ElementKind::Signed : ElementKind::Unsigned;
  }
}

/// "4-byte floating-point numbers", for messages.
inline std::string describe_elements(ElementKind kind, std::uint64_t size) {
  switch (kind) {
    case ElementKind::Unsigned:
      return std::to_string(size) + "-byte unsigned integers";
    case ElementKind::Signed:
      return std::to_string(size) + "-byte signed integers";
    case ElementKind::Float:
      return std::to_string(size) + "-byte floating-point numbers";
    case ElementKind::Text:
      return "texts";
  }
  return "elements of unknown kind " + std::to_string(static_cast<int>(kind));
}

/// The byte-order mark every binary file carries after its version.
inline constexpr std::uint32_t byte_order_mark = 0x01020304;

/// Writes a binary file of `format` field by field, in memory; finish() seals it.
class BinaryWriter {
 public:
  /// Starts the file: the format's name line, its current version, the byte-order mark.
  explicit BinaryWriter(const FileFormat& format) {
    out_.append(format.name).push_back('\n');
    raw(format.version);
    raw(byte_order_mark);
  }

  /// A field of `values` named `name`.
  ///@{
  template <class U>
  void array(std::string_view name, std::span<const U> values) {
    header(name, element_kind<U>(), sizeof(U), values.size());
    if (!values.empty()) out_.append(reinterpret_cast<const char*>(values.data()), values.size_bytes());
  }
  template <class U>
  void array(std::string_view name, const std::vector<U>& values) {
    array(name, std::span<const U>(values));
  }
  ///@}
  /// A field of one value.
  template <class U>
  void scalar(std::string_view name, const U& value) {
    array(name, std::span<const U>(&value, 1));
  }
  /// A field of texts.
  void texts(std::string_view name, std::span<const std::string_view> values) {
    header(name, ElementKind::Text, 1, values.size());
    for (const std::string_view text : values) {
      raw(static_cast<std::uint32_t>(text.size()));
      out_.append(text);
    }
  }

  /// The file's bytes, its checksum appended.
  std::string finish() && {
    raw(fnv1a_64(out_));
    return std::move(out_);
  }

 private:
  template <class U>
  void raw(const U& value) {
    out_.append(reinterpret_cast<const char*>(&value), sizeof value);
  }
  void header(std::string_view name, ElementKind kind, std::size_t size, std::size_t count) {
    if (name.empty() || name.size() > 255 || size > 255)
      throw Error("BinaryWriter: the field name \"" + std::string(name) + "\" is empty or too long");
    raw(static_cast<std::uint8_t>(name.size()));
    out_.append(name);
    raw(static_cast<std::uint8_t>(kind));
    raw(static_cast<std::uint8_t>(size));
    raw(static_cast<std::uint64_t>(count));
  }

  std::string out_;
};

/// Reads a binary file that BinaryWriter wrote, field by field in the order of the
/// reader's schema; every read checks the field's name, element kind and size and that it
/// lies inside the file, and a mismatch refuses the file naming the field and its position.
/// The constructor checks the name line, the checksum, the version (through
/// FileContext::check_version) and the byte order, in that order: the checksum and the
/// header before it stay the same in every version, so that a damaged file is called
/// damaged rather than of an odd version.
class BinaryReader {
 public:
  /// Takes the file's whole `content`; refuses it through `file`.
  BinaryReader(const FileContext& file, std::string content) : file_(file), content_(std::move(content)) {
    const FileFormat& format = file_.format();
    const std::size_t name_line = format.name.size() + 1;
    if (content_.size() < name_line + sizeof(std::uint64_t) ||
        content_.compare(0, format.name.size(), format.name) != 0 || content_[format.name.size()] != '\n')
      fail("it does not start as a tapegrad " + std::string(format.what) + " does");
    end_ = content_.size() - sizeof(std::uint64_t);
    std::uint64_t checksum;
    std::memcpy(&checksum, content_.data() + end_, sizeof checksum);
    if (checksum != fnv1a_64(std::string_view(content_).substr(0, end_)))
      fail("its checksum does not match its content (the file is damaged)");
    at_ = name_line;
    version_ = untagged_scalar<std::uint32_t>("the format version");
    file_.check_version(version_);
    if (untagged_scalar<std::uint32_t>("the byte-order mark") != byte_order_mark)
      fail("its byte-order mark is not this machine's (written on a machine of the other byte order?)");
  }

  /// The file's format version (one this build reads).
  std::uint32_t version() const noexcept { return version_; }

  /// The next field, which must be named `name` and hold U (as many as it holds).
  template <class U>
  std::vector<U> array(std::string_view name) {
    const std::uint64_t count = header(name, element_kind<U>(), sizeof(U));
    return take<U>(count, "field \"" + std::string(name) + "\"");
  }
  /// The next field, which must be named `name` and hold one U.
  template <class U>
  U scalar(std::string_view name) {
    const std::vector<U> one = array<U>(name);
    if (one.size() != 1)
      fail("field \"" + std::string(name) + "\" holds " + std::to_string(one.size()) + " values, not one");
    return one[0];
  }
  /// The next field, which must be named `name` and hold texts.
  std::vector<std::string> texts(std::string_view name) {
    const std::uint64_t count = header(name, ElementKind::Text, 1);
    const std::string where = "field \"" + std::string(name) + "\"";
    // Each text takes at least its length's 4 bytes: a damaged count cannot reserve much.
    if (count > (end_ - at_) / sizeof(std::uint32_t)) truncated(where);
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t k = 0; k < count; ++k) {
      const auto length = untagged_scalar<std::uint32_t>(where);
      if (length > end_ - at_) truncated(where);
      out.emplace_back(content_.data() + at_, length);
      at_ += length;
    }
    return out;
  }

  /// For files of versions whose fields carried no names (the first saved recordings): the
  /// next count (uint64) and that many U; `what` names them in errors.
  template <class U>
  std::vector<U> untagged_array(std::string_view what) {
    return take<U>(untagged_scalar<std::uint64_t>(what), std::string(what));
  }
  /// The next U, with no name or count before it; `what` names it in errors.
  template <class U>
  U untagged_scalar(std::string_view what) {
    if (sizeof(U) > end_ - at_) truncated(std::string(what));
    U value;
    std::memcpy(&value, content_.data() + at_, sizeof value);
    at_ += sizeof value;
    return value;
  }

  /// Refuses a file with bytes after its last field.
  void expect_end() const {
    if (at_ != end_) fail("it has " + std::to_string(end_ - at_) + " bytes after its last field");
  }

  /// Refuses the file (see FileContext::fail).
  [[noreturn]] void fail(const std::string& why) const { file_.fail(why); }

 private:
  [[noreturn]] void truncated(const std::string& where) const {
    fail("it ends inside " + where + " (truncated)");
  }

  // Reads a field's name, kind, size and count, checking them against the schema's.
  std::uint64_t header(std::string_view name, ElementKind kind, std::size_t size) {
    ++fields_;
    const std::string position = "field " + std::to_string(fields_);
    const auto length = untagged_scalar<std::uint8_t>(position);
    if (length > end_ - at_) truncated(position);
    const std::string_view found(content_.data() + at_, length);
    at_ += length;
    if (found != name)
      fail(position + " is \"" + printable(found) + "\" where this tapegrad reads \"" + std::string(name) +
           "\"");
    const std::string where = "field \"" + std::string(name) + "\"";
    const auto found_kind = static_cast<ElementKind>(untagged_scalar<std::uint8_t>(where));
    const auto found_size = untagged_scalar<std::uint8_t>(where);
    if (found_kind != kind || found_size != size)
      fail(where + " (" + position + ") holds " + describe_elements(found_kind, found_size) + " where " +
           describe_elements(kind, size) + " were expected");
    return untagged_scalar<std::uint64_t>(where);
  }

  template <class U>
  std::vector<U> take(std::uint64_t count, const std::string& where) {
    if (count > (end_ - at_) / sizeof(U)) truncated(where);
    std::vector<U> v(static_cast<std::size_t>(count));
    if (count > 0) std::memcpy(v.data(), content_.data() + at_, v.size() * sizeof(U));  // data() may be null
    at_ += v.size() * sizeof(U);
    return v;
  }

  // A damaged name may hold any bytes; messages show the printable ones.
  static std::string printable(std::string_view text) {
    std::string out(text);
    for (char& c : out)
      if (c < 0x20 || c > 0x7e) c = '?';
    return out;
  }

  FileContext file_;
  std::string content_;
  std::size_t at_ = 0;
  std::size_t end_ = 0;  // where the checksum starts
  std::uint32_t version_ = 0;
  int fields_ = 0;
};

}  // namespace tapegrad::detail
