#include "calculus.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>

#include "../autodiff/replay/recorded_function.hpp"
#include "../autodiff/scalar/graphviz.hpp"
#include "../autodiff/scalar/tape.hpp"
#include "../autodiff/support/atomic_file.hpp"
#include "limits.hpp"
#include "output.hpp"

namespace tapegrad::cli {

namespace {

// An expression read whole from standard input, refused once it passes the size a file
// may have (a pipe has no size to check first).
std::string read_standard_input() {
  std::string text;
  std::array<char, 1 << 16> buffer;
  while (std::cin.read(buffer.data(), buffer.size()) || std::cin.gcount() > 0) {
    text.append(buffer.data(), static_cast<std::size_t>(std::cin.gcount()));
    if (text.size() > max_input_file_bytes)
      throw UsageError("standard input holds more than the " + bytes_text(max_input_file_bytes) +
                       " an expression read from it may have");
  }
  if (std::cin.bad()) throw UsageError("cannot read the expression from standard input");
  return text;
}

// A text file's last line ends with a line break, which is not part of the expression.
std::string without_final_line_breaks(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace

std::string expression_text(const std::string& argument) {
  if (argument == "-") return without_final_line_breaks(read_standard_input());
  if (!argument.empty() && argument[0] == '@')
    return without_final_line_breaks(read_input_file(argument.substr(1), "the expression file"));
  if (argument.size() > max_argument_expression_length)
    throw ExpressionError("syntax error: the expression is longer than " +
                              std::to_string(max_argument_expression_length) +
                              " characters; give a longer one as @file or on standard input (-)",
                          argument, max_argument_expression_length + 1);
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

std::vector<Var> TapePoint::flat() const {
  std::vector<Var> out(scalars_.begin(), scalars_.end());
  for (const std::vector<Var>& v : vectors_) out.insert(out.end(), v.begin(), v.end());
  return out;
}

namespace {

// For --graph: each input leaf labelled with its name ("x", "x[2]"), every other leaf —
// a number of the expression that the evaluator records as a leaf (an argument of a
// three-argument function, or an expression that is a number alone; other numbers are
// drawn inside the operations that use them) — with its value and "(constant)", so the
// picture tells the variables from the numbers.
void label_leaves(Tape& tape, const std::vector<std::string>& names, const std::vector<Var>& inputs) {
  std::vector<bool> named(tape.num_nodes() + 1, false);
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    tape.annotations().annotate(inputs[k].index(), inputs[k].value(), names[k]);
    named[inputs[k].index()] = true;
  }
  for (std::uint32_t s = 1; s <= tape.num_nodes(); ++s) {
    const std::string* label = tape.annotations().label(s);
    const double* value = tape.annotations().value(s);
    if (named[s] || label == nullptr || value == nullptr || !label->empty() || tape.is_custom(s) ||
        !tape.operand_indices(s).empty())
      continue;
    tape.annotations().annotate(s, *value, number(*value, 6) + " (constant)");
  }
}

}  // namespace

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
  out.tape_peak_bytes = tape.peak_bytes();
  if (dot != nullptr) {
    label_leaves(tape, coordinate_names(e), vars.flat());
    *dot = to_dot(tape);
  }
  return out;
}

ValueGradientHessian value_gradient_hessian(const Expression& e, const Point& point) {
  ValueGradientHessian out;
  checked_value(e, point);
  const std::vector<double> x = point.flat();
  // The expression recorded once and linearized at the point: each of the n columns is then
  // two passes over the recording, where evaluating the expression on Dual numbers for each
  // column ran the interpreter n times.
  RecordedFunction recorded([&e](std::span<const Var> v) { return evaluate_flat(e, v); },
                            std::span<const double>(x));
  out.gradient.resize(x.size());
  out.value = recorded.linearize(x, out.gradient);
  out.hessian = tapegrad::detail::hessian_from_products(
      x.size(),
      [&](std::span<const double> v, std::span<double> column) { recorded.hessian_product(v, column); });
  return out;
}

namespace {

// "x = 0" or "x[3] = 0.5, …" for a message: the point, or its first few coordinates.
std::string point_text(const Expression& e, const Point& point) {
  const std::vector<std::string> names = coordinate_names(e);
  const std::vector<double> x = point.flat();
  std::string text;
  for (std::size_t k = 0; k < names.size() && k < 4; ++k)
    text += (k > 0 ? ", " : "") + names[k] + " = " + number(x[k], 6);
  if (names.size() > 4) text += ", …";
  return text;
}

const char* how_not_finite(double v) { return std::isnan(v) ? "NaN" : "infinite"; }

// The operation where f's derivative along flat coordinate k stops being finite: f
// evaluated on Dual Vars whose tangent is that coordinate's unit vector, with the checks
// on (evaluate.hpp). Empty when no single operation's forward derivative is to blame:
// finite terms that overflow together, or an infinite local derivative that the reverse
// sweep multiplies by 0 (which forward mode, whose tangent there is 0, never forms).
std::optional<DerivativeError> derivative_failure(const Expression& e, const Point& point, std::size_t k) {
  BasicTape<Dual<double>> tape;
  const std::vector<double> x = point.flat();
  std::vector<DualVar> flat(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) flat[i] = Dual<double>(x[i], i == k ? 1.0 : 0.0);
  std::vector<DualVar> scalars(flat.begin(), flat.begin() + static_cast<std::ptrdiff_t>(e.scalars().size()));
  std::vector<std::vector<DualVar>> vectors;
  std::size_t at = scalars.size();
  for (std::size_t v = 0; v < e.vectors().size(); ++v) {
    vectors.emplace_back(flat.begin() + static_cast<std::ptrdiff_t>(at),
                         flat.begin() + static_cast<std::ptrdiff_t>(at + e.dimension(v)));
    at += e.dimension(v);
  }
  try {
    Evaluator<DualVar>()(e, Inputs<DualVar>{scalars, vectors}, true);
  } catch (const DerivativeError& d) {
    return d;
  } catch (const DomainError&) {
  }
  return std::nullopt;
}

// "sqrt(0) has an infinite derivative (sqrt is not differentiable there)" from the
// evaluator's "domain error: sqrt(0) is infinite".
std::string derivative_reason(const DerivativeError& d) {
  std::string text(d.message());
  const std::string prefix = "domain error: ";
  if (text.rfind(prefix, 0) == 0) text = text.substr(prefix.size());
  const std::size_t is = text.rfind(" is ");
  if (is == std::string::npos) return text;
  const std::string call = text.substr(0, is), how = text.substr(is + 4);
  const std::size_t paren = call.find('(');
  const std::string name = paren == std::string::npos || paren == 0 ? "" : call.substr(0, paren);
  return call + (how == "NaN" ? " has no finite derivative" : " has an infinite derivative") +
         (name.empty() ? std::string() : " (" + name + " is not differentiable there)");
}

}  // namespace

void require_finite_gradient(const Expression& e, const Point& point, std::span<const double> gradient) {
  for (std::size_t k = 0; k < gradient.size(); ++k) {
    if (std::isfinite(gradient[k])) continue;
    const std::string what =
        "df/d" + coordinate_name(e, k) + " is " + how_not_finite(gradient[k]) + " at " + point_text(e, point);
    if (const auto failure = derivative_failure(e, point, k))
      throw ExpressionError(what + ": " + derivative_reason(*failure), e.text(), failure->column());
    // Without one operation to blame, the kind says why: a NaN in the reverse sweep is
    // ∞·0 (an operation with an infinite derivative, as sqrt or ^0.5 at 0, whose argument
    // does not move with the coordinate), an infinity is finite factors or terms that
    // overflow together.
    throw ExpressionError(
        what + (std::isnan(gradient[k])
                    ? ": the chain rule meets infinity times 0 there: an operation whose derivative is "
                      "infinite at this point (as sqrt or ^0.5 at 0) has an argument whose own derivative is "
                      "0 (f is not differentiable there)"
                    : ": each operation's derivative is finite, but their product or sum overflows"),
        e.text(), 1);
  }
}

namespace {

// Column j of the Hessian along the direction 2^-600·e_j, scaled back by log10 only: the
// product is linear in the direction, so every tangent of the sweep shrinks by 2^-600 and
// a second derivative that merely exceeds the largest double comes out finite, while a
// pole (an infinite local derivative, or ∞·0) stays infinite or NaN however small the
// direction. Returns log10 of |H(i, j)| when finite that way.
std::optional<double> overflowing_magnitude(const Expression& e, const Point& point, std::size_t i,
                                            std::size_t j) {
  const std::vector<double> x = point.flat();
  HessianOperator op([&e](std::span<const DualVar> v) { return evaluate_flat(e, v); });
  std::vector<double> direction(x.size(), 0.0), gradient(x.size()), product(x.size());
  direction[j] = std::ldexp(1.0, -600);
  op.hvp(x, direction, gradient, product);
  if (!std::isfinite(product[i]) || product[i] == 0) return std::nullopt;
  return std::log10(std::abs(product[i])) + 600 * std::log10(2.0);
}

}  // namespace

void require_finite_second_derivative(const Expression& e, const Point& point, std::size_t i, std::size_t j,
                                      double h) {
  if (std::isfinite(h)) return;
  const std::vector<std::string> names = coordinate_names(e);
  const std::string what =
      "d2f/d" + names[i] + " d" + names[j] + " is " + how_not_finite(h) + " at " + point_text(e, point);
  if (const auto magnitude = overflowing_magnitude(e, point, i, j))
    throw ExpressionError(what + ": it overflows (its size is about 1e" +
                              std::to_string(static_cast<long>(std::floor(*magnitude))) +
                              ", beyond the largest double, 1.8e308); f is twice differentiable there",
                          e.text(), 1);
  throw ExpressionError(what +
                            ": f is not twice differentiable there (a second derivative has a pole, as "
                            "x^1.5 or sqrt has at 0)",
                        e.text(), 1);
}

void require_finite_hessian(const Expression& e, const Point& point, const Eigen::MatrixXd& hessian) {
  for (Eigen::Index i = 0; i < hessian.rows(); ++i)
    for (Eigen::Index j = 0; j < hessian.cols(); ++j)
      require_finite_second_derivative(e, point, static_cast<std::size_t>(i), static_cast<std::size_t>(j),
                                       hessian(i, j));
}

NotFiniteReason why_not_finite(const Expression& e, const Point& point) {
  NotFiniteReason out;
  double value = 0;
  try {
    value = checked_value(e, point);
  } catch (const ExpressionError& d) {
    out.reason = d.message();
    const std::string prefix = "domain error: ";
    if (out.reason.rfind(prefix, 0) == 0) out.reason = out.reason.substr(prefix.size());
    out.column = d.column();
    out.value_is_nan = std::isnan(Evaluator<double>()(e, point.inputs()));
    out.value_is_negative = Evaluator<double>()(e, point.inputs()) == -INFINITY;
    return out;
  }
  out.value_is_negative = value == -INFINITY;
  if (!std::isfinite(value)) {
    out.reason = std::string("f is ") + how_not_finite(value);
    return out;
  }
  try {
    const ValueAndGradient g = value_and_gradient(e, point);
    require_finite_gradient(e, point, g.gradient);
  } catch (const ExpressionError& d) {
    out.reason = d.message();
    out.column = d.column();
  }
  return out;
}

void print_entries(std::span<const double> values, const EntryName& name, const std::string& prefix,
                   const std::string& out_file) {
  if (!out_file.empty()) write_entries(out_file, values, name, prefix);
  if (values.size() <= max_listed_entries) {
    for (std::size_t k = 0; k < values.size(); ++k)
      std::printf("%s%s = %s\n", prefix.c_str(), name(k).c_str(), number(values[k]).c_str());
    return;
  }
  // A screenful: the first and last entries, and what the rest add up to.
  const std::size_t head = 10, tail = 5;
  for (std::size_t k = 0; k < head; ++k)
    std::printf("%s%s = %s\n", prefix.c_str(), name(k).c_str(), number(values[k]).c_str());
  double sum_of_squares = 0, largest = 0;
  for (const double v : values) {
    sum_of_squares += v * v;
    largest = std::max(largest, std::abs(v));
  }
  std::printf("… %zu more (of %zu: 2-norm %s, largest magnitude %s)%s\n", values.size() - head - tail,
              values.size(), number(std::sqrt(sum_of_squares)).c_str(), number(largest).c_str(),
              out_file.empty() ? "; --out FILE writes every entry" : "");
  for (std::size_t k = values.size() - tail; k < values.size(); ++k)
    std::printf("%s%s = %s\n", prefix.c_str(), name(k).c_str(), number(values[k]).c_str());
}

std::string coordinate_name(const Expression& e, std::size_t k) {
  if (k < e.scalars().size()) return e.scalars()[k];
  k -= e.scalars().size();
  for (std::size_t v = 0; v < e.vectors().size(); ++v) {
    if (k < e.dimension(v)) return e.vectors()[v] + "[" + std::to_string(k) + "]";
    k -= e.dimension(v);
  }
  throw Error("coordinate_name: coordinate ", k, " past the expression's last");
}

EntryName coordinate_name_of(const Expression& e) {
  return [&e](std::size_t k) { return coordinate_name(e, k); };
}

std::vector<std::string> coordinate_names(const Expression& e) {
  std::vector<std::string> names = e.scalars();
  for (std::size_t v = 0; v < e.vectors().size(); ++v)
    for (std::size_t i = 0; i < e.dimension(v); ++i)
      names.push_back(e.vectors()[v] + "[" + std::to_string(i) + "]");
  return names;
}

}  // namespace tapegrad::cli
