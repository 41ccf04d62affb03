// What the lesson examples share: the folder their pictures go to (the first argument,
// else the current folder), a line saying where each went, and the lesson's claims
// checked: each example states what it shows, and exits 1 when a claim does not hold
// (they run as tests).
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

namespace lesson {

inline std::filesystem::path output_folder(int argc, char** argv) {
  const std::filesystem::path folder = argc > 1 ? argv[1] : ".";
  std::filesystem::create_directories(folder);
  return folder;
}

inline void wrote(const std::filesystem::path& file) { std::printf("picture: %s\n", file.c_str()); }

// The claims checked so far: main returns claims.exit_code().
class Claims {
 public:
  // Prints a failed claim; the program will exit 1.
  void check(bool holds, const std::string& claim) {
    if (holds) return;
    std::fprintf(stderr, "claim does not hold: %s\n", claim.c_str());
    failed_ = true;
  }
  int exit_code() const { return failed_ ? 1 : 0; }

 private:
  bool failed_ = false;
};

}  // namespace lesson
