// JSON documents of a format (support/json_document.hpp, the helper of model files and
// checkpoints): sealed and opened with the format, version and checksum checked, older
// versions converted step by step, newer ones refused naming both versions, and typed
// field access whose errors name the file and the field. (In models_tests, which links
// nlohmann-json, as the library's model and checkpoint code does.)
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <tapegrad/autodiff/support/json_document.hpp>
#include <vector>

#include "../../support/model_checksum.hpp"

namespace {

namespace tg = tapegrad;
using tg::detail::Json;
using tg::detail::JsonReader;
using tg::detail::Numbers;

constexpr tg::detail::FileFormat json_sample_format{
    .what = "sample", .name = "tapegrad-sample", .version = 3, .oldest_readable = 1};

std::string json_refusal(const std::string& text, std::span<const tg::detail::JsonUpgrade> upgrades) {
  try {
    JsonReader(json_sample_format, "s.json").open(text, upgrades);
  } catch (const tg::Error& e) {
    return e.what();
  }
  return "";
}

// Version 1 held "size"; version 2 renamed it "width"; version 3 added "height", equal to it.
void sample_1_to_2(Json& doc, const JsonReader&) {
  doc["width"] = doc["size"];
  doc.erase("size");
}
void sample_2_to_3(Json& doc, const JsonReader& at) { doc["height"] = at.count(doc, "width", "the sample"); }
constexpr tg::detail::JsonUpgrade sample_upgrades[] = {sample_1_to_2, sample_2_to_3};

// A document as a writer of `version` sealed it (the checksum as the format documents it).
std::string sample_of_version(int version, Json fields) {
  fields["format"] = "tapegrad-sample";
  fields["version"] = version;
  return tg::testing::with_recomputed_checksum(std::move(fields));
}

TEST(JsonDocument, SealedDocumentsOpenWithTheirFields) {
  const std::string text =
      tg::detail::seal_json(json_sample_format, {{"width", 4}, {"height", 4}, {"name", "a"}});
  EXPECT_EQ(text.back(), '\n');
  const Json doc = Json::parse(text);
  EXPECT_EQ(doc["format"], "tapegrad-sample");
  EXPECT_EQ(doc["version"], 3);
  // The checksum is the documented one (computed independently in model_checksum.hpp).
  EXPECT_EQ(Json::parse(tg::testing::with_recomputed_checksum(doc))["checksum"], doc["checksum"]);
  const Json opened = JsonReader(json_sample_format, "s.json").open(text, sample_upgrades);
  EXPECT_EQ(opened["width"], 4);
  EXPECT_EQ(opened["name"], "a");
  // The order of the keys in the text does not matter: the checksum is over sorted keys.
  EXPECT_EQ(json_refusal("{\"version\": 3, \"name\": \"a\", \"width\": 4, \"height\": 4, \"format\": "
                         "\"tapegrad-sample\", \"checksum\": " +
                             doc["checksum"].dump() + "}",
                         sample_upgrades),
            "");
}

TEST(JsonDocument, OlderVersionsAreConvertedAndNewerOnesRefusedNamingBoth) {
  JsonReader at(json_sample_format, "s.json");
  const Json from_1 = at.open(sample_of_version(1, {{"size", 5}}), sample_upgrades);
  EXPECT_EQ(from_1, Json::parse(R"({"format": "tapegrad-sample", "version": 3, "width": 5, "height": 5})"));
  const Json from_2 = at.open(sample_of_version(2, {{"width", 6}}), sample_upgrades);
  EXPECT_EQ(from_2["height"], 6);
  EXPECT_EQ(from_2["version"], 3);
  EXPECT_EQ(
      json_refusal(sample_of_version(4, {{"width", 6}}), sample_upgrades),
      "tapegrad: sample file s.json: format version 4 is newer than this tapegrad reads (versions 1 to 3); "
      "it was written by a later tapegrad");
  EXPECT_EQ(
      json_refusal(sample_of_version(0, {{"width", 6}}), sample_upgrades),
      "tapegrad: sample file s.json: format version 0 is older than this tapegrad reads (versions 1 to 3)");
  // A conversion fails as a reader does, naming the field.
  EXPECT_EQ(
      json_refusal(sample_of_version(2, {{"width", -1}}), sample_upgrades),
      "tapegrad: sample file s.json: the sample's \"width\" has the wrong type (number, expected a whole "
      "number ≥ 0)");
  // A format must be given one conversion per older version it reads.
  EXPECT_THROW(at.open(sample_of_version(3, {}), {}), tg::Error);
}

TEST(JsonDocument, DamagedOrForeignDocumentsAreRefused) {
  const std::string text = tg::detail::seal_json(json_sample_format, {{"width", 41}, {"height", 4}});
  std::string changed = text;
  changed[changed.find("41")] = '5';
  EXPECT_EQ(json_refusal(changed, sample_upgrades),
            "tapegrad: sample file s.json: the checksum does not match the content: the file was damaged or "
            "edited");
  EXPECT_NE(json_refusal(text.substr(0, text.size() / 2), sample_upgrades).find("not valid JSON at byte"),
            std::string::npos);
  EXPECT_NE(json_refusal("[1, 2]", sample_upgrades).find("the document is not a JSON object"),
            std::string::npos);
  EXPECT_EQ(
      json_refusal(R"({"format": "tapegrad-model", "version": 3})", sample_upgrades),
      "tapegrad: sample file s.json: this is not a tapegrad sample (no \"format\": \"tapegrad-sample\")");
  EXPECT_NE(
      json_refusal(R"({"format": "tapegrad-sample", "version": 3})", sample_upgrades).find("no \"checksum\""),
      std::string::npos);
  EXPECT_NE(json_refusal("[1e999]", sample_upgrades).find("out of range"), std::string::npos);
  try {
    JsonReader(json_sample_format, "/nonexistent/s.json").open_file("/nonexistent/s.json", sample_upgrades);
    FAIL() << "a missing file opened";
  } catch (const tg::Error& e) {
    EXPECT_EQ(std::string(e.what()), "tapegrad: sample file /nonexistent/s.json: cannot be opened");
  }
}

TEST(JsonDocument, TypedFieldsNameTheFieldAtFault) {
  const JsonReader at(json_sample_format, "s.json");
  const Json doc = Json::parse(R"({"n": 3, "neg": -2, "x": 0.25, "s": "t", "b": true, "names": ["a", 1],
                                   "nan": "nan", "inf": "-inf", "weird": "NaN"})");
  const auto error = [](auto&& read) -> std::string {
    try {
      read();
    } catch (const tg::Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(at.count(doc, "n", "doc"), 3U);
  EXPECT_EQ(at.whole(doc, "neg", "doc"), -2);
  EXPECT_EQ(at.number(doc, "x", "doc"), 0.25);
  EXPECT_EQ(at.string(doc, "s", "doc"), "t");
  EXPECT_TRUE(at.boolean(doc, "b", "doc"));
  EXPECT_TRUE(std::isnan(at.number(doc, "nan", "doc", Numbers::OrSpecial)));
  EXPECT_EQ(at.number(doc, "inf", "doc", Numbers::OrSpecial), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(error([&] { at.number(doc, "nan", "doc"); }),
            "tapegrad: sample file s.json: doc's \"nan\" is not a number");
  EXPECT_EQ(error([&] { at.number(doc, "weird", "doc", Numbers::OrSpecial); }),
            "tapegrad: sample file s.json: doc's \"weird\" is not a number (nor \"nan\", \"inf\", \"-inf\")");
  EXPECT_EQ(
      error([&] { at.count(doc, "neg", "doc"); }),
      "tapegrad: sample file s.json: doc's \"neg\" has the wrong type (number, expected a whole number ≥ 0)");
  EXPECT_EQ(error([&] { at.whole(doc, "x", "doc"); }),
            "tapegrad: sample file s.json: doc's \"x\" has the wrong type (number, expected a whole number)");
  EXPECT_EQ(error([&] { at.string(doc, "missing", "layer 2"); }),
            "tapegrad: sample file s.json: layer 2 has no \"missing\"");
  EXPECT_EQ(error([&] { at.boolean(doc, "s", "doc"); }),
            "tapegrad: sample file s.json: doc's \"s\" has the wrong type (string, expected boolean)");
  EXPECT_EQ(error([&] { at.strings(doc, "names", "doc"); }),
            "tapegrad: sample file s.json: doc's \"names\" holds number, not only strings");
  EXPECT_EQ(error([&] { at.field(doc["n"], "k", "the count"); }),
            "tapegrad: sample file s.json: the count is not an object");
}

TEST(JsonDocument, MatricesAreCheckedForShapeAndExactness) {
  const JsonReader at(json_sample_format, "m.json");
  const Json m = Json::parse(R"({"rows": 2, "cols": 2, "values": [0.5, -1, 3.25, 1e-3]})");
  const auto as_double = at.matrix<double>(m, "w");
  EXPECT_EQ(as_double.rows, 2U);
  EXPECT_EQ(as_double.values, (std::vector<double>{0.5, -1, 3.25, 1e-3}));
  const auto error = [&](const Json& j, auto element, Numbers numbers = Numbers::Finite) -> std::string {
    try {
      at.matrix<decltype(element)>(j, "layer 0 weight", numbers);
    } catch (const tg::Error& e) {
      return e.what();
    }
    return "";
  };
  // 1e-3 is no float: a float file's values are floats written exactly.
  EXPECT_EQ(error(m, 0.0F),
            "tapegrad: sample file m.json: layer 0 weight value 3 (0.001) is not a finite float");
  EXPECT_EQ(error(Json::parse(R"({"rows": 3, "cols": 2, "values": [1, 2, 3, 4]})"), 0.0),
            "tapegrad: sample file m.json: layer 0 weight is 3×2 but holds 4 values");
  EXPECT_EQ(error(Json::parse(R"({"rows": 1, "cols": 2, "values": [1, "2"]})"), 0.0),
            "tapegrad: sample file m.json: layer 0 weight value 1 is not a number");
  EXPECT_EQ(error(Json::parse(R"({"rows": 0, "cols": 2, "values": []})"), 0.0),
            "tapegrad: sample file m.json: layer 0 weight is 0×2 but holds 0 values");
  // Special numbers where the field allows them, written by matrix_json as json_number does.
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const std::vector<double> special{nan, -inf, 2.5};
  const Json written =
      tg::detail::matrix_json(1, 3, [&](std::int64_t, std::int64_t j) { return special[j]; });
  EXPECT_EQ(written["values"], Json::parse(R"(["nan", "-inf", 2.5])"));
  EXPECT_NE(error(written, 0.0).find("value 0 is not a number"), std::string::npos);
  const auto read = at.matrix<double>(written, "w", Numbers::OrSpecial);
  EXPECT_TRUE(std::isnan(read.values[0]));
  EXPECT_EQ(read.values[1], -inf);
  EXPECT_EQ(read.values[2], 2.5);
}

struct SampleRecord {
  int epoch = 0;
  double loss = 0;
  std::uint64_t seed = 0;
  std::string name;
  bool done = false;
};
const auto sample_record_fields = std::tuple{
    tg::detail::JsonField{"epoch", &SampleRecord::epoch}, tg::detail::JsonField{"loss", &SampleRecord::loss},
    tg::detail::JsonField{"seed", &SampleRecord::seed}, tg::detail::JsonField{"name", &SampleRecord::name},
    tg::detail::JsonField{"done", &SampleRecord::done}};

TEST(JsonDocument, OneListOfFieldsWritesAndReadsAStruct) {
  const SampleRecord written{7, -std::numeric_limits<double>::infinity(), 18446744073709551615ULL, "run",
                             true};
  Json j = Json::object();
  tg::detail::write_fields(j, written, sample_record_fields);
  EXPECT_EQ(j, Json::parse(R"({"epoch": 7, "loss": "-inf", "seed": 18446744073709551615, "name": "run",
                               "done": true})"));
  const JsonReader at(json_sample_format, "r.json");
  SampleRecord read;
  tg::detail::read_fields(at, j, "the record", read, sample_record_fields);
  EXPECT_EQ(read.epoch, 7);
  EXPECT_EQ(read.loss, written.loss);
  EXPECT_EQ(read.seed, written.seed);
  EXPECT_EQ(read.name, "run");
  EXPECT_TRUE(read.done);
  j["epoch"] = 1LL << 40;
  try {
    tg::detail::read_fields(at, j, "the record", read, sample_record_fields);
    FAIL() << "an int read from a number it cannot hold";
  } catch (const tg::Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "tapegrad: sample file r.json: the record's \"epoch\" (1099511627776) is out of range");
  }
  j.erase("done");
  j["epoch"] = 1;
  EXPECT_THROW(tg::detail::read_fields(at, j, "the record", read, sample_record_fields), tg::Error);
}

}  // namespace
