#include "constraints.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "arguments.hpp"
#include "calculus.hpp"
#include "point.hpp"

namespace tapegrad::cli {
namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// `side` as a variable reference: "x" or "x[12]" (spaces allowed inside the brackets).
struct Reference {
  std::string name;
  std::optional<std::size_t> index;
};
std::optional<Reference> reference_of(const std::string& side) {
  const std::string s = trimmed(side);
  if (s.empty() || !is_name_start(s[0])) return std::nullopt;
  std::size_t k = 1;
  while (k < s.size() && is_name_char(s[k])) ++k;
  Reference r{s.substr(0, k), std::nullopt};
  if (k == s.size()) return r;
  if (s[k] != '[' || s.back() != ']') return std::nullopt;
  const std::string inside = trimmed(s.substr(k + 1, s.size() - k - 2));
  if (inside.empty() || inside.size() > 18) return std::nullopt;
  for (const char c : inside)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  r.index = std::stoull(inside);
  return r;
}

}  // namespace

ConstraintList parse_constraints(const std::string& text,
                                 const std::map<std::string, std::size_t>& dimensions) {
  ConstraintList out;
  for (std::size_t begin = 0;;) {
    const std::size_t end = std::min(text.find(';', begin), text.size());
    if (!trimmed(text.substr(begin, end - begin)).empty()) {
      const SplitRelation split = split_relation(text, begin, end, true, "constraint");
      const std::string lhs = text.substr(begin, split.lhs_end - begin);
      const std::string rhs = text.substr(split.rhs_begin, end - split.rhs_begin);
      const auto side = [&](const std::string& side_text, std::size_t offset) {
        try {
          return compile(side_text, dimensions);
        } catch (const ExpressionError& e) {
          throw ExpressionError(e.what(), text, e.column() + offset);
        }
      };
      // A whole vector is no expression (its entries are), so it is recognized by name.
      const auto variable = [&](const std::string& side_text) -> std::optional<Reference> {
        std::optional<Reference> r = reference_of(side_text);
        if (!r) return std::nullopt;
        if (!r->index && dimensions.count(r->name)) return r;
        const Expression e = side(side_text, 0);
        if (e.scalars().size() + e.vectors().size() != 1) return std::nullopt;  // pi, e: constants
        return r;
      };
      const auto constant = [&](const std::string& side_text, std::size_t offset) -> std::optional<double> {
        if (reference_of(side_text) && dimensions.count(reference_of(side_text)->name)) return std::nullopt;
        const Expression e = side(side_text, offset);
        if (!e.scalars().empty() || !e.vectors().empty()) return std::nullopt;
        return checked_value(e, zero_point(e));
      };
      const std::string part = trimmed(text.substr(begin, end - begin));
      std::optional<Reference> bounded = variable(lhs);
      std::optional<double> value = bounded ? constant(rhs, split.rhs_begin) : std::nullopt;
      Relation relation = split.relation;
      if (!bounded || !value) {
        bounded = variable(rhs);
        value = bounded ? constant(lhs, begin) : std::nullopt;
        // c <= x is x >= c.
        relation = relation == Relation::AtMost    ? Relation::AtLeast
                   : relation == Relation::AtLeast ? Relation::AtMost
                                                   : relation;
      }
      if (bounded && value) {
        if (!std::isfinite(*value) && relation == Relation::Equal)
          throw UsageError("--subject-to: '" + part + "' fixes " + bounded->name +
                           " at a value that is not finite");
        WrittenBound b{part, bounded->name, bounded->index};
        if (relation != Relation::AtMost) b.lower = *value;
        if (relation != Relation::AtLeast) b.upper = *value;
        out.bounds.push_back(std::move(b));
      } else {
        side(lhs, begin);  // each side's own errors, at their columns
        side(rhs, split.rhs_begin);
        GeneralConstraint c{part, compile("(" + lhs + ") - (" + rhs + ")", dimensions), -infinity, infinity};
        if (split.relation != Relation::AtLeast) c.upper = 0;
        if (split.relation != Relation::AtMost) c.lower = 0;
        out.general.push_back(std::move(c));
      }
    }
    if (end == text.size()) break;
    begin = end + 1;
  }
  if (out.general.empty() && out.bounds.empty())
    throw UsageError(
        "--subject-to: no constraints (write \"c1; c2; …\", each LHS = RHS, LHS <= RHS or LHS >= RHS)");
  return out;
}

CoordinateBounds coordinate_bounds(const Expression& e, const std::vector<WrittenBound>& bounds) {
  std::size_t n = e.scalars().size();
  std::vector<std::size_t> vector_start;
  for (std::size_t v = 0; v < e.vectors().size(); ++v) {
    vector_start.push_back(n);
    n += e.dimension(v);
  }
  CoordinateBounds out{std::vector<double>(n, -infinity), std::vector<double>(n, infinity), false};
  // Which written bound set each side, to name both when they cross.
  std::vector<std::size_t> lower_from(n, 0), upper_from(n, 0);
  const auto apply = [&](std::size_t k, std::size_t which) {
    const WrittenBound& b = bounds[which];
    if (b.lower > out.lower[k]) {
      out.lower[k] = b.lower;
      lower_from[k] = which;
    }
    if (b.upper < out.upper[k]) {
      out.upper[k] = b.upper;
      upper_from[k] = which;
    }
    if (out.lower[k] > out.upper[k])
      throw UsageError("--subject-to: the bounds '" + bounds[lower_from[k]].text + "' and '" +
                       bounds[upper_from[k]].text + "' cross (no value of " + coordinate_names(e)[k] +
                       " meets both)");
  };
  for (std::size_t which = 0; which < bounds.size(); ++which) {
    const WrittenBound& b = bounds[which];
    out.any = out.any || std::isfinite(b.lower) || std::isfinite(b.upper);
    const auto scalar = std::find(e.scalars().begin(), e.scalars().end(), b.name);
    if (scalar != e.scalars().end()) {
      if (b.index)
        throw UsageError("--subject-to: '" + b.text + "' indexes " + b.name + ", which is a scalar");
      apply(static_cast<std::size_t>(scalar - e.scalars().begin()), which);
      continue;
    }
    const auto vector = std::find(e.vectors().begin(), e.vectors().end(), b.name);
    if (vector == e.vectors().end())
      throw UsageError("--subject-to: '" + b.text + "' bounds " + b.name +
                       ", which neither the expression nor a constraint uses");
    const auto v = static_cast<std::size_t>(vector - e.vectors().begin());
    if (b.index) {
      if (*b.index >= e.dimension(v))
        throw UsageError("--subject-to: '" + b.text + "': " + b.name + " has " +
                         std::to_string(e.dimension(v)) + " entries (indices 0 to " +
                         std::to_string(e.dimension(v) - 1) + ")");
      apply(vector_start[v] + *b.index, which);
    } else {
      for (std::size_t i = 0; i < e.dimension(v); ++i) apply(vector_start[v] + i, which);
    }
  }
  return out;
}

}  // namespace tapegrad::cli
