// What the lesson examples share: the folder their pictures go to (the first argument,
// else the current folder) and a line saying where each went.
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

}  // namespace lesson
