// Text encodings where the library reads and writes names: the UTF-8 helper decodes as
// RFC 3629 says, the CSV reader skips a byte-order mark and refuses a name in another
// encoding naming its place, and save_model refuses such a name before writing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <tapegrad/autodiff/support/utf8.hpp>
#include <tapegrad/tapegrad.hpp>

namespace models = tapegrad::models;
namespace utf8 = tapegrad::detail;
namespace fs = std::filesystem;

namespace {

TEST(Utf8, DecodesWholeCharactersAndRefusesWhatRfc3629Excludes) {
  // U+2212 is E2 88 92: 0010 001000 010010.
  const utf8::Utf8Char minus = utf8::decode_utf8("\xE2\x88\x92 1");
  EXPECT_EQ(minus.code_point, 0x2212u);
  EXPECT_EQ(minus.length, 3u);
  EXPECT_EQ(utf8::decode_utf8("\xF0\x9F\x98\x80").code_point, 0x1F600u);  // F0 9F 98 80
  EXPECT_EQ(utf8::decode_utf8("\xE9t\xE9").length, 0u);                   // Latin-1 é
  EXPECT_EQ(utf8::decode_utf8("\xC0\xAF").length, 0u);                    // overlong '/'
  EXPECT_EQ(utf8::decode_utf8("\xE0\x80\xAF").length, 0u);                // overlong '/'
  EXPECT_EQ(utf8::decode_utf8("\xED\xA0\x80").length, 0u);                // surrogate D800
  EXPECT_EQ(utf8::decode_utf8("\xF4\x90\x80\x80").length, 0u);            // 110000
  EXPECT_EQ(utf8::decode_utf8("\xE2\x88").length, 0u);                    // cut short
  EXPECT_EQ(utf8::find_invalid_utf8("ab\xC3\xA9"
                                    "c\xE9"),
            5u);
  EXPECT_EQ(utf8::utf8_length("\xC3\xA9t\xC3\xA9"), 3u);
  EXPECT_EQ(utf8::quoted_character("\xE2\x88\x92"), "'\xE2\x88\x92' (U+2212)");
  EXPECT_EQ(utf8::quoted_character("\xC2\xA0"), "U+00A0");  // a space that does not show as one
  EXPECT_EQ(utf8::quoted_character("\xE9"), "byte 0xE9");
  EXPECT_EQ(utf8::printable_utf8("a\xE9\x01\xC3\xA9"), "a\\xe9\\x01\xC3\xA9");
}

std::string error_of(const std::string& text, const models::CsvOptions& options = {}) {
  try {
    models::parse_csv(text, "t.csv", options);
  } catch (const tapegrad::Error& e) {
    return e.what();
  }
  return "";
}

TEST(CsvEncoding, ANameInLatin1IsRefusedWithItsPlace) {
  const std::string rows = "1,2,x\n3,4,y\n";
  const std::string header = error_of("temp\xE9rature,b,label\n" + rows);
  EXPECT_NE(header.find("t.csv:1:5: byte 0xE9"), std::string::npos) << header;
  EXPECT_NE(header.find("must be UTF-8"), std::string::npos) << header;
  // A class name: "3,4,caf" is seven characters, the byte the eighth.
  const std::string label = error_of("a,b,label\n" + rows + "3,4,caf\xE9\n");
  EXPECT_NE(label.find("t.csv:4:8: byte 0xE9"), std::string::npos) << label;
  // Columns count characters: "é,1,?" puts '?' at the 5th, its 6th byte.
  const std::string after =
      error_of("label,a,b\n\xC3\xA9,1,2\nx,3,4\n\xC3\xA9,1,?\n", {.label_column = "label"});
  EXPECT_NE(after.find("t.csv:4:5: missing value"), std::string::npos) << after;
}

TEST(CsvEncoding, AByteOrderMarkIsSkipped) {
  const models::Dataset d = models::parse_csv(
      "\xEF\xBB\xBF"
      "a,b,label\n1,2,x\n3,4,y\n",
      "t.csv");
  ASSERT_EQ(d.feature_names.size(), 2u);
  EXPECT_EQ(d.feature_names[0], "a");
}

TEST(ModelFileEncoding, ANameThatIsNotUtf8IsRefusedBeforeWriting) {
  models::Mlp net({2, 2}, {.seed = 0});
  net.set_names({"temp\xE9rature", "b"}, {"x", "y"}, "label");
  const fs::path path =
      fs::temp_directory_path() / ("tapegrad-encoding-" + std::to_string(::getpid()) + ".json");
  try {
    models::save_model(net, path);
    FAIL() << "saved a name that is not UTF-8";
  } catch (const tapegrad::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("feature name 'temp\\xe9rature' is not UTF-8 text (byte 0xE9)"), std::string::npos)
        << what;
  }
  EXPECT_FALSE(fs::exists(path));
}

}  // namespace
