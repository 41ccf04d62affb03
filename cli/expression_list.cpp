#include "expression_list.hpp"

#include <set>

#include "arguments.hpp"

namespace tapegrad::cli {

void rebind_all(std::vector<Expression>& parts, const Expression& all) {
  const Expression::VariableSlots slots = Expression::slots_of(all);
  for (Expression& part : parts) part.rebind(all, slots);
}

ExpressionList join_expressions(std::vector<Expression> parts,
                                const std::map<std::string, std::size_t>& dimensions) {
  std::set<std::string> scalars, vectors;
  for (const Expression& e : parts) {
    scalars.insert(e.scalars().begin(), e.scalars().end());
    vectors.insert(e.vectors().begin(), e.vectors().end());
  }
  // Every variable named once: len(v) names a vector without reading an entry.
  std::string every = "0";
  for (const std::string& name : scalars) every += " + " + name;
  for (const std::string& v : vectors) every += " + len(" + v + ")";
  ExpressionList out{compile(every, dimensions), std::move(parts), {}};
  rebind_all(out.parts, out.all);
  return out;
}

ExpressionList compile_list(const std::string& text, const std::map<std::string, std::size_t>& dimensions,
                            const std::string& what) {
  std::vector<Expression> parts;
  std::vector<std::size_t> offsets;
  for (std::size_t begin = 0;;) {
    const std::size_t end = std::min(text.find(';', begin), text.size());
    const std::string part = text.substr(begin, end - begin);
    if (!trimmed(part).empty()) {
      try {
        parts.push_back(compile(part, dimensions));
      } catch (const ExpressionError& e) {  // the column in the whole text
        throw ExpressionError(e.what(), text, e.column() + begin);
      }
      offsets.push_back(begin);
    }
    if (end == text.size()) break;
    begin = end + 1;
  }
  if (parts.empty()) throw UsageError(what + ": no expressions (write \"e1; e2; …\")");
  ExpressionList out = join_expressions(std::move(parts), dimensions);
  out.offsets = std::move(offsets);
  return out;
}

}  // namespace tapegrad::cli
