/// \file
/// Reading a data set from CSV: numeric feature columns and one label column (a class
/// name or number for classification, a number for regression). Anything that is not
/// clean data stops the load with the file, line and column: a field that is not a
/// number, a short or long row, an empty file, a missing label column, and missing
/// values (an empty field, NA, NaN, ?, null), which are refused rather than dropped.
/// The file is UTF-8 (a leading byte-order mark is skipped); a column or class name in
/// another encoding is refused naming its byte. Columns count characters from 1.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "dataset.hpp"

namespace tapegrad::models {

/// Whether a CSV file's first row is a header.
enum class Header {
  Auto,     ///< the first row is a header when one of its feature fields is not a number
  Present,  ///< the first row names the columns
  Absent    ///< every row is data; columns are named by their number
};

/// How load_csv() and parse_csv() read a file.
struct CsvOptions {
  /// Whether the first row names the columns.
  Header header = Header::Auto;
  /// The label column: a header name, or a 0-based index written in digits ("4");
  /// empty means the last column. A header name needs a header row.
  std::string label_column = "";
  /// False: every column is a feature and the data set has no labels (for predicting).
  bool labelled = true;
  /// With a label column given by name: when the header has no such column, load the
  /// file unlabelled instead of refusing it (new rows to predict, with or without labels).
  bool label_optional = false;
  /// Classify: the label column holds class names (any text); Regress: numbers.
  Task task = Task::Classify;
  /// The field separator.
  char delimiter = ',';
};

/// Reads a CSV file into a Dataset: one row per line, the label column as options say
/// (class names for classification, numbers for regression), every other column a numeric
/// feature. Throws tapegrad::Error naming the file, line and column of the first problem
/// (a field that is not a number, a row of another length, an empty file, a name that is
/// not UTF-8 text).
Dataset load_csv(const std::filesystem::path& path, const CsvOptions& options = {});
/// The same, from text in memory; `source` names it in errors.
Dataset parse_csv(std::string_view text, const std::string& source, const CsvOptions& options = {});

}  // namespace tapegrad::models
