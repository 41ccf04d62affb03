// The relation of an equation or constraint, "LHS = RHS", "LHS <= RHS" or "LHS >= RHS":
// found at parenthesis depth 0, so that the '=' of `sum(i = 0..n: …)` is part of a side,
// with the misspellings people write ('==', '<', '=>') refused where they stand.
#pragma once

#include <cstddef>
#include <string>

namespace tapegrad::cli {

enum class Relation { Equal, AtMost, AtLeast };

// The sign of `r` as written ("=", "<=", ">=").
const char* relation_sign(Relation r);

// Where a relation splits [begin, end) of `text`: LHS is [begin, lhs_end), RHS is
// [rhs_begin, end).
struct SplitRelation {
  Relation relation = Relation::Equal;
  std::size_t lhs_end = 0, rhs_begin = 0;
};

// Splits [begin, end) of `text` at its one relation. `allowed_inequalities`: whether <= and
// >= may appear (a constraint) or only = (an equation); `what` names the kind in messages
// ("equation", "constraint"; the article, "an" or "a", follows from its first letter).
// Throws ExpressionError (calculus.hpp) at the column of the problem: no relation, more
// than one, '==', a strict '<' or '>', '=<' or '=>', an inequality where only '=' is
// allowed.
SplitRelation split_relation(const std::string& text, std::size_t begin, std::size_t end,
                             bool allowed_inequalities, const char* what);

}  // namespace tapegrad::cli
