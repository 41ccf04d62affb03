// Running the `tapegrad` program from a test as a user runs it, through the shell.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace cli_run {

namespace fs = std::filesystem;

struct Outcome {
  int exit_code;
  std::string out, err;
};

inline std::string shell_quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs the program with `args`, standard input from `input` (a file), at most 60 s:
// `timeout` turns a hang into exit code 124.
inline Outcome tapegrad(const std::vector<std::string>& args, const std::string& input = "/dev/null") {
  static int counter = 0;
  const fs::path dir = fs::temp_directory_path() / ("tapegrad-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path out = dir / ("out" + std::to_string(counter)),
                 err = dir / ("err" + std::to_string(counter++));
  std::string command = "timeout 60 " + shell_quoted(TAPEGRAD_CLI_PATH);
  for (const std::string& a : args) {
    command += ' ';
    command += shell_quoted(a);
  }
  command += " > ";
  command += shell_quoted(out.string());
  command += " 2> ";
  command += shell_quoted(err.string());
  command += " < ";
  command += shell_quoted(input);
  const int status = std::system(command.c_str());
  Outcome r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
  fs::remove(out);
  fs::remove(err);
  return r;
}

inline nlohmann::json json_of(const Outcome& r) { return nlohmann::json::parse(r.out); }

// One line on stderr, exit code 2, nothing on stdout.
inline void expect_usage_error(const Outcome& r, const std::string& part) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(r.err.rfind("tapegrad: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(part), std::string::npos) << "expected '" << part << "' in: " << r.err;
}

// The same with --json: exit code 2, nothing on stdout, and stderr one JSON object whose error holds
// `part`; the object (discarded when stderr is not JSON).
inline nlohmann::json expect_json_usage_error(const Outcome& r, const std::string& part) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  const nlohmann::json j = nlohmann::json::parse(r.err, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.err;
  if (j.is_discarded()) return j;
  EXPECT_EQ(j["exit_code"], 2);
  EXPECT_NE(j["error"].get<std::string>().find(part), std::string::npos)
      << "expected '" << part << "' in: " << j["error"];
  return j;
}

// A test with its own scratch folder, made empty before and removed after it.
class ScratchFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("tapegrad-" + std::string(test->test_suite_name()) + "-" +
                                        test->name() + "-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  // The path of `name` in the folder.
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // Writes `content` to `name` in the folder; its path.
  std::string file(const std::string& name, const std::string& content) const {
    std::ofstream(dir_ / name, std::ios::binary) << content;
    return path(name);
  }
  fs::path dir_;
};

}  // namespace cli_run
