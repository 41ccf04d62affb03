// The CSV loader: what it reads, and every way it refuses bad input, with the line and
// column it names.
#include <gtest/gtest.h>

#include <tapegrad/autodiff/support/error.hpp>
#include <tapegrad/models/data/builtin.hpp>
#include <tapegrad/models/data/csv.hpp>

namespace models = tapegrad::models;

namespace {

// The error message of parsing `text`, or "" when it parses.
std::string error_of(const std::string& text, models::CsvOptions options = {}) {
  try {
    models::parse_csv(text, "t.csv", options);
  } catch (const tapegrad::Error& e) {
    return e.what();
  }
  return "";
}

models::CsvOptions label(const std::string& column, models::Task task = models::Task::Classify) {
  models::CsvOptions o;
  o.label_column = column;
  o.task = task;
  return o;
}

}  // namespace

TEST(Csv, ReadsAHeaderFeaturesAndClassNames) {
  const models::Dataset d = models::parse_csv("a,b,kind\n1,2.5,cat\n-3,4e-1,dog\n5,6,cat\n", "t.csv");
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(d.label_name, "kind");
  ASSERT_EQ(d.rows(), 3);
  EXPECT_EQ(d.features(0, 1), 2.5);
  EXPECT_EQ(d.features(1, 0), -3);
  EXPECT_EQ(d.features(1, 1), 0.4);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(d.labels, (std::vector<int>{0, 1, 0}));
}

TEST(Csv, IntegerClassesAreOrderedByValueNotText) {
  const models::Dataset d = models::parse_csv("1,10\n2,9\n3,2\n4,10\n", "t.csv");
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"2", "9", "10"}));
  EXPECT_EQ(d.labels, (std::vector<int>{2, 1, 0, 2}));
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"column_0"}));  // no header detected
}

TEST(Csv, LabelColumnByNameOrIndexAndRegressionTargets) {
  const std::string text = "y,x1,x2\n1.5,1,2\n-2,3,4\n";
  const models::Dataset by_name = models::parse_csv(text, "t.csv", label("y", models::Task::Regress));
  const models::Dataset by_index = models::parse_csv(text, "t.csv", label("0", models::Task::Regress));
  for (const models::Dataset* d : {&by_name, &by_index}) {
    EXPECT_EQ(d->feature_names, (std::vector<std::string>{"x1", "x2"}));
    ASSERT_EQ(d->targets.rows(), 2);
    EXPECT_EQ(d->targets(0, 0), 1.5);
    EXPECT_EQ(d->targets(1, 0), -2);
    EXPECT_EQ(d->features(1, 1), 4);
  }
}

TEST(Csv, QuotesCrLfAndBlankLines) {
  const models::Dataset d =
      models::parse_csv("\"width, cm\",\"say \"\"hi\"\"\",label\r\n1,2,a\r\n\r\n 3 , 4 ,\"b\"\r\n", "t.csv");
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"width, cm", "say \"hi\""}));
  EXPECT_EQ(d.features(1, 0), 3);
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"a", "b"}));
}

TEST(Csv, UnlabelledDataIsAllFeatures) {
  models::CsvOptions o;
  o.labelled = false;
  const models::Dataset d = models::parse_csv("p,q\n1,2\n3,4\n", "t.csv", o);
  EXPECT_EQ(d.feature_count(), 2);
  EXPECT_TRUE(d.labels.empty());
}

TEST(Csv, ANonNumberNamesLineColumnAndColumnName) {
  const std::string e = error_of("a,b,c\n1,2,0\n3,x7,1\n");
  EXPECT_NE(e.find("t.csv:3:3:"), std::string::npos) << e;
  EXPECT_NE(e.find("'x7'"), std::string::npos) << e;
  EXPECT_NE(e.find("'b'"), std::string::npos) << e;
  EXPECT_NE(e.find("not a number"), std::string::npos) << e;
}

TEST(Csv, ShortAndLongRows) {
  const std::string short_row = error_of("a,b,c\n1,2,0\n3,4\n");
  EXPECT_NE(short_row.find("t.csv:3:4:"), std::string::npos) << short_row;
  EXPECT_NE(short_row.find("has 2 fields"), std::string::npos) << short_row;
  const std::string long_row = error_of("a,b,c\n1,2,0,9\n");
  EXPECT_NE(long_row.find("t.csv:2:7:"), std::string::npos) << long_row;
  EXPECT_NE(long_row.find("has 4 fields"), std::string::npos) << long_row;
}

TEST(Csv, EmptyFileAndHeaderWithoutRows) {
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
  EXPECT_NE(error_of("\n \n\r\n").find("empty"), std::string::npos);
  EXPECT_NE(error_of("a,b,c\n").find("no data rows"), std::string::npos);
}

TEST(Csv, MissingLabelColumn) {
  const std::string by_name = error_of("a,b\n1,2\n", label("target"));
  EXPECT_NE(by_name.find("no column is named 'target'"), std::string::npos) << by_name;
  EXPECT_NE(by_name.find("a, b"), std::string::npos) << by_name;
  const std::string by_index = error_of("1,2\n3,4\n", label("5"));
  EXPECT_NE(by_index.find("label column 5 does not exist"), std::string::npos) << by_index;
}

TEST(Csv, MissingValuesAreRefusedNotDropped) {
  for (const std::string missing : {"", "NA", "?", "NaN", "null"}) {
    const std::string e = error_of("a,b,c\n1,2,0\n3," + missing + ",1\n4,5,1\n");
    EXPECT_NE(e.find("t.csv:3:3: missing value"), std::string::npos) << "'" << missing << "': " << e;
  }
  // In the label column too.
  EXPECT_NE(error_of("a,b\n1,x\n2,\n").find("t.csv:3:3: missing value"), std::string::npos);
}

TEST(Csv, InfinityAndBinaryGarbage) {
  EXPECT_NE(error_of("a,b\n1e400,0\n2,1\n").find("not a finite number"), std::string::npos);
  EXPECT_NE(error_of("a,b\ninf,0\n2,1\n").find("not a finite number"), std::string::npos);
  const std::string garbage = error_of(std::string("a,b\n1,0\n\x01\xff\x00z,1\n", 15));
  EXPECT_NE(garbage.find("t.csv:3:1:"), std::string::npos) << garbage;
  EXPECT_NE(garbage.find("\\x01"), std::string::npos) << garbage;  // control bytes shown escaped
}

TEST(Csv, UnclosedQuoteAndSingleClass) {
  EXPECT_NE(error_of("a,b\n\"1,0\n").find("t.csv:2:1: a quoted field is not closed"), std::string::npos);
  EXPECT_NE(error_of("a,b\n1,x\n2,x\n").find("at least two classes"), std::string::npos);
}

TEST(Csv, MissingFile) {
  try {
    models::load_csv("/nonexistent/data.csv");
    FAIL() << "no error";
  } catch (const tapegrad::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/data.csv: cannot open"), std::string::npos)
        << e.what();
  }
}

TEST(Csv, ShippedDataSets) {
  const models::Dataset digits = models::load_builtin("digits");
  EXPECT_EQ(digits.rows(), 1797);
  EXPECT_EQ(digits.feature_count(), 64);
  EXPECT_EQ(digits.class_count(), 10);
  EXPECT_EQ(digits.features.minCoeff(), 0);
  EXPECT_EQ(digits.features.maxCoeff(), 16);
  const models::Dataset iris = models::load_builtin("iris");
  EXPECT_EQ(iris.rows(), 150);
  EXPECT_EQ(iris.class_names, (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
  for (int k = 0; k < 3; ++k) EXPECT_EQ(std::count(iris.labels.begin(), iris.labels.end(), k), 50);
  EXPECT_THROW(models::load_builtin("mnist"), tapegrad::Error);
}

TEST(Csv, AnOptionalLabelColumnMayBeAbsent) {
  models::CsvOptions o = label("species");
  o.label_optional = true;
  const models::Dataset with = models::parse_csv("a,species\n1,x\n2,y\n", "t.csv", o);
  EXPECT_EQ(with.feature_count(), 1);
  EXPECT_EQ(with.class_names, (std::vector<std::string>{"x", "y"}));
  const models::Dataset without = models::parse_csv("a,b\n1,2\n3,4\n", "t.csv", o);
  EXPECT_EQ(without.feature_count(), 2);
  EXPECT_TRUE(without.labels.empty());
  EXPECT_TRUE(without.label_name.empty());
}
