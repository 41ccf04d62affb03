/// \file
/// The data sets available by name: "digits" and "iris" read from the shipped data/
/// folder, "xor", "moons" and "spirals" generated from a seed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "dataset.hpp"

namespace tapegrad::models {

/// The names load_builtin() accepts: "digits" and "iris" (shipped files), "xor", "moons" and "spirals"
/// (generated).
std::vector<std::string> builtin_dataset_names();

/// Where the shipped files are looked for, first found wins: $TAPEGRAD_DATA_DIR; then
/// share/tapegrad/data beside the running program's bin/ folder (an installed
/// `tapegrad`); then `compiled_in`, the folder the build system gave the program being
/// compiled (the source tree's data/ for a program built in this project, the install
/// prefix's share/tapegrad/data for one built against the installed package).
std::filesystem::path find_data_directory(const char* compiled_in);

#ifdef TAPEGRAD_SHIPPED_DATA_DIR
/// The folder of the shipped data sets: find_data_directory() with the folder the build system compiled in.
inline std::filesystem::path data_directory() { return find_data_directory(TAPEGRAD_SHIPPED_DATA_DIR); }
#else
/// The folder of the shipped data sets: find_data_directory() with the folder the build system compiled in.
inline std::filesystem::path data_directory() { return find_data_directory(nullptr); }
#endif

/// Reads "digits" or "iris" from `directory`, or generates the others from `seed`.
/// Throws tapegrad::Error for an unknown name (listing the known ones) or when the
/// shipped file is missing (saying where it looked and how to point elsewhere).
///@{
Dataset load_builtin(const std::string& name, std::uint64_t seed, const std::filesystem::path& directory);
inline Dataset load_builtin(const std::string& name, std::uint64_t seed = 0) {
  return load_builtin(name, seed, data_directory());
}
///@}

}  // namespace tapegrad::models
