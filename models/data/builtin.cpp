#include "builtin.hpp"

#include <cstdlib>

#include "../../autodiff/support/error.hpp"
#include "csv.hpp"
#include "generate.hpp"

namespace tapegrad::models {

std::vector<std::string> builtin_dataset_names() { return {"digits", "iris", "xor", "moons", "spirals"}; }

std::filesystem::path data_directory() {
  if (const char* env = std::getenv("TAPEGRAD_DATA_DIR"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  for (const char* candidate : {TAPEGRAD_SOURCE_DATA_DIR, TAPEGRAD_INSTALLED_DATA_DIR})
    if (std::filesystem::exists(std::filesystem::path(candidate) / "digits.csv", ec)) return candidate;
  return TAPEGRAD_INSTALLED_DATA_DIR;
}

Dataset load_builtin(const std::string& name, std::uint64_t seed) {
  if (name == "digits" || name == "iris") {
    const std::filesystem::path path = data_directory() / (name + ".csv");
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      throw Error("tapegrad: the shipped data set '" + name + "' is not at " + path.string() +
                  " (set TAPEGRAD_DATA_DIR to the folder holding " + name + ".csv)");
    CsvOptions options;
    options.header = Header::Present;
    return load_csv(path, options);
  }
  if (name == "xor") return make_xor(400, 0.1, seed);
  if (name == "moons") return make_moons(400, 0.1, seed);
  if (name == "spirals") return make_spirals(600, 3, 0.15, seed);
  std::string known;
  for (const std::string& n : builtin_dataset_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error("tapegrad: no data set is named '" + name + "' (known: " + known + ")");
}

}  // namespace tapegrad::models
