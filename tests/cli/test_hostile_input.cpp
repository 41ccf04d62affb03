// Hostile input to the `tapegrad` program: each ends with one clear line on stderr and
// exit code 2 — never a crash, a hang (every run is under `timeout`), or output.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "../support/sanitizer_build.hpp"
#include "run_cli.hpp"

namespace fs = std::filesystem;
using namespace cli_run;

namespace {

class HostileInput : public ScratchFolderTest {};

TEST_F(HostileInput, EmptyExpressionsAndFiles) {
  expect_usage_error(tapegrad({"grad", "", "--at", "x=1"}), "the expression is empty");
  expect_usage_error(tapegrad({"grad", "   ", "--at", "x=1"}), "the expression is empty");
  expect_usage_error(tapegrad({"grad", "-", "--at", "x=1"}), "the expression is empty");  // empty stdin
  expect_usage_error(tapegrad({"solve", "-", "--from", "x=1"}), "an equation needs a relation");
  const std::string empty = file("empty.csv", "");
  expect_usage_error(tapegrad({"train", "--data", empty}), "empty.csv");
  expect_usage_error(tapegrad({"predict", "--model", empty, "--data", empty}), "empty.csv");
}

// "@path": an expression read from a file. Appended, not `"@" + path`, on which g++ 12
// reports a false -Wrestrict.
std::string from_file(const std::string& path) {
  std::string argument = "@";
  argument += path;
  return argument;
}

TEST_F(HostileInput, AMillionCharacterExpressionIsReadFromAFileOnly) {
  // Too long for one argument on Linux (128 kB), so given as a file and on stdin, which
  // take up to 256 MiB (test_large_inputs.cpp: beyond that, refused by its size); the
  // argument itself takes at most 100 000 characters.
  std::string sum = "x";
  while (sum.size() < 1000000) sum += "+x";
  const std::string path = file("long.txt", sum);
  for (const Outcome& r :
       {tapegrad({"grad", from_file(path), "--at", "x=1"}), tapegrad({"grad", "-", "--at", "x=1"}, path)}) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "f = 500001\ndf/dx = 500001\n");  // 500 001 terms
  }
  expect_usage_error(tapegrad({"grad", sum.substr(0, 100001), "--at", "x=1"}),
                     "longer than 100000 characters");
  // Garbage of that length is refused at its first character.
  expect_usage_error(
      tapegrad({"grad", from_file(file("junk.txt", std::string(1000000, '#'))), "--at", "x=1"}),
      "unexpected '#' where a number, name or '(' should be");
  expect_usage_error(tapegrad({"grad", from_file((dir_ / "missing.txt").string()), "--at", "x=1"}),
                     "cannot open the expression file");
}

TEST_F(HostileInput, DeepNestingIsRefusedNotAStackOverflow) {
  // Appended piece by piece: g++ 12 warns falsely (-Warray-bounds) on string + literal.
  std::string deep(40000, '(');
  deep += 'x';
  deep.append(40000, ')');
  expect_usage_error(tapegrad({"grad", from_file(file("deep.txt", deep)), "--at", "x=1"}),
                     "nested more than 200");
  std::string calls;
  for (int k = 0; k < 15000; ++k) calls += "sin(";
  calls += 'x';
  calls.append(15000, ')');
  expect_usage_error(tapegrad({"grad", from_file(file("calls.txt", calls)), "--at", "x=1"}),
                     "nested more than 200");
  std::string minuses(300, '-');
  minuses += 'x';
  expect_usage_error(tapegrad({"grad", minuses, "--at", "x=1"}), "nested more than 200");
}

TEST_F(HostileInput, NanAndInfinityAreRefusedAsLiteralsAndAsValues) {
  for (const char* e : {"nan", "NaN * x", "x + inf", "-Infinity", "INF"})
    expect_usage_error(tapegrad({"grad", e, "--at", "x=1"}), "finite numbers only");
  expect_usage_error(tapegrad({"grad", "x * 1e999", "--at", "x=1"}), "out of range");
  for (const char* v : {"x=nan", "x=inf", "x=-inf", "x=1e999"})
    expect_usage_error(tapegrad({"grad", "x^2", "--at", v}), "--at x");
  expect_usage_error(tapegrad({"minimize", "x^2", "--from", "x=nan"}), "--from x");
  expect_usage_error(tapegrad({"solve", "x^2 = 2", "--from", "x=inf"}), "--from x");
}

// Bytes from a fixed linear congruential sequence: every byte value, NULs included.
std::string garbage(std::size_t n, std::uint32_t seed) {
  std::string bytes(n, '\0');
  for (char& c : bytes) {
    seed = seed * 1664525u + 1013904223u;
    c = static_cast<char>(seed >> 24);
  }
  return bytes;
}

TEST_F(HostileInput, BinaryGarbageAsCsvIsRefusedWithItsPlace) {
  for (std::uint32_t seed = 1; seed <= 3; ++seed) {
    const std::string path = file("garbage" + std::to_string(seed) + ".csv", garbage(4096, seed));
    const Outcome train = tapegrad({"train", "--data", path, "--out", (dir_ / "out").string()});
    expect_usage_error(train, path);
    EXPECT_FALSE(fs::exists(dir_ / "out"));
    expect_usage_error(tapegrad({"predict", "--model", path, "--data", path}), path);
  }
  // Text with a NUL inside a number.
  expect_usage_error(tapegrad({"train", "--data", file("nul.csv", std::string("a,b\n1,x\n2\0,y\n", 14))}),
                     "nul.csv:3:");
}

TEST_F(HostileInput, AModelFileTruncatedAtEveryByteIsRefused) {
  const fs::path out = dir_ / "model";
  const Outcome trained =
      tapegrad({"train", "--data", "xor", "--hidden", "", "--epochs", "1", "--out", out.string()});
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  const std::string model = slurp(out / "model.json");
  const std::string rows = file("rows.csv", "x,y\n0.5,-0.5\n1,1\n");
  const Outcome whole = tapegrad({"predict", "--model", (out / "model.json").string(), "--data", rows});
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  ASSERT_LT(model.size(), 2000u);  // a small model: one process per byte
  const std::string cut = (dir_ / "cut.json").string();
  // Every cut before the closing brace; cutting only the final newline leaves the whole
  // document, which must still load. Under the sanitizers, where each process takes
  // about 50 ms, the first and last 32 cuts and one in every 32 between: every cut runs
  // in the release build, and the sanitizers' build checks the loader itself at every
  // cut in one process (ModelFile.EveryTruncationIsRefused) and fuzzes it.
  const std::size_t content = model.find_last_not_of('\n') + 1;
  ASSERT_EQ(model.size(), content + 1);
  const std::size_t stride = built_under_sanitizer ? 32 : 1;
  for (std::size_t size = 0; size < content; ++size) {
    if (size % stride != 0 && size >= 32 && size + 32 < content) continue;
    std::ofstream(cut, std::ios::binary | std::ios::trunc) << model.substr(0, size);
    const Outcome r = tapegrad({"predict", "--model", cut, "--data", rows});
    ASSERT_EQ(r.exit_code, 2) << "truncated to " << size << " bytes: " << r.err;
    ASSERT_TRUE(r.out.empty()) << "truncated to " << size << " bytes";
    ASSERT_EQ(r.err.rfind("tapegrad: model file " + cut, 0), 0u) << r.err;
  }
  std::ofstream(cut, std::ios::binary | std::ios::trunc) << model.substr(0, content);
  EXPECT_EQ(tapegrad({"predict", "--model", cut, "--data", rows}).out, whole.out);
}

}  // namespace
