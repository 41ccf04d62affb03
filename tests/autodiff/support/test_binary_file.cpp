// The binary file toolkit (support/binary_file.hpp, support/file_format.hpp): fields read
// back as written; the layout is the documented one; a reader whose schema has two fields
// swapped, or a field of another type, refuses the file naming the field; versions outside
// the readable range are refused naming both; a changed byte fails the checksum; every
// error has the form "tapegrad: <what> file <path>: <why>".
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <tapegrad/autodiff/support/binary_file.hpp>
#include <vector>

namespace {

namespace tg = tapegrad;
using tg::detail::BinaryReader;
using tg::detail::BinaryWriter;
using tg::detail::FileContext;
using tg::detail::FileFormat;

constexpr FileFormat sample_format{
    .what = "sample", .name = "tapegrad sample", .version = 3, .oldest_readable = 2};

enum class Colour : std::uint8_t { Red = 1, Green = 7 };

// The sample file: three numeric fields, a scalar, texts and an empty field.
std::string sample_file(const FileFormat& format = sample_format) {
  BinaryWriter w(format);
  w.array("colours", std::vector<Colour>{Colour::Green, Colour::Red});
  w.array("offsets", std::vector<std::uint32_t>{0, 4, 9});
  w.array("sizes", std::vector<std::uint32_t>{4, 5});
  w.array("values", std::vector<double>{0.5, -2.25, 1e-300});
  w.scalar("steps", std::int64_t{-12});
  const std::vector<std::string_view> names{"add", "", "square root"};
  w.texts("names", names);
  w.array("nothing", std::vector<float>{});
  return std::move(w).finish();
}

// FNV-1a 64 as the format documents it, computed here independently of the library.
std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}
// `body` with its checksum appended: a well-sealed file of whatever content.
std::string sealed(const std::string& body) {
  const std::uint64_t h = fnv1a(body);
  return body + std::string(reinterpret_cast<const char*>(&h), sizeof h);
}
std::string body_of(const std::string& file) { return file.substr(0, file.size() - 8); }

std::string refusal(const std::string& content, const FileFormat& format = sample_format) {
  try {
    BinaryReader r(FileContext(format, "dir/s.bin"), content);
    (void)r.array<Colour>("colours");
    (void)r.array<std::uint32_t>("offsets");
    (void)r.array<std::uint32_t>("sizes");
    (void)r.array<double>("values");
    (void)r.scalar<std::int64_t>("steps");
    (void)r.texts("names");
    (void)r.array<float>("nothing");
    r.expect_end();
  } catch (const tg::Error& e) {
    return e.what();
  }
  return "";
}

TEST(BinaryFile, FieldsReadBackAsWritten) {
  BinaryReader r(FileContext(sample_format, "s.bin"), sample_file());
  EXPECT_EQ(r.version(), 3U);
  EXPECT_EQ(r.array<Colour>("colours"), (std::vector<Colour>{Colour::Green, Colour::Red}));
  EXPECT_EQ(r.array<std::uint32_t>("offsets"), (std::vector<std::uint32_t>{0, 4, 9}));
  EXPECT_EQ(r.array<std::uint32_t>("sizes"), (std::vector<std::uint32_t>{4, 5}));
  EXPECT_EQ(r.array<double>("values"), (std::vector<double>{0.5, -2.25, 1e-300}));
  EXPECT_EQ(r.scalar<std::int64_t>("steps"), -12);
  EXPECT_EQ(r.texts("names"), (std::vector<std::string>{"add", "", "square root"}));
  EXPECT_TRUE(r.array<float>("nothing").empty());
  EXPECT_NO_THROW(r.expect_end());
  EXPECT_EQ(refusal(sample_file()), "");
}

// The bytes are those the header comment of binary_file.hpp describes.
TEST(BinaryFile, TheLayoutIsTheDocumentedOne) {
  const std::string file = sample_file();
  std::size_t at = 0;
  const auto take = [&](std::size_t n) {
    const std::string part = file.substr(at, n);
    at += n;
    return part;
  };
  const auto u32 = [&] {
    std::uint32_t v;
    std::memcpy(&v, take(4).data(), 4);
    return v;
  };
  const auto u64 = [&] {
    std::uint64_t v;
    std::memcpy(&v, take(8).data(), 8);
    return v;
  };
  EXPECT_EQ(take(16), "tapegrad sample\n");
  EXPECT_EQ(u32(), 3U);
  EXPECT_EQ(u32(), 0x01020304U);
  // "colours": name length, name, kind 1 (unsigned), size 1, count 2, the bytes 7 and 1.
  EXPECT_EQ(take(1), std::string(1, '\x07'));
  EXPECT_EQ(take(7), "colours");
  EXPECT_EQ(take(2), std::string("\x01\x01", 2));
  EXPECT_EQ(u64(), 2U);
  EXPECT_EQ(take(2), std::string("\x07\x01", 2));
  // "offsets": kind 1, size 4, count 3, then 0, 4, 9.
  EXPECT_EQ(take(8), "\x07offsets");
  EXPECT_EQ(take(2), std::string("\x01\x04", 2));
  EXPECT_EQ(u64(), 3U);
  EXPECT_EQ(u32(), 0U);
  EXPECT_EQ(u32(), 4U);
  EXPECT_EQ(u32(), 9U);
  // The checksum is the last 8 bytes, over all before them.
  std::uint64_t checksum;
  std::memcpy(&checksum, file.data() + file.size() - 8, 8);
  EXPECT_EQ(checksum, fnv1a(body_of(file)));
}

TEST(BinaryFile, ASchemaWithTwoFieldsSwappedFailsNamingTheField) {
  // Both fields hold uint32s: read by position, one would silently be taken for the other.
  BinaryReader r(FileContext(sample_format, "dir/s.bin"), sample_file());
  (void)r.array<Colour>("colours");
  try {
    (void)r.array<std::uint32_t>("sizes");  // the schema lists "sizes" before "offsets"
    FAIL() << "a field was read under another name";
  } catch (const tg::Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "tapegrad: sample file dir/s.bin: field 2 is \"offsets\" where this tapegrad reads \"sizes\"");
  }
}

TEST(BinaryFile, AFieldOfAnotherTypeFailsNamingTheField) {
  const auto read_values_as = [](auto element) -> std::string {
    BinaryReader r(FileContext(sample_format, "s.bin"), sample_file());
    (void)r.array<Colour>("colours");
    (void)r.array<std::uint32_t>("offsets");
    (void)r.array<std::uint32_t>("sizes");
    try {
      (void)r.array<decltype(element)>("values");
    } catch (const tg::Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(read_values_as(0.0F).find("field \"values\" (field 4) holds 8-byte floating-point numbers where "
                                      "4-byte floating-point numbers were expected"),
            std::string::npos)
      << read_values_as(0.0F);
  EXPECT_NE(read_values_as(std::int64_t{0}).find("8-byte signed integers were expected"), std::string::npos);
  BinaryReader r(FileContext(sample_format, "s.bin"), sample_file());
  try {
    (void)r.array<std::uint16_t>("colours");
    FAIL() << "uint8s read as uint16s";
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("holds 1-byte unsigned integers where 2-byte unsigned integers"),
              std::string::npos)
        << e.what();
  }
  // A scalar read from a field of several values.
  BinaryReader again(FileContext(sample_format, "s.bin"), sample_file());
  (void)again.array<Colour>("colours");
  try {
    (void)again.scalar<std::uint32_t>("offsets");
    FAIL() << "three values read as one";
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("field \"offsets\" holds 3 values, not one"), std::string::npos)
        << e.what();
  }
}

TEST(BinaryFile, VersionsOutsideTheReadableOnesAreRefusedNamingBoth) {
  constexpr FileFormat later{.what = "sample", .name = "tapegrad sample", .version = 4, .oldest_readable = 4};
  constexpr FileFormat earlier{
      .what = "sample", .name = "tapegrad sample", .version = 1, .oldest_readable = 1};
  constexpr FileFormat previous{
      .what = "sample", .name = "tapegrad sample", .version = 2, .oldest_readable = 2};
  EXPECT_EQ(
      refusal(sample_file(later)),
      "tapegrad: sample file dir/s.bin: format version 4 is newer than this tapegrad reads (versions 2 to "
      "3); it was written by a later tapegrad");
  EXPECT_EQ(refusal(sample_file(earlier)),
            "tapegrad: sample file dir/s.bin: format version 1 is older than this tapegrad reads (versions 2 "
            "to 3)");
  // The oldest readable version opens, and says which it is (the reader converts by it).
  BinaryReader r(FileContext(sample_format, "s.bin"), sample_file(previous));
  EXPECT_EQ(r.version(), 2U);
  // One readable version is named alone.
  EXPECT_NE(refusal(sample_file(sample_format), later)
                .find("format version 3 is older than this tapegrad reads "
                      "(version 4)"),
            std::string::npos);
}

TEST(BinaryFile, AFlippedByteFailsTheChecksum) {
  const std::string file = sample_file();
  for (std::size_t at = 16; at < file.size(); ++at) {  // after the name line: every byte, the checksum's too
    std::string damaged = file;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
    EXPECT_EQ(
        refusal(damaged),
        "tapegrad: sample file dir/s.bin: its checksum does not match its content (the file is damaged)")
        << "byte " << at;
  }
  std::string renamed = file;
  renamed[3] = 'X';
  EXPECT_NE(refusal(renamed).find("it does not start as a tapegrad sample does"), std::string::npos);
  EXPECT_NE(refusal("").find("it does not start as a tapegrad sample does"), std::string::npos);
  EXPECT_NE(refusal(file.substr(0, file.size() - 1)).find("checksum"), std::string::npos);
}

// Well-sealed files whose content is wrong: cut short, a count too large, bytes left over.
TEST(BinaryFile, WellSealedDamageIsRefusedNamingWhere) {
  const std::string body = body_of(sample_file());
  EXPECT_EQ(refusal(sealed(body.substr(0, body.size() - 3))),
            "tapegrad: sample file dir/s.bin: it ends inside field \"nothing\" (truncated)");
  EXPECT_EQ(refusal(sealed(body + "x")),
            "tapegrad: sample file dir/s.bin: it has 1 bytes after its last field");
  // The count of "values" (after the header, "colours" and its 2 bytes, "offsets" and
  // "sizes" with their numbers, and the name, kind and size of "values") made huge: refused
  // before anything is allocated for it.
  const std::size_t count_at =
      16 + 8 + (1 + 7 + 2 + 8 + 2) + (1 + 7 + 2 + 8 + 12) + (1 + 5 + 2 + 8 + 8) + (1 + 6 + 2);
  std::string huge = body;
  const std::uint64_t many = std::uint64_t{1} << 60;
  ASSERT_EQ(huge.substr(count_at - 8, 6), "values");
  std::memcpy(huge.data() + count_at, &many, sizeof many);
  EXPECT_EQ(refusal(sealed(huge)),
            "tapegrad: sample file dir/s.bin: it ends inside field \"values\" (truncated)");
  // A format whose loaders always said so puts its phrase before every reason.
  constexpr FileFormat phrased{.what = "sample",
                               .name = "tapegrad sample",
                               .version = 3,
                               .oldest_readable = 2,
                               .refusal = "not a valid sample"};
  EXPECT_EQ(refusal(sealed(body + "x"), phrased),
            "tapegrad: sample file dir/s.bin: not a valid sample: it has 1 bytes after its last field");
}

}  // namespace
