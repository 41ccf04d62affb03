// Where the files written by the previous release are kept (tests/data/previous_release/,
// whose README says what each is and how it was written): found from this header's own
// path, so that a test finds them whatever folder it runs in.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace tapegrad::testing {

inline std::filesystem::path previous_release_file(const std::string& name) {
  return std::filesystem::path(__FILE__).parent_path().parent_path() / "data" / "previous_release" / name;
}

inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace tapegrad::testing
