/// \file
/// UTF-8 text as messages and files need it: checking that text is valid UTF-8 before it
/// reaches a JSON document (which refuses anything else), decoding one character, and
/// quoting a character whole or by its code point, so that an error never shows half a
/// character. The command line and the CSV reader share it.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace tapegrad::detail {

/// The byte-order mark some editors put at the start of a UTF-8 file.
inline constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

/// One decoded character: its code point and how many bytes it took (0 when the first
/// byte does not start a valid UTF-8 sequence).
struct Utf8Char {
  /// The Unicode code point (the byte itself when `length` is 0).
  char32_t code_point = 0;
  /// Bytes the character takes; 0 for an invalid byte.
  std::size_t length = 0;
};

/// The character at the start of `text` (not empty). Overlong forms, surrogates and code
/// points above U+10FFFF are invalid, as RFC 3629 says.
inline Utf8Char decode_utf8(std::string_view text) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return {lead, 1};
  std::size_t length = 0;
  char32_t code = 0;
  // The second byte's range depends on the lead: it is what excludes overlong forms,
  // surrogates (ED A0..BF) and code points past U+10FFFF.
  unsigned char low = 0x80, high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0F;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return {lead, 0};
  }
  if (text.size() < length) return {lead, 0};
  for (std::size_t k = 1; k < length; ++k) {
    const unsigned char b = byte(k);
    if (k == 1 ? (b < low || b > high) : (b & 0xC0) != 0x80) return {lead, 0};
    code = (code << 6) | (b & 0x3F);
  }
  return {code, length};
}

/// The offset of the first byte of `text` that is not part of valid UTF-8, or npos.
inline std::size_t find_invalid_utf8(std::string_view text) {
  for (std::size_t k = 0; k < text.size();) {
    const std::size_t length = decode_utf8(text.substr(k)).length;
    if (length == 0) return k;
    k += length;
  }
  return std::string_view::npos;
}

/// Whether all of `text` is valid UTF-8.
inline bool is_valid_utf8(std::string_view text) { return find_invalid_utf8(text) == std::string_view::npos; }

/// How many characters `text` holds; an invalid byte counts as one (as a terminal shows
/// it: one replacement character).
inline std::size_t utf8_length(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t k = 0; k < text.size(); ++count) {
    const std::size_t length = decode_utf8(text.substr(k)).length;
    k += length == 0 ? 1 : length;
  }
  return count;
}

/// `text` without a leading byte-order mark.
inline std::string_view without_bom(std::string_view text) {
  return text.substr(0, utf8_bom.size()) == utf8_bom ? text.substr(utf8_bom.size()) : text;
}

/// The 1-based column, in characters, of the 1-based `byte_column` of `line`: what an
/// editor shows for it. A leading byte-order mark is not counted (an editor hides it).
inline std::size_t character_column(std::string_view line, std::size_t byte_column) {
  if (byte_column == 0 || byte_column > line.size() + 1) return byte_column;
  return 1 + utf8_length(without_bom(line.substr(0, byte_column - 1)));
}

/// "U+2212": a code point as Unicode writes it (at least four hex digits).
inline std::string code_point_name(char32_t code_point) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "U+%04X", static_cast<unsigned>(code_point));
  return buffer;
}

/// "0xE9": a byte in hex.
inline std::string byte_name(unsigned char byte) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "0x%02X", static_cast<unsigned>(byte));
  return buffer;
}

/// Whether a character shows nothing, or nothing that tells it apart from a space:
/// control characters, the spaces of other widths, zero-width characters and the BOM.
/// Such a character is named by its code point alone, since quoting it shows nothing.
inline bool is_invisible(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0xA0) || c == 0xAD || c == 0x1680 || (c >= 0x2000 && c <= 0x200F) ||
         (c >= 0x2028 && c <= 0x202F) || (c >= 0x205F && c <= 0x206F) || c == 0x3000 || c == 0xFEFF;
}

/// The character at the start of `text` (not empty) quoted whole for a message:
/// "'−' (U+2212)", or "U+00A0" for an invisible one, or "byte 0xE9" for a byte that is
/// not UTF-8.
inline std::string quoted_character(std::string_view text) {
  const Utf8Char c = decode_utf8(text);
  if (c.length == 0) return "byte " + byte_name(static_cast<unsigned char>(text[0]));
  if (is_invisible(c.code_point)) return code_point_name(c.code_point);
  std::string out = "'";
  out += text.substr(0, c.length);
  out += '\'';
  if (c.code_point >= 0x80) out += " (" + code_point_name(c.code_point) + ")";
  return out;
}

/// `text` with each byte that is not valid UTF-8, and each control character but tab and
/// new line, written as \\xNN: safe in a JSON document and on a terminal, and still
/// telling which byte it was.
inline std::string printable_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t k = 0; k < text.size();) {
    const Utf8Char c = decode_utf8(text.substr(k));
    const bool control = c.length == 1 && (c.code_point < 0x20 || c.code_point == 0x7F) &&
                         c.code_point != '\t' && c.code_point != '\n';
    if (c.length == 0 || control) {
      static constexpr char hex[] = "0123456789abcdef";
      const auto b = static_cast<unsigned char>(text[k]);
      out += "\\x";
      out += hex[b >> 4];
      out += hex[b & 15];
      ++k;
    } else {
      out += text.substr(k, c.length);
      k += c.length;
    }
  }
  return out;
}

}  // namespace tapegrad::detail
