// The constraints of `minimize --subject-to "c1; c2; …"`: each part "LHS = RHS", "LHS <= RHS"
// or "LHS >= RHS" (cli/relation.hpp). A part whose one side is a variable — a scalar x, an
// entry x[3], or a whole vector x (every entry) — and whose other side is a constant is a
// bound on that variable, handed to the solver as a bound rather than a constraint function;
// every other part is a general constraint LHS − RHS compared with 0.
#pragma once

#include <cstddef>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "expression.hpp"
#include "relation.hpp"

namespace tapegrad::cli {

// One general constraint: lower ≤ LHS − RHS ≤ upper.
struct GeneralConstraint {
  std::string text;     // as written, trimmed
  Expression function;  // LHS − RHS, compiled over its own variables
  double lower = 0, upper = 0;
};

// One bound as written: `name` (a scalar or a whole vector) or `name[index]`, with the
// part's text for messages.
struct WrittenBound {
  std::string text;
  std::string name;
  std::optional<std::size_t> index;  // an entry of a vector; none: a scalar or every entry
  double lower = -std::numeric_limits<double>::infinity();
  double upper = std::numeric_limits<double>::infinity();
};

struct ConstraintList {
  std::vector<GeneralConstraint> general;
  std::vector<WrittenBound> bounds;
};

// Parses "c1; c2; …" (blank parts skipped); throws ExpressionError at the column of a
// syntax error or a misspelt relation, UsageError for an empty list.
ConstraintList parse_constraints(const std::string& text,
                                 const std::map<std::string, std::size_t>& dimensions);

// The bounds on every flat coordinate of `e` (Point::flat() order), the tightest of those
// written for each; throws UsageError naming the bound whose variable `e` does not have
// (or whose index is out of range) and the bounds that cross (lower above upper).
// (Each written bound has a finite side, so there is a finite bound exactly when `bounds`
// is not empty.)
struct CoordinateBounds {
  std::vector<double> lower, upper;
};
CoordinateBounds coordinate_bounds(const Expression& e, const std::vector<WrittenBound>& bounds);

}  // namespace tapegrad::cli
