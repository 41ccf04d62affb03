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
#include "output.hpp"
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
  // The Vars, in Point::flat() order.
  std::vector<Var> flat() const;

 private:
  std::vector<Var> scalars_;
  std::vector<std::vector<Var>> vectors_;
};

struct ValueAndGradient {
  double value = 0;
  std::vector<double> gradient;  // in Point::flat() order
  std::size_t tape_statements = 0;
  std::size_t tape_bytes = 0;       // the recording (Tape::bytes_in_use() before the sweep)
  std::size_t tape_peak_bytes = 0;  // the most the tape held: the recording and the sweep's adjoints
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

// An expression as minimize()'s f, on Vars through one reused TapePoint (no allocation
// per evaluation). Only on Vars: Newton-type methods then take its Hessian-vector
// products from one recording, linearized at each point (optim/minimize.hpp's
// curvature_of), instead of evaluating the expression on Dual numbers for each product.
class ExpressionObjective {
 public:
  ExpressionObjective(const Expression& e, const Point& shape) : e_(&e), vars_(shape) {}
  Var operator()(std::span<const Var> x) {
    vars_.assign(x);
    return Evaluator<Var>()(*e_, vars_.inputs());
  }

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

// The name of flat coordinate k: "x1", or "x[3]" for a vector entry.
std::string coordinate_name(const Expression& e, std::size_t k);
// The same as an EntryName, for print_entries() and write_entries().
EntryName coordinate_name_of(const Expression& e);
// Every flat coordinate's name, for output that lists them all (JSON keyed by name).
std::vector<std::string> coordinate_names(const Expression& e);

// The one rule for derivatives that are not finite, in every command: an infinite or NaN
// derivative is an error (ExpressionError, exit code 2, at the column of the operation
// where it arises), never a number printed as inf or a JSON null. The message names the
// derivative, the point and the reason: "df/dx is infinite at x = 0: sqrt(0) has an
// infinite derivative (sqrt is not differentiable there)". `gradient` in flat order.
void require_finite_gradient(const Expression& e, const Point& point, std::span<const double> gradient);
// The same for second derivatives (d2f/dx dy), after the gradient's.
void require_finite_hessian(const Expression& e, const Point& point, const Eigen::MatrixXd& hessian);
// One of them: d2f/d(coordinate i) d(coordinate j) = h.
void require_finite_second_derivative(const Expression& e, const Point& point, std::size_t i, std::size_t j,
                                      double h);
// Why f or its gradient is not finite at `point` ("sqrt(-0.5) is NaN", "df/dx is
// infinite: …"), and the column; an empty reason when both are finite there.
struct NotFiniteReason {
  std::string reason;
  std::size_t column = 0;
  bool value_is_nan = false;       // f itself is NaN: a step out of f's domain
  bool value_is_negative = false;  // f itself is −infinity: unbounded below
};
NotFiniteReason why_not_finite(const Expression& e, const Point& point);

// Prints "prefix name = value" for each coordinate, every one when there are at most a
// screenful (max_listed_entries); more, the first and last few and the vector's norms,
// all of them going to `out_file` when one is given (written atomically).
inline constexpr std::size_t max_listed_entries = 40;
void print_entries(std::span<const double> values, const EntryName& name, const std::string& prefix,
                   const std::string& out_file);

}  // namespace tapegrad::cli
