// Replays every seed input and every input a fuzzer found (tests/fuzz/corpus/<target>,
// tests/fuzz/regressions/<target>) through the fuzz targets, in the normal and the
// sanitizer builds: an input that once crashed stays fixed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../../models/model_file.hpp"
#include "targets.hpp"

namespace {

namespace fs = std::filesystem;

struct Target {
  std::string name;
  void (*run)(const std::uint8_t*, std::size_t);
};

void PrintTo(const Target& t, std::ostream* os) { *os << t.name; }

class FuzzRegression : public ::testing::TestWithParam<Target> {};

std::vector<fs::path> inputs_under(const fs::path& folder) {
  std::vector<fs::path> files;
  if (fs::is_directory(folder))
    for (const fs::directory_entry& entry : fs::directory_iterator(folder))
      if (entry.is_regular_file()) files.push_back(entry.path());
  return files;
}

TEST_P(FuzzRegression, EverySeedAndFoundInputIsHandled) {
  const Target& target = GetParam();
  const fs::path root = TAPEGRAD_FUZZ_DIR;
  const std::vector<fs::path> seeds = inputs_under(root / "corpus" / target.name);
  ASSERT_GE(seeds.size(), 3u) << "the seed corpus of " << target.name << " is missing";
  std::vector<fs::path> all = seeds;
  for (const fs::path& p : inputs_under(root / "regressions" / target.name)) all.push_back(p);
  for (const fs::path& path : all) {
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NO_THROW(target.run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size())) << path;
  }
}

// The model-file target repairs checksums so that mutations reach the structural
// checks; that only works if the repair computes the loader's checksum.
TEST(FuzzModelFile, RepairedChecksumIsTheLoadersOwn) {
  const fs::path seed = fs::path(TAPEGRAD_FUZZ_DIR) / "corpus" / "model_file" / "xor_sigmoid";
  std::ifstream in(seed, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t weight = text.find("-0.7364912033081055");
  ASSERT_NE(weight, std::string::npos);
  text.replace(weight, 19, "0.25");
  EXPECT_THROW(tapegrad::models::model_from_json<float>(text, "edited"), tapegrad::Error);
  const auto model =
      tapegrad::models::model_from_json<float>(tapegrad::fuzz::with_matching_checksum(text), "repaired");
  const auto& first = dynamic_cast<const tapegrad::models::Linear<float>&>(model.network()[0]);
  EXPECT_EQ(first.weight().value()(0, 0), 0.25f);
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzRegression,
                         ::testing::Values(Target{"expression", &tapegrad::fuzz::expression_input},
                                           Target{"csv", &tapegrad::fuzz::csv_input},
                                           Target{"model_file", &tapegrad::fuzz::model_file_input}),
                         [](const ::testing::TestParamInfo<Target>& target) { return target.param.name; });

}  // namespace
