#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <string_view>

#include "../../cli/calculus.hpp"
#include "targets.hpp"

namespace tapegrad::fuzz {

void expression_input(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const cli::Expression e = cli::compile(text, {{"v", 3}});
    // The parser admits sums and products of up to 10^8 operations in all (limits.hpp),
    // which is minutes of work per input at fuzzing speed, not a finding: parsing them is
    // fuzzed, running them only up to 10^6 operations.
    if (e.operations() > 1e6) return;
    cli::Point point;
    for (std::size_t k = 0; k < e.scalars().size(); ++k)
      point.scalars.push_back(0.25 + 0.5 * static_cast<double>(k));
    for (std::size_t v = 0; v < e.vectors().size(); ++v) point.vectors.emplace_back(e.dimension(v), 0.75);
    const cli::ValueAndGradient result = cli::value_and_gradient(e, point);
    if (result.gradient.size() != point.flat().size())
      throw std::logic_error("the gradient has " + std::to_string(result.gradient.size()) + " entries for " +
                             std::to_string(point.flat().size()) + " coordinates");
  } catch (const Error&) {
    // A syntax or domain error (cli::ExpressionError and tapegrad::Error): refused.
  }
}

}  // namespace tapegrad::fuzz
