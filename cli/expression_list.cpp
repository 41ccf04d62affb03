#include "expression_list.hpp"

#include "arguments.hpp"

namespace tapegrad::cli {

void rebind_all(std::vector<Expression>& parts, const Expression& all) {
  const Expression::VariableSlots slots = Expression::slots_of(all);
  for (Expression& part : parts) part.rebind(all, slots);
}

ExpressionList compile_list(const std::string& text, const std::map<std::string, std::size_t>& dimensions,
                            const std::string& what) {
  ExpressionList out{compile("0", dimensions), {}, {}};
  // The variables of every part: one expression that mentions them all.
  std::string every = "0";
  for (std::size_t begin = 0;;) {
    const std::size_t end = std::min(text.find(';', begin), text.size());
    const std::string part = text.substr(begin, end - begin);
    if (!trimmed(part).empty()) {
      try {
        out.parts.push_back(compile(part, dimensions));
      } catch (const ExpressionError& e) {  // the column in the whole text
        throw ExpressionError(e.what(), text, e.column() + begin);
      }
      out.offsets.push_back(begin);
      every += " + (";
      every += part;
      every += ")";
    }
    if (end == text.size()) break;
    begin = end + 1;
  }
  if (out.parts.empty()) throw UsageError(what + ": no expressions (write \"e1; e2; …\")");
  out.all = compile(every, dimensions);
  rebind_all(out.parts, out.all);
  return out;
}

}  // namespace tapegrad::cli
