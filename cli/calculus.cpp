#include "calculus.hpp"

#include "../autodiff/tape.hpp"

namespace tapegrad::cli {

Expression compile(const std::string& text, const std::map<std::string, std::size_t>& dimensions) {
  try {
    return Expression::parse(text, dimensions);
  } catch (const SyntaxError& e) {
    throw ExpressionError(std::string("syntax error: ") + e.what(), text, e.column());
  }
}

double checked_value(const Expression& e, const Point& point) {
  try {
    return Evaluator<double>()(e, point.inputs(), true);
  } catch (const DomainError& d) {
    throw ExpressionError(d.what(), e.text(), d.column());
  }
}

ValueAndGradient value_and_gradient(const Expression& e, const Point& point) {
  ValueAndGradient out;
  out.value = checked_value(e, point);
  Tape tape;
  std::vector<Var> scalars(point.scalars.begin(), point.scalars.end());
  std::vector<std::vector<Var>> vectors;
  for (const std::vector<double>& v : point.vectors) vectors.emplace_back(v.begin(), v.end());
  const Var f = Evaluator<Var>()(e, Inputs<Var>{scalars, vectors});
  out.tape_statements = tape.num_nodes();
  out.tape_bytes = tape.bytes_in_use();
  std::vector<Var> all = scalars;
  for (const std::vector<Var>& v : vectors) all.insert(all.end(), v.begin(), v.end());
  out.gradient.assign(all.size(), 0.0);
  if (f.is_recorded()) {  // a constant expression has a zero gradient
    tape.backward(f);
    for (std::size_t i = 0; i < all.size(); ++i) out.gradient[i] = all[i].adjoint();
  }
  return out;
}

std::vector<std::string> coordinate_names(const Expression& e) {
  std::vector<std::string> names = e.scalars();
  for (std::size_t v = 0; v < e.vectors().size(); ++v)
    for (std::size_t i = 0; i < e.dimension(v); ++i)
      names.push_back(e.vectors()[v] + "[" + std::to_string(i) + "]");
  return names;
}

}  // namespace tapegrad::cli
