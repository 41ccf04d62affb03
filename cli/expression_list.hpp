// A list of expressions "e1; e2; …" (minimize's residuals, the rows of a Jacobian) over
// the union of their variables: each part compiled alone, for its own column numbers, then
// rebound to read its variables at the list's slots (Expression::rebind), so that the
// whole list evaluates on one set of inputs built once per point — not on copies of the
// point picked out by name for each part, which a list of 10⁵ equations in one vector
// would pay 10⁵ times.
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "calculus.hpp"
#include "evaluate.hpp"
#include "expression.hpp"

namespace tapegrad::cli {

struct ExpressionList {
  Expression all;                    // every part's variables (its value is no part's)
  std::vector<Expression> parts;     // in the text's order, blank parts skipped; rebound to all
  std::vector<std::size_t> offsets;  // where each part starts in the whole text (0-based)
};

// Splits `text` at ';' (a blank part, as after a trailing ';', is skipped) and compiles
// each part; a syntax error points at its column in the whole text. `what` names the
// list in the error for an empty one ("jacobian").
ExpressionList compile_list(const std::string& text, const std::map<std::string, std::size_t>& dimensions,
                            const std::string& what);

// Makes every expression of `parts` read its variables at the slots of `all`.
void rebind_all(std::vector<Expression>& parts, const Expression& all);

// Expressions compiled apart joined into one list: `all` names the union of their variables
// (compiled from the names alone, not from the parts' text again) and every part is rebound
// to it. The offsets are left empty: where the parts came from is the caller's to say.
ExpressionList join_expressions(std::vector<Expression> parts,
                                const std::map<std::string, std::size_t>& dimensions);

// The inputs of expressions rebound to `all` at the flat point x (Point::flat() order:
// scalars, then every vector's entries), kept between points so that their storage is
// sized once.
template <class V>
class ListInputs {
 public:
  void assign(const Expression& all, std::span<const V> x) {
    scalars_.assign(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(all.scalars().size()));
    vectors_.resize(all.vectors().size());
    std::size_t k = scalars_.size();
    for (std::size_t v = 0; v < vectors_.size(); ++v) {
      vectors_[v].assign(x.begin() + static_cast<std::ptrdiff_t>(k),
                         x.begin() + static_cast<std::ptrdiff_t>(k + all.dimension(v)));
      k += all.dimension(v);
    }
  }
  Inputs<V> inputs() const { return {scalars_, vectors_}; }

 private:
  std::vector<V> scalars_;
  std::vector<std::vector<V>> vectors_;
};

}  // namespace tapegrad::cli
