#include <string_view>

#include "../../autodiff/support/error.hpp"
#include "../../models/data/csv.hpp"
#include "targets.hpp"

namespace tapegrad::fuzz {

void csv_input(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const models::Dataset d = models::parse_csv(text, "fuzz.csv");
    d.validate();
  } catch (const Error&) {
  }
  try {
    const models::Dataset d =
        models::parse_csv(text, "fuzz.csv", {.labelled = false, .task = models::Task::Regress});
    d.validate();
  } catch (const Error&) {
  }
}

}  // namespace tapegrad::fuzz
