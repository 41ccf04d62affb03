#include "builtin.hpp"

#include <cstdlib>

#include "../../autodiff/support/error.hpp"
#include "csv.hpp"
#include "generate.hpp"

namespace tapegrad::models {
namespace {

bool holds_data(const std::filesystem::path& directory) {
  std::error_code ec;
  return std::filesystem::exists(directory / "iris.csv", ec);
}

// <prefix>/share/tapegrad/data for a program running from <prefix>/bin.
std::filesystem::path beside_program() {
  std::error_code ec;
  const std::filesystem::path program = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return program.parent_path().parent_path() / "share" / "tapegrad" / "data";
}

}  // namespace

std::vector<std::string> builtin_dataset_names() { return {"digits", "iris", "xor", "moons", "spirals"}; }

std::filesystem::path find_data_directory(const char* compiled_in) {
  if (const char* env = std::getenv("TAPEGRAD_DATA_DIR"); env != nullptr && *env != '\0') return env;
  if (std::filesystem::path installed = beside_program(); !installed.empty() && holds_data(installed))
    return installed;
  if (compiled_in != nullptr) return compiled_in;
  return "share/tapegrad/data";
}

Dataset load_builtin(const std::string& name, std::uint64_t seed, const std::filesystem::path& directory) {
  if (name == "digits" || name == "iris") {
    const std::filesystem::path path = directory / (name + ".csv");
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      throw Error("the shipped data set '" + name + "' is not at " + path.string() +
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
  throw Error("no data set is named '" + name + "' (known: " + known + ")");
}

}  // namespace tapegrad::models
