// The data sets available by name: "digits" and "iris" read from the shipped data/
// folder, "xor", "moons" and "spirals" generated from a seed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "dataset.hpp"

namespace tapegrad::models {

std::vector<std::string> builtin_dataset_names();
// Throws tapegrad::Error for an unknown name (listing the known ones) or when the
// shipped file cannot be found.
Dataset load_builtin(const std::string& name, std::uint64_t seed = 0);
// Where the shipped files are looked for: $TAPEGRAD_DATA_DIR when set, else the
// source tree's data/ (build tree), else the installed share/tapegrad/data.
std::filesystem::path data_directory();

}  // namespace tapegrad::models
