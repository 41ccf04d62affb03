// What the commands compute from a parsed expression: its value with domain checks,
// and its value and gradient on a tape. Errors carry the expression's text so that
// the program can point at the column.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "arguments.hpp"
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

// The name of each flat coordinate: "x1", or "x[3]" for a vector entry.
std::vector<std::string> coordinate_names(const Expression& e);

}  // namespace tapegrad::cli
