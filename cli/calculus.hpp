// What the commands compute from a parsed expression: its value with domain checks,
// and its value and gradient on a tape. Errors carry the expression's text so that
// the program can point at the column.
#pragma once

#include <Eigen/Core>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "../autodiff/scalar/hessian.hpp"
#include "arguments.hpp"
#include "evaluate.hpp"
#include "point.hpp"

namespace tapegrad::cli {

// A syntax or domain error in an expression: the message, the text and the 1-based
// column to point at.
class ExpressionError : public UsageError {
 public:
  ExpressionError(const std::string& message, std::string text, std::size_t column)
      : UsageError(message), text_(std::move(text)), column_(column) {}
  const std::string& text() const { return text_; }
  std::size_t column() const { return column_; }

 private:
  std::string text_;
  std::size_t column_;
};

// The expression an argument names: the argument itself, or "-" for standard input, or
// "@path" for a file's contents (for expressions too long for a command line).
std::string expression_text(const std::string& argument);
Expression compile(const std::string& text, const std::map<std::string, std::size_t>& dimensions = {});

// f(point), throwing ExpressionError at the first operation that leaves the domain.
double checked_value(const Expression& e, const Point& point);

// The Vars an expression reads on the tape, shaped like a Point: one per scalar and
// one per vector entry. Reused across evaluations, so its storage is sized once.
class TapePoint {
 public:
  explicit TapePoint(const Point& shape);
  // New leaves on the active tape holding the point's values.
  void assign(const Point& point);
  // Vars already recorded, in Point::flat() order (minimize's coordinates).
  void assign(std::span<const Var> flat);
  Inputs<Var> inputs() const { return {scalars_, vectors_}; }
  // Each Var's adjoint after a backward sweep, in Point::flat() order.
  std::vector<double> adjoints() const;

 private:
  std::vector<Var> scalars_;
  std::vector<std::vector<Var>> vectors_;
};

struct ValueAndGradient {
  double value = 0;
  std::vector<double> gradient;  // in Point::flat() order
  std::size_t tape_statements = 0;
  std::size_t tape_bytes = 0;
};
ValueAndGradient value_and_gradient(const Expression& e, const Point& point);
// The same, and the recording as Graphviz DOT (each node's expression, value and adjoint;
// autodiff/scalar/graphviz.hpp).
ValueAndGradient value_and_gradient(const Expression& e, const Point& point, std::string* dot);

// e at the flat coordinates x (Point::flat() order: scalars, then vector entries), on
// Vars of any type: what the second-order commands record on Dual Vars.
template <class V>
V evaluate_flat(const Expression& e, std::span<const V> x) {
  std::vector<V> scalars(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(e.scalars().size()));
  std::vector<std::vector<V>> vectors;
  std::size_t k = scalars.size();
  for (std::size_t v = 0; v < e.vectors().size(); ++v) {
    vectors.emplace_back(x.begin() + static_cast<std::ptrdiff_t>(k),
                         x.begin() + static_cast<std::ptrdiff_t>(k + e.dimension(v)));
    k += e.dimension(v);
  }
  return Evaluator<V>()(e, Inputs<V>{scalars, vectors});
}

// An expression as minimize()'s f: on Vars through one reused TapePoint (no allocation
// per evaluation), on Dual Vars (Newton-type methods) through evaluate_flat.
class ExpressionObjective {
 public:
  ExpressionObjective(const Expression& e, const Point& shape) : e_(&e), vars_(shape) {}
  Var operator()(std::span<const Var> x) {
    vars_.assign(x);
    return Evaluator<Var>()(*e_, vars_.inputs());
  }
  DualVar operator()(std::span<const DualVar> x) const { return evaluate_flat(*e_, x); }

 private:
  const Expression* e_;
  TapePoint vars_;
};

struct ValueGradientHessian {
  double value = 0;
  std::vector<double> gradient;  // in Point::flat() order
  Eigen::MatrixXd hessian;       // rows and columns in Point::flat() order
};
// By forward over reverse, after checking the point is inside the domain.
ValueGradientHessian value_gradient_hessian(const Expression& e, const Point& point);

// The name of each flat coordinate: "x1", or "x[3]" for a vector entry.
std::vector<std::string> coordinate_names(const Expression& e);

}  // namespace tapegrad::cli
