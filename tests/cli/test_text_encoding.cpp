// Text that is not ASCII, or not UTF-8, in every kind of argument and file the program
// reads: each is refused with exit code 2 naming the character whole (or its code point,
// or the byte that is not UTF-8) at the right column, and with --json the error is one
// JSON object, never an abort. A byte-order mark is skipped; predict matches a file's
// columns by name and gives class probabilities.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "run_cli.hpp"

namespace fs = std::filesystem;
using namespace cli_run;

namespace {

const std::string bom = "\xEF\xBB\xBF";

class TextEncoding : public ScratchFolderTest {};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> fields_of(const std::string& line) {
  std::vector<std::string> fields;
  std::istringstream in(line);
  for (std::string field; std::getline(in, field, ',');) fields.push_back(field);
  return fields;
}

// The same run with --json: exit code 2, nothing on stdout, and stderr one JSON object
// whose error holds `part`.
nlohmann::json expect_json_usage_error(std::vector<std::string> args, const std::string& part) {
  args.push_back("--json");
  return cli_run::expect_json_usage_error(tapegrad(args), part);
}

// Refused with and without --json, each naming `part`.
void expect_refused(const std::vector<std::string>& args, const std::string& part) {
  expect_usage_error(tapegrad(args), part);
  expect_json_usage_error(args, part);
}

std::string at_file(const std::string& path) {
  std::string argument = "@";
  argument += path;
  return argument;
}

TEST_F(TextEncoding, ACharacterOutsideAsciiInAnExpressionIsNamedWholeWithItsColumn) {
  struct Case {
    std::string expression, message;
    int column;  // in characters, counted by hand
  };
  const std::vector<Case> cases = {
      {"x \u2212 1", "unexpected character '\u2212' (U+2212); did you mean '-'?", 3},
      {"x\u00B2 ", "unexpected character '\u00B2' (U+00B2); did you mean '^2'?", 2},
      {"x\u00B3", "'\u00B3' (U+00B3); did you mean '^3'?", 2},
      {"2 \u00D7 x", "'\u00D7' (U+00D7); did you mean '*'?", 3},
      {"2\u00B7x", "'\u00B7' (U+00B7); did you mean '*'?", 2},
      {"x \u00F7 2", "'\u00F7' (U+00F7); did you mean '/'?", 3},
      {"\u03B1^2 + \u03B2", "'\u03B1' (U+03B1); did you mean alpha?", 1},
      {"x +\u00A0x", "unexpected character U+00A0; did you mean a space?", 4},
      {"\u201Cx\u201D", "'\u201C' (U+201C); did you mean a plain ' or \"?", 1},
  };
  for (const Case& c : cases) {
    const std::string column = "(column " + std::to_string(c.column) + ")";
    const std::vector<std::vector<std::string>> runs = {
        {"grad", c.expression, "--at", "x=1"},
        {"minimize", c.expression, "--from", "x=0"},
        {"solve", c.expression + " = 0", "--from", "x=0"},
    };
    for (const std::vector<std::string>& args : runs) {
      const Outcome r = tapegrad(args);
      expect_usage_error(r, c.message);
      EXPECT_NE(r.err.find(column), std::string::npos) << r.err;
      const nlohmann::json j = expect_json_usage_error(args, c.message);
      if (!j.is_discarded()) {
        EXPECT_EQ(j["where"]["column"], c.column) << j;
      }
    }
  }
}

TEST_F(TextEncoding, TheCaretStandsUnderTheCharacter) {
  // Two spaces of indent, then six characters before the '−'.
  const Outcome r = tapegrad({"grad", "x + y \u2212 1", "--at", "x=1,y=2"});
  EXPECT_NE(r.err.find("  x + y \u2212 1\n        ^\n"), std::string::npos) << r.err;
  // Any other character is named whole too, the caret under it.
  const Outcome wide = tapegrad({"grad", "x + \u6F22", "--at", "x=1"});
  EXPECT_NE(wide.err.find("'\u6F22' (U+6F22)"), std::string::npos) << wide.err;
  EXPECT_NE(wide.err.find("  x + \u6F22\n      ^\n"), std::string::npos) << wide.err;
}

TEST_F(TextEncoding, AByteThatIsNotUtf8IsNamedWithItsColumn) {
  const std::vector<std::string> args = {"grad", "x + \xE9", "--at", "x=1"};
  const Outcome r = tapegrad(args);
  expect_usage_error(r, "byte 0xE9 is not UTF-8 text (column 5)");
  // Shown as one replacement character, the caret under it.
  EXPECT_NE(r.err.find("  x + \xEF\xBF\xBD\n      ^\n"), std::string::npos) << r.err;
  const nlohmann::json j = expect_json_usage_error(args, "byte 0xE9 is not UTF-8 text");
  if (!j.is_discarded()) {
    EXPECT_EQ(j["where"]["column"], 5);
  }
  expect_refused({"minimize", "x\xC3", "--from", "x=0"}, "byte 0xC3 is not UTF-8 text (column 2)");
  expect_refused({"solve", "x - 1 = \xFF", "--from", "x=0"}, "byte 0xFF is not UTF-8 text (column 9)");
}

TEST_F(TextEncoding, PointNamesAreQuotedWhole) {
  expect_refused({"grad", "x", "--at", "\u03B1=1"}, "'\u03B1' is not a variable name: '\u03B1' (U+03B1)");
  expect_refused({"grad", "x", "--at", "\xE9=1"}, "byte 0xE9 is not UTF-8 text");
  expect_refused({"minimize", "x^2", "--from", "x=1,\u00A0y=2"}, "U+00A0");
  expect_refused({"grad", "x", "--at", at_file(file("p.txt", "x=1\n\xE9=2\n"))},
                 "byte 0xE9 is not UTF-8 text");
  // A value file with a byte-order mark: d(x^2)/dx at 2 is 4.
  const Outcome r = tapegrad({"grad", "x^2", "--at", at_file(file("bom.txt", bom + "x=2\n")), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_of(r)["gradient"]["x"], 4.0);
}

TEST_F(TextEncoding, FlagValuesAndFileNamesOutsideAscii) {
  expect_refused({"minimize", "x^2", "--from", "x=1", "--optimizer", "\u00E4dam"}, "'\u00E4dam'");
  expect_refused({"minimize", "x^2", "--from", "x=1", "--optimizer",
                  "\xE4"
                  "dam"},
                 "\\xe4dam");
  expect_refused({"train", "--data", "iris", "--delimiter", "\u00A7"}, "'\u00A7'");
  const std::string latin1_name = (dir_ / "caf\xE9.csv").string();
  expect_refused({"train", "--data", latin1_name}, "caf\\xe9.csv");
  expect_refused({"predict", "--model", latin1_name, "--data", "iris"}, "caf\\xe9.csv");
  expect_refused({"grad", at_file(latin1_name), "--at", "x=1"}, "caf\\xe9");
}

TEST_F(TextEncoding, ExpressionFilesAreUtf8AndMayStartWithAByteOrderMark) {
  // d(x^2)/dx at 3 is 6, from a file and from standard input.
  const std::string with_bom = file("f.txt", bom + "x^2\n");
  Outcome r = tapegrad({"grad", at_file(with_bom), "--at", "x=3", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_of(r)["gradient"]["x"], 6.0);
  r = tapegrad({"grad", "-", "--at", "x=3", "--json"}, with_bom);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_of(r)["gradient"]["x"], 6.0);
  // Columns do not count the mark, which an editor does not show: ')' is the 5th.
  const Outcome unbalanced = tapegrad({"grad", at_file(file("g.txt", bom + "x + )")), "--at", "x=1"});
  expect_usage_error(unbalanced, "(column 5)");
  EXPECT_NE(unbalanced.err.find("  " + bom + "x + )\n      ^\n"), std::string::npos) << unbalanced.err;
  expect_refused({"grad", at_file(file("latin1.txt", "x*\xE9t\xE9")), "--at", "x=1"},
                 "byte 0xE9 is not UTF-8 text (column 3)");
}

TEST_F(TextEncoding, ALatin1CsvIsRefusedBeforeTraining) {
  std::string rows;
  for (int i = 0; i < 40; ++i)
    rows += std::to_string(i % 7) + "," + std::to_string(i % 5) + "," + (i % 2 ? "a" : "b") + "\n";
  const std::string header = file("latin1.csv", "temp\xE9rature,b,label\n" + rows);
  const fs::path out = dir_ / "out";
  const std::vector<std::string> args = {"train", "--data", header, "--epochs", "3", "--out", out.string()};
  const Outcome r = tapegrad(args);
  expect_usage_error(r, "latin1.csv:1:5: byte 0xE9");
  EXPECT_NE(r.err.find("the file must be UTF-8"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("iconv -f latin1 -t utf-8"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("epoch"), std::string::npos) << "trained before refusing: " << r.err;
  EXPECT_FALSE(fs::exists(out / "model.json"));
  expect_json_usage_error(args, "byte 0xE9");
  // A class name in Latin-1: "1,2,caf\xE9" has the byte at its 8th character.
  const std::string cell = file("cell.csv", "a,b,label\n" + rows + "1,2,caf\xE9\n");
  expect_refused({"train", "--data", cell, "--epochs", "1"}, "cell.csv:42:8: byte 0xE9");
  // The same header in UTF-8 trains and is written as it was read.
  const std::string utf8 = file("utf8.csv", "temp\u00E9rature,b,label\n" + rows);
  const Outcome ok = tapegrad({"train", "--data", utf8, "--epochs", "1", "--out", out.string()});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const nlohmann::json model = nlohmann::json::parse(slurp(out / "model.json"));
  EXPECT_EQ(model["feature_names"][0], "temp\u00E9rature");
}

TEST_F(TextEncoding, CsvColumnsCountCharacters) {
  // "été,1,NA": é, t, é, ',', 1, ',' are six characters (eight bytes); NA is the 7th.
  const std::string path =
      file("c.csv", "label,a,b\n\u00E9t\u00E9,1,2\nhiver,3,4\n\u00E9t\u00E9,1,NA\nhiver,3,4\n");
  expect_refused({"train", "--data", path, "--label-column", "label"}, "c.csv:4:7: missing value");
}

TEST_F(TextEncoding, AByteOrderMarkIsNotPartOfTheFirstColumnName) {
  std::string rows;
  for (int i = 0; i < 40; ++i)
    rows += std::to_string(i % 2) + "," + std::to_string(i % 5) + "," + std::to_string(i % 3) + "\n";
  const std::string path = file("bom.csv", bom + "a,b,label\n" + rows);
  const fs::path out = dir_ / "out";
  const Outcome r =
      tapegrad({"train", "--data", path, "--label-column", "a", "--epochs", "1", "--out", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json model = nlohmann::json::parse(slurp(out / "model.json"));
  EXPECT_EQ(model["label_name"], "a");
  EXPECT_EQ(model["feature_names"], nlohmann::json::array({"b", "label"}));
}

// The iris file with its columns in another order (and, to be sure, a byte-order mark).
std::string reordered_iris(const std::vector<int>& order, const std::string& prefix) {
  std::ifstream in(std::string(TAPEGRAD_DATA_DIR) + "/iris.csv");
  std::string text = prefix;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const std::vector<std::string> f = fields_of(line);
    for (std::size_t k = 0; k < order.size(); ++k)
      text += (k ? "," : "") + f[static_cast<std::size_t>(order[k])];
    text += '\n';
  }
  return text;
}

class TextEncodingPredict : public TextEncoding {
 protected:
  void SetUp() override {
    TextEncoding::SetUp();
    const Outcome train = tapegrad({"train", "--data", "iris", "--hidden", "4", "--epochs", "20", "--lr",
                                    "0.05", "--patience", "0", "--out", (dir_ / "run").string()});
    ASSERT_EQ(train.exit_code, 0) << train.err;
    model_ = (dir_ / "run" / "model.json").string();
  }
  std::string model_;
};

TEST_F(TextEncodingPredict, ReorderedColumnsArePickedByName) {
  const Outcome original =
      tapegrad({"predict", "--model", model_, "--data", std::string(TAPEGRAD_DATA_DIR) + "/iris.csv"});
  ASSERT_EQ(original.exit_code, 0) << original.err;
  ASSERT_EQ(lines_of(original.out).size(), 150u);
  // petal_width_cm, sepal_length_cm, species, petal_length_cm, sepal_width_cm.
  const std::string path = file("reordered.csv", reordered_iris({3, 0, 4, 2, 1}, bom));
  const Outcome reordered = tapegrad({"predict", "--model", model_, "--data", path});
  ASSERT_EQ(reordered.exit_code, 0) << reordered.err;
  EXPECT_EQ(reordered.out, original.out);
  EXPECT_EQ(reordered.err, original.err);  // the same accuracy line
}

TEST_F(TextEncodingPredict, MissingColumnsAreRefusedByName) {
  // Four feature columns still, one renamed: matching by position would go unnoticed.
  std::string text = reordered_iris({0, 1, 2, 3, 4}, "");
  text.replace(0, std::string("sepal_length_cm").size(), "sepal_len");
  const std::string path = file("renamed.csv", text);
  expect_refused({"predict", "--model", model_, "--data", path}, "sepal_length_cm is not in the header");
  const std::string two = file("two.csv", reordered_iris({0, 4}, ""));
  expect_refused({"predict", "--model", model_, "--data", two},
                 "sepal_width_cm, petal_length_cm, petal_width_cm are not in the header");
}

TEST_F(TextEncodingPredict, BuiltInDataSetsAreTakenByName) {
  const Outcome r = tapegrad({"predict", "--model", model_, "--data", "iris", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = json_of(r);
  EXPECT_EQ(j["predictions"].size(), 150u);
  EXPECT_GT(j["accuracy"].get<double>(), 0.8);
  expect_refused({"predict", "--model", model_, "--data", "irs"}, "did you mean iris?");
}

TEST_F(TextEncodingPredict, ProbabilitiesSumToOneAndTheirLargestIsThePrediction) {
  const std::vector<std::string> classes = {"setosa", "versicolor", "virginica"};
  const Outcome json =
      tapegrad({"predict", "--model", model_, "--data", "iris", "--probabilities", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const nlohmann::json j = json_of(json);
  ASSERT_EQ(j["probabilities"].size(), 150u);
  for (std::size_t r = 0; r < 150; ++r) {
    const nlohmann::json& p = j["probabilities"][r];
    double sum = 0, best = -1;
    std::string argmax;
    for (const std::string& c : classes) {
      const double v = p.at(c).get<double>();
      EXPECT_GE(v, 0);
      sum += v;
      if (v > best) best = v, argmax = c;
    }
    EXPECT_NEAR(sum, 1, 1e-6) << "row " << r;
    EXPECT_EQ(argmax, j["predictions"][r]) << "row " << r;
  }
  // The text form: a header, then the class and its probabilities in the same order.
  const Outcome text = tapegrad({"predict", "--model", model_, "--data", "iris", "--probabilities"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  const std::vector<std::string> lines = lines_of(text.out);
  ASSERT_EQ(lines.size(), 151u);
  EXPECT_EQ(lines[0], "prediction,setosa,versicolor,virginica");
  for (std::size_t r = 1; r < lines.size(); ++r) {
    const std::vector<std::string> f = fields_of(lines[r]);
    ASSERT_EQ(f.size(), 4u);
    EXPECT_EQ(f[0], j["predictions"][r - 1]);
    EXPECT_NEAR(std::stod(f[1]) + std::stod(f[2]) + std::stod(f[3]), 1, 1e-6);
  }
  // --out writes the same table to a file.
  const fs::path csv = dir_ / "p.csv";
  const Outcome out =
      tapegrad({"predict", "--model", model_, "--data", "iris", "--probabilities", "--out", csv.string()});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(slurp(csv), text.out);
}

TEST_F(TextEncoding, ProbabilitiesOfARegressionModelAreRefused) {
  std::string rows = "a,y\n";
  for (int i = 0; i < 40; ++i) rows += std::to_string(i) + "," + std::to_string(2 * i) + ".5\n";
  const std::string path = file("r.csv", rows);
  const fs::path out = dir_ / "run";
  ASSERT_EQ(tapegrad({"train", "--data", path, "--task", "regress", "--epochs", "1", "--out", out.string()})
                .exit_code,
            0);
  expect_refused({"predict", "--model", (out / "model.json").string(), "--data", path, "--probabilities"},
                 "regression model");
}

}  // namespace
