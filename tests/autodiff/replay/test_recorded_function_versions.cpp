// Saved recordings across format versions. The previous release's file (format version 1,
// its arrays by position; tests/data/previous_release/README.md says how it was written)
// loads and replays the function it recorded: value, gradient and Hessian-vector products
// at new points equal the hand-derived formulas, and it is saved again as version 2. A
// version-2 file whose fields are in another order than the loader's schema is refused
// naming the field; a version newer than this build's is refused naming both; a flipped
// byte fails the checksum.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <tapegrad/autodiff/autodiff.hpp>
#include <vector>

#include "../../support/previous_release.hpp"

namespace {

namespace tg = tapegrad;
namespace fs = std::filesystem;

struct VersionsTempDir {
  fs::path path =
      fs::temp_directory_path() /
      ("tapegrad-replay-versions-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
       ::testing::UnitTest::GetInstance()->current_test_info()->name());
  VersionsTempDir() { fs::create_directories(path); }
  ~VersionsTempDir() { fs::remove_all(path); }
};

void put_bytes(const fs::path& p, const std::string& content) {
  std::ofstream(p, std::ios::binary) << content;
}

// What the previous release recorded (at x = (-1.2, 1.0, 0.8, 1.1)):
//   f(x) = 100 (x1 - x0²)² + (1 - x0)² + 100 (x3 - x2²)² + (1 - x2)² + |x0 - x3|
//          + (x2 > 0.5 ? 3 x2 : -x2),
// there on the pieces x0 < x3 (so |x0 - x3| = x3 - x0) and x2 > 0.5. By hand, on them:
double rosenbrock_value(const std::vector<double>& x) {
  return 100 * std::pow(x[1] - x[0] * x[0], 2) + std::pow(1 - x[0], 2) +
         100 * std::pow(x[3] - x[2] * x[2], 2) + std::pow(1 - x[2], 2) + (x[3] - x[0]) + 3 * x[2];
}
std::vector<double> rosenbrock_gradient(const std::vector<double>& x) {
  return {-400 * x[0] * (x[1] - x[0] * x[0]) - 2 * (1 - x[0]) - 1, 200 * (x[1] - x[0] * x[0]),
          -400 * x[2] * (x[3] - x[2] * x[2]) - 2 * (1 - x[2]) + 3, 200 * (x[3] - x[2] * x[2]) + 1};
}
// The Hessian is block diagonal: [[1200 x0² - 400 x1 + 2, -400 x0], [-400 x0, 200]] and the
// same in x2, x3.
std::vector<double> rosenbrock_hessian_times(const std::vector<double>& x, const std::vector<double>& v) {
  const double a = 1200 * x[0] * x[0] - 400 * x[1] + 2, b = -400 * x[0];
  const double c = 1200 * x[2] * x[2] - 400 * x[3] + 2, d = -400 * x[2];
  return {a * v[0] + b * v[1], b * v[0] + 200 * v[1], c * v[2] + d * v[3], d * v[2] + 200 * v[3]};
}

void expect_close(double got, double expected, const std::string& what) {
  EXPECT_NEAR(got, expected, 1e-12 * std::max(1.0, std::abs(expected))) << what;
}

void expect_replays_rosenbrock(tg::RecordedFunction& fn) {
  ASSERT_EQ(fn.num_inputs(), 4U);
  EXPECT_EQ(fn.num_comparisons(), 1U);
  const std::vector<double> v{0.5, -1.0, 2.0, 0.25};
  for (const std::vector<double>& x : std::vector<std::vector<double>>{
           {-1.2, 1.0, 0.8, 1.1}, {0.5, -0.3, 1.5, 2.0}, {-2.0, 3.0, 0.9, 0.1}, {0.3, 0.09, 0.7, 0.49}}) {
    const std::string at = "at (" + std::to_string(x[0]) + ", " + std::to_string(x[1]) + ", " +
                           std::to_string(x[2]) + ", " + std::to_string(x[3]) + ")";
    expect_close(fn.value(x), rosenbrock_value(x), "f " + at);
    const std::vector<double> g = fn.gradient(x), expected_g = rosenbrock_gradient(x);
    for (std::size_t i = 0; i < 4; ++i)
      expect_close(g[i], expected_g[i], "df/dx" + std::to_string(i) + " " + at);
    const std::vector<double> hv = fn.hvp(x, v), expected_hv = rosenbrock_hessian_times(x, v);
    for (std::size_t i = 0; i < 4; ++i)
      expect_close(hv[i], expected_hv[i], "(Hv)" + std::to_string(i) + " " + at);
  }
  // Off the recorded pieces the loaded function (which cannot record again) says so: the
  // branch x2 > 0.5, and the kink of |x0 - x3|.
  EXPECT_THROW(fn.gradient({0.5, -0.3, 0.2, 2.0}), tg::BranchChanged);
  EXPECT_THROW(fn.gradient({2.0, 1.0, 0.8, 1.1}), tg::BranchChanged);
}

TEST(RecordedFunctionVersions, ThePreviousReleasesFileLoadsAndReplaysTheFunction) {
  const fs::path old_file = tg::testing::previous_release_file("rosenbrock.tgrf");
  const std::string bytes = tg::testing::file_bytes(old_file);
  ASSERT_GT(bytes.size(), 31U) << old_file;
  std::uint32_t version;
  std::memcpy(&version, bytes.data() + 27, sizeof version);
  ASSERT_EQ(version, 1U);  // written before fields had names

  auto loaded = tg::load_recorded_function(old_file);
  expect_replays_rosenbrock(loaded);

  // Saved again, it is a version-2 file that replays the same.
  VersionsTempDir dir;
  tg::save_recorded_function(loaded, dir.path / "again.tgrf");
  const std::string again = tg::testing::file_bytes(dir.path / "again.tgrf");
  std::memcpy(&version, again.data() + 27, sizeof version);
  EXPECT_EQ(version, 2U);
  auto reloaded = tg::load_recorded_function(dir.path / "again.tgrf");
  expect_replays_rosenbrock(reloaded);
  for (const std::vector<double>& x :
       std::vector<std::vector<double>>{{0.5, -0.3, 1.5, 2.0}, {0.1, 0.2, 3.0, 4.0}})
    EXPECT_EQ(reloaded.gradient(x), loaded.gradient(x));

  // Every changed byte of the old file after its name line fails the checksum.
  for (std::size_t at = 27; at < bytes.size(); at += 3) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x01);
    put_bytes(dir.path / "damaged.tgrf", damaged);
    try {
      tg::load_recorded_function(dir.path / "damaged.tgrf");
      ADD_FAILURE() << "a file with byte " << at << " changed loaded";
    } catch (const tg::Error& e) {
      EXPECT_NE(std::string(e.what()).find("its checksum does not match its content"), std::string::npos)
          << e.what();
    }
  }
}

// The fields of a version-2 file as the format documents them (recorded_function_file.hpp,
// support/binary_file.hpp): where each starts and ends in the file.
struct SavedField {
  std::string name;
  std::size_t begin, end;
};
std::vector<SavedField> saved_fields(const std::string& file) {
  std::vector<SavedField> fields;
  std::size_t at = 27 + 4 + 4;  // the name line, the version, the byte-order mark
  const std::size_t end = file.size() - 8;
  while (at < end) {
    SavedField f;
    f.begin = at;
    const auto name_length = static_cast<unsigned char>(file[at]);
    f.name = file.substr(at + 1, name_length);
    at += 1 + name_length;
    const auto kind = static_cast<unsigned char>(file[at]), size = static_cast<unsigned char>(file[at + 1]);
    std::uint64_t count;
    std::memcpy(&count, file.data() + at + 2, sizeof count);
    at += 2 + sizeof count;
    if (kind == 4) {  // texts: each a uint32 length and its bytes
      for (std::uint64_t k = 0; k < count; ++k) {
        std::uint32_t length;
        std::memcpy(&length, file.data() + at, sizeof length);
        at += sizeof length + length;
      }
    } else {
      at += count * size;
    }
    f.end = at;
    fields.push_back(f);
  }
  return fields;
}
std::string sealed_recording(const std::string& body) {
  std::uint64_t h = 14695981039346656037ULL;  // FNV-1a 64, as the format says
  for (const char c : body) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return body + std::string(reinterpret_cast<const char*>(&h), sizeof h);
}

std::string load_refusal(const fs::path& p) {
  try {
    tg::load_recorded_function(p);
  } catch (const tg::Error& e) {
    return e.what();
  }
  return "";
}

TEST(RecordedFunctionVersions, FieldsInAnotherOrderThanTheSchemaAreRefusedNamingTheField) {
  VersionsTempDir dir;
  auto fn = tg::record_function(
      [](auto x) {
        using V = std::remove_cvref_t<decltype(x[0])>;
        V f = tg::square(x[0] - 1.0) + tg::abs(x[1]) * x[0];
        if (x[0] > 0.0) f = f + x[1];
        return f;
      },
      {0.5, -2.0});
  tg::save_recorded_function(fn, dir.path / "f.tgrf");
  const std::string file = tg::testing::file_bytes(dir.path / "f.tgrf");
  const std::vector<SavedField> fields = saved_fields(file);
  std::vector<std::string> names;
  for (const SavedField& f : fields) names.push_back(f.name);
  EXPECT_EQ(names, (std::vector<std::string>{"value size",
                                             "operation names",
                                             "statement ends",
                                             "operand indices",
                                             "statement kinds",
                                             "statement programs",
                                             "statement number offsets",
                                             "values",
                                             "numbers",
                                             "program nodes: op",
                                             "program nodes: needs",
                                             "program nodes: first child",
                                             "program nodes: second child",
                                             "program nodes: third child",
                                             "program nodes: piece",
                                             "program offsets",
                                             "comparisons: before",
                                             "comparisons: program",
                                             "comparisons: number offset",
                                             "comparisons: operand offset",
                                             "comparison numbers",
                                             "comparison operands",
                                             "inputs",
                                             "output"}));
  ASSERT_EQ(fields.back().end, file.size() - 8);

  // Two arrays of one type swapped: "statement programs" (field 6) and "statement number
  // offsets" (field 7), both uint32s, which a reader by position would take for each other.
  const auto swapped = [&](std::size_t a, std::size_t b) {
    const SavedField &first = fields[a], &second = fields[b];
    return file.substr(0, first.begin) + file.substr(second.begin, second.end - second.begin) +
           file.substr(first.end, second.begin - first.end) +
           file.substr(first.begin, first.end - first.begin) +
           file.substr(second.end, file.size() - 8 - second.end);
  };
  put_bytes(dir.path / "swapped.tgrf", sealed_recording(swapped(5, 6)));
  EXPECT_EQ(load_refusal(dir.path / "swapped.tgrf"),
            "tapegrad: recorded function file " + (dir.path / "swapped.tgrf").string() +
                ": not a valid recording: field 6 is \"statement number offsets\" where this tapegrad reads "
                "\"statement programs\"");
  // Two columns of the program nodes, both uint16s.
  put_bytes(dir.path / "columns.tgrf", sealed_recording(swapped(11, 12)));
  EXPECT_NE(
      load_refusal(dir.path / "columns.tgrf")
          .find("field 12 is \"program nodes: second child\" where this tapegrad reads \"program nodes: "
                "first child\""),
      std::string::npos)
      << load_refusal(dir.path / "columns.tgrf");
  // A field retyped: the values (doubles) with the kind and size of 4-byte floats.
  std::string retyped = file.substr(0, file.size() - 8);
  const std::size_t kind_at = fields[7].begin + 1 + fields[7].name.size();
  retyped[kind_at + 1] = 4;
  put_bytes(dir.path / "retyped.tgrf", sealed_recording(retyped));
  EXPECT_NE(
      load_refusal(dir.path / "retyped.tgrf")
          .find("field \"values\" (field 8) holds 4-byte floating-point numbers where 8-byte floating-point "
                "numbers were expected"),
      std::string::npos)
      << load_refusal(dir.path / "retyped.tgrf");
}

TEST(RecordedFunctionVersions, VersionsThisBuildDoesNotReadAreRefusedNamingBoth) {
  VersionsTempDir dir;
  auto fn = tg::record_function([](auto x) { return tg::square(x[0]) * x[1]; }, {1.0, 2.0});
  tg::save_recorded_function(fn, dir.path / "f.tgrf");
  const std::string body =
      tg::testing::file_bytes(dir.path / "f.tgrf").substr(0, fs::file_size(dir.path / "f.tgrf") - 8);
  const auto with_version = [&](std::uint32_t version) {
    std::string changed = body;
    std::memcpy(changed.data() + 27, &version, sizeof version);
    put_bytes(dir.path / "v.tgrf", sealed_recording(changed));
    return load_refusal(dir.path / "v.tgrf");
  };
  EXPECT_EQ(with_version(3),
            "tapegrad: recorded function file " + (dir.path / "v.tgrf").string() +
                ": not a valid recording: format version 3 is newer than this tapegrad reads "
                "(versions 1 to 2); it was written by a later tapegrad");
  EXPECT_NE(with_version(0).find("format version 0 is older than this tapegrad reads (versions 1 to 2)"),
            std::string::npos);
  EXPECT_EQ(with_version(2), "");
}

}  // namespace
