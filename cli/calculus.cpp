#include "calculus.hpp"

#include <algorithm>
#include <fstream>
#include <iostream>

#include "../autodiff/scalar/graphviz.hpp"
#include "../autodiff/scalar/tape.hpp"

namespace tapegrad::cli {

namespace {

// Reads at most max_length + 1 bytes: enough to refuse a longer expression by its length.
std::string read_expression(std::istream& in, const std::string& from) {
  std::string text(Expression::max_length + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) throw UsageError("cannot read the expression from " + from);
  text.resize(static_cast<std::size_t>(in.gcount()));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace

std::string expression_text(const std::string& argument) {
  if (argument == "-") return read_expression(std::cin, "standard input");
  if (!argument.empty() && argument[0] == '@') {
    const std::string path = argument.substr(1);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError("cannot open the expression file '" + path + "'");
    return read_expression(in, "'" + path + "'");
  }
  return argument;
}

Expression compile(const std::string& text, const std::map<std::string, std::size_t>& dimensions) {
  try {
    return Expression::parse(text, dimensions);
  } catch (const SyntaxError& e) {
    throw ExpressionError(std::string("syntax error: ").append(e.message()), text, e.column());
  }
}

double checked_value(const Expression& e, const Point& point) {
  try {
    return Evaluator<double>()(e, point.inputs(), true);
  } catch (const DomainError& d) {
    throw ExpressionError(d.what(), e.text(), d.column());
  }
}

TapePoint::TapePoint(const Point& shape) : scalars_(shape.scalars.size()) {
  for (const std::vector<double>& v : shape.vectors) vectors_.emplace_back(v.size());
}

void TapePoint::assign(const Point& point) {
  std::copy(point.scalars.begin(), point.scalars.end(), scalars_.begin());
  for (std::size_t v = 0; v < vectors_.size(); ++v)
    std::copy(point.vectors[v].begin(), point.vectors[v].end(), vectors_[v].begin());
}

void TapePoint::assign(std::span<const Var> flat) {
  std::size_t k = 0;
  for (Var& s : scalars_) s = flat[k++];
  for (std::vector<Var>& v : vectors_)
    for (Var& entry : v) entry = flat[k++];
}

std::vector<double> TapePoint::adjoints() const {
  std::vector<double> out;
  for (const Var& s : scalars_) out.push_back(s.adjoint());
  for (const std::vector<Var>& v : vectors_)
    for (const Var& entry : v) out.push_back(entry.adjoint());
  return out;
}

ValueAndGradient value_and_gradient(const Expression& e, const Point& point) {
  return value_and_gradient(e, point, nullptr);
}

ValueAndGradient value_and_gradient(const Expression& e, const Point& point, std::string* dot) {
  ValueAndGradient out;
  out.value = checked_value(e, point);
  Tape tape({.annotate = dot != nullptr});
  TapePoint vars(point);
  vars.assign(point);
  const Var f = Evaluator<Var>()(e, vars.inputs());
  out.tape_statements = tape.num_nodes();
  out.tape_bytes = tape.bytes_in_use();
  if (f.is_recorded()) {
    tape.backward(f);
    out.gradient = vars.adjoints();
  } else {  // a constant expression has a zero gradient
    out.gradient.assign(point.flat().size(), 0.0);
  }
  if (dot != nullptr) *dot = to_dot(tape);
  return out;
}

ValueGradientHessian value_gradient_hessian(const Expression& e, const Point& point) {
  ValueGradientHessian out;
  checked_value(e, point);
  const std::vector<double> x = point.flat();
  HessianOperator op([&e](std::span<const DualVar> v) { return evaluate_flat(e, v); });
  out.hessian = op.hessian(x);
  // The value and gradient from one more sweep (any direction).
  out.gradient.resize(x.size());
  std::vector<double> direction(x.size(), 0.0), product(x.size());
  out.value = op.hvp(x, direction, out.gradient, product);
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
