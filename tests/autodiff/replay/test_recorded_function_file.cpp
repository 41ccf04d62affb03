// Saved recorded functions: a loaded function replays bit-identically to the one saved,
// keeps its comparisons, and every damaged, truncated or mismatched file is refused with
// a message saying why, never read out of bounds.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <tapegrad/autodiff/autodiff.hpp>
#include <vector>

namespace {

namespace tg = tapegrad;
namespace fs = std::filesystem;

struct TempDir {
  fs::path path =
      fs::temp_directory_path() /
      ("tapegrad-replay-file-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
       ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_all(const fs::path& p, const std::string& content) {
  std::ofstream(p, std::ios::binary) << content;
}

// A function with shared subexpressions, numbers, a kink and a comparison.
auto objective = [](auto x) {
  using V = std::remove_cvref_t<decltype(x[0])>;
  V shared = x[0] * x[1] - 0.5;
  V f = tg::exp(shared * 0.3) + tg::abs(x[2]) * tg::square(shared) + tg::log1p(x[1] * x[1]);
  if (x[0] > 0.0) f = f + tg::sin(x[0]);
  return f;
};

TEST(RecordedFunctionFile, ALoadedFunctionReplaysAsTheSavedOne) {
  TempDir dir;
  auto fn = tg::record_function(objective, {0.7, -1.1, 2.0});
  tg::save_recorded_function(fn, dir.path / "f.tgrf");
  auto loaded = tg::load_recorded_function(dir.path / "f.tgrf");
  EXPECT_EQ(loaded.num_inputs(), 3U);
  EXPECT_EQ(loaded.num_comparisons(), 1U);
  for (const std::vector<double>& x :
       std::vector<std::vector<double>>{{0.7, -1.1, 2.0}, {1.5, 0.3, 0.25}, {0.1, 2.0, 4.0}}) {
    EXPECT_EQ(loaded.gradient(x), fn.gradient(x));
    EXPECT_EQ(loaded.value(x), fn.value(x));
    EXPECT_EQ(loaded.hvp(x, {1.0, -2.0, 0.5}), fn.hvp(x, {1.0, -2.0, 0.5}));
  }
  // The comparison came along: on the other branch the loaded function (which has no C++
  // function to record again) says so.
  EXPECT_THROW(loaded.gradient({-0.7, -1.1, 2.0}), tg::BranchChanged);
  // So did the kink of abs.
  EXPECT_THROW(loaded.gradient({0.7, -1.1, -2.0}), tg::BranchChanged);

  // Float recordings have their own value size and are told apart.
  tg::BasicRecordedFunction<float> f32([](auto x) { return x[0] * x[0]; }, std::vector<float>{2.0F});
  tg::save_recorded_function(f32, dir.path / "f32.tgrf");
  EXPECT_EQ(tg::load_recorded_function<float>(dir.path / "f32.tgrf").gradient({3.0F})[0], 6.0F);
  try {
    tg::load_recorded_function<double>(dir.path / "f32.tgrf");
    FAIL() << "a float recording loaded as double";
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("4-byte values"), std::string::npos) << e.what();
  }
}

// Loaded with the function it was recorded from, a recording records it again where a
// branch changes, and its gradient there is that of a fresh recording.
TEST(RecordedFunctionFile, ALoadedFunctionGivenItsFunctionRecordsAgainOnAChangedBranch) {
  TempDir dir;
  auto fn = tg::record_function(objective, {0.7, -1.1, 2.0});
  tg::save_recorded_function(fn, dir.path / "f.tgrf");
  auto loaded = tg::load_recorded_function(dir.path / "f.tgrf", objective);
  for (const std::vector<double>& x :
       std::vector<std::vector<double>>{{-0.7, -1.1, 2.0}, {0.7, -1.1, -2.0}}) {
    auto fresh = tg::record_function(objective, x);
    EXPECT_EQ(loaded.gradient(x), fresh.gradient(x));
    EXPECT_EQ(loaded.value(x), fresh.value(x));
  }
  EXPECT_EQ(loaded.rerecordings(), 2U);
  EXPECT_FALSE(loaded.last_change().empty());
}

TEST(RecordedFunctionFile, DamagedTruncatedAndForeignFilesAreRefused) {
  TempDir dir;
  auto fn = tg::record_function(objective, {0.7, -1.1, 2.0});
  const fs::path good = dir.path / "f.tgrf";
  tg::save_recorded_function(fn, good);
  const std::string bytes = read_all(good);

  auto refused = [&](const std::string& content, const std::string& expected_reason) {
    const fs::path p = dir.path / "bad.tgrf";
    write_all(p, content);
    try {
      tg::load_recorded_function(p);
      ADD_FAILURE() << "loaded a file that should fail with: " << expected_reason;
    } catch (const tg::Error& e) {
      EXPECT_NE(std::string(e.what()).find(expected_reason), std::string::npos) << e.what();
    }
  };
  // Every single flipped byte after the header is caught by the checksum.
  for (std::size_t at = 30; at < bytes.size(); at += 7) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x5a);
    refused(damaged, at + 8 < bytes.size() ? "checksum" : "checksum");
  }
  refused(bytes.substr(0, bytes.size() / 2), "checksum");
  refused("", "does not start as a tapegrad recorded function");
  refused("a text file\n", "does not start as a tapegrad recorded function");
  EXPECT_THROW(tg::load_recorded_function(dir.path / "missing.tgrf"), tg::Error);
}

// Files whose checksum is right but whose content is not a recording (written by hand or
// by another program): the structure is checked before anything replays.
TEST(RecordedFunctionFile, WellSealedNonsenseIsRefused) {
  TempDir dir;
  auto fn = tg::record_function(objective, {0.7, -1.1, 2.0});
  const fs::path good = dir.path / "f.tgrf";
  tg::save_recorded_function(fn, good);
  const std::string bytes = read_all(good);
  const std::string body = bytes.substr(0, bytes.size() - 8);

  // Reseal with a correct checksum (64-bit FNV-1a, as the format says).
  auto seal = [](const std::string& b) {
    std::uint64_t h = 14695981039346656037ULL;
    for (const char c : b) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ULL;
    }
    std::string out = b;
    out.append(reinterpret_cast<const char*>(&h), sizeof h);
    return out;
  };
  std::size_t refused = 0, loaded = 0;
  // Every byte after the magic line, changed in turn: each file is refused, or loads into
  // a recording that replays without reading out of bounds (ASan checks that).
  for (std::size_t at = 27; at < body.size(); ++at) {
    std::string changed = body;
    changed[at] = static_cast<char>(changed[at] + 77);
    write_all(dir.path / "x.tgrf", seal(changed));
    try {
      auto f = tg::load_recorded_function(dir.path / "x.tgrf");
      ++loaded;
      try {
        std::vector<double> x(f.num_inputs(), 0.5);
        (void)f.gradient(x);
      } catch (const tg::Error&) {
      }
    } catch (const tg::Error& e) {
      ++refused;
      EXPECT_NE(std::string(e.what()).find("not a valid recording"), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(refused, loaded);  // most bytes are structure, not values
  // A truncated but resealed file names where it ends.
  write_all(dir.path / "t.tgrf", seal(body.substr(0, body.size() - 30)));
  try {
    tg::load_recorded_function(dir.path / "t.tgrf");
    FAIL() << "a truncated file loaded";
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}

TEST(RecordedFunctionFile, SavingLeavesNoHalfWrittenFile) {
  TempDir dir;
  auto fn = tg::record_function(objective, {0.7, -1.1, 2.0});
  EXPECT_THROW(tg::save_recorded_function(fn, dir.path / "no-such-folder" / "f.tgrf"), tg::Error);
  EXPECT_FALSE(fs::exists(dir.path / "no-such-folder"));
  tg::save_recorded_function(fn, dir.path / "f.tgrf");
  const std::string first = read_all(dir.path / "f.tgrf");
  tg::save_recorded_function(fn, dir.path / "f.tgrf");
  EXPECT_EQ(read_all(dir.path / "f.tgrf"), first);  // the same recording, the same bytes
  for (const auto& entry : fs::directory_iterator(dir.path))
    EXPECT_EQ(entry.path().filename(), "f.tgrf");  // no temporary left behind
}

}  // namespace
