#include "constraints.hpp"

#include <algorithm>
#include <cctype>

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

// One side of a relation: its text, where it starts in the whole text, and its compiled
// expression — compiled once, for both questions asked of it (a variable? a constant?).
struct Side {
  std::string text;
  std::size_t offset;
  std::optional<Reference> reference;  // the side read as a variable reference
  bool whole_vector;                   // names a whole vector: not compiled (its entries are expressions)
  std::optional<Expression> expression;
};

}  // namespace

ConstraintList parse_constraints(const std::string& text,
                                 const std::map<std::string, std::size_t>& dimensions) {
  ConstraintList out;
  for (std::size_t begin = 0;;) {
    const std::size_t end = std::min(text.find(';', begin), text.size());
    if (!trimmed(text.substr(begin, end - begin)).empty()) {
      const SplitRelation split = split_relation(text, begin, end, true, "constraint");
      // Errors of a side point at their column in the whole text.
      const auto at_offset = [&](auto&& body, std::size_t offset) {
        try {
          return body();
        } catch (const ExpressionError& e) {
          throw ExpressionError(e.what(), text, e.column() + offset);
        }
      };
      const auto side_of = [&](std::size_t from, std::size_t to) {
        Side s{text.substr(from, to - from), from, std::nullopt, false, std::nullopt};
        s.reference = reference_of(s.text);
        // A whole vector is no expression (its entries are), so it is recognized by name.
        s.whole_vector = s.reference && !s.reference->index && dimensions.count(s.reference->name) > 0;
        if (!s.whole_vector) s.expression = at_offset([&] { return compile(s.text, dimensions); }, from);
        return s;
      };
      const Side lhs = side_of(begin, split.lhs_end), rhs = side_of(split.rhs_begin, end);
      // The variable `s` names, when it names one alone (pi and e name constants).
      const auto variable = [](const Side& s) -> std::optional<Reference> {
        if (!s.reference) return std::nullopt;
        if (s.whole_vector || s.expression->scalars().size() + s.expression->vectors().size() == 1)
          return s.reference;
        return std::nullopt;
      };
      const auto constant = [&](const Side& s) -> std::optional<double> {
        if (!s.expression || !s.expression->scalars().empty() || !s.expression->vectors().empty())
          return std::nullopt;
        // Finite: checked_value throws at the operation that leaves the finite numbers.
        return at_offset([&] { return checked_value(*s.expression, zero_point(*s.expression)); }, s.offset);
      };
      const std::string part = trimmed(text.substr(begin, end - begin));
      std::optional<Reference> bounded = variable(lhs);
      std::optional<double> value = bounded ? constant(rhs) : std::nullopt;
      Relation relation = split.relation;
      if (!bounded || !value) {
        bounded = variable(rhs);
        value = bounded ? constant(lhs) : std::nullopt;
        // c <= x is x >= c.
        relation = relation == Relation::AtMost    ? Relation::AtLeast
                   : relation == Relation::AtLeast ? Relation::AtMost
                                                   : relation;
      }
      if (bounded && value) {
        WrittenBound b{part, bounded->name, bounded->index};
        if (relation != Relation::AtMost) b.lower = *value;
        if (relation != Relation::AtLeast) b.upper = *value;
        out.bounds.push_back(std::move(b));
      } else {
        // A whole vector on either side: its own error, at its column.
        for (const Side* s : {&lhs, &rhs})
          if (s->whole_vector) at_offset([&] { return compile(s->text, dimensions); }, s->offset);
        GeneralConstraint c{part, compile("(" + lhs.text + ") - (" + rhs.text + ")", dimensions), -infinity,
                            infinity};
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
  CoordinateBounds out{std::vector<double>(n, -infinity), std::vector<double>(n, infinity)};
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
                       bounds[upper_from[k]].text + "' cross (no value of " + coordinate_name(e, k) +
                       " meets both)");
  };
  for (std::size_t which = 0; which < bounds.size(); ++which) {
    const WrittenBound& b = bounds[which];
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
