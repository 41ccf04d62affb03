// A point at which an Expression is evaluated, built from --at/--from values: one
// value per scalar variable, and for a vector variable one value that fills it.
// Every variable needs a value, and every value a variable.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "evaluate.hpp"
#include "expression.hpp"

namespace tapegrad::cli {

struct Point {
  std::vector<double> scalars;               // in the Expression's scalar order
  std::vector<std::vector<double>> vectors;  // in its vector order

  Inputs<double> inputs() const { return {scalars, vectors}; }
  // Scalars then every vector's entries: the coordinates an optimizer moves.
  std::vector<double> flat() const;
  // The inverse of flat() for a point shaped like this one.
  Point with_flat(std::span<const double> x) const;
};

// Throws UsageError naming `flag` and the variable.
Point bind_point(const Expression& e, const std::vector<std::pair<std::string, double>>& values,
                 const std::string& flag);

}  // namespace tapegrad::cli
