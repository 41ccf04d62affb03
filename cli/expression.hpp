// An expression typed as text ("x1^2 + sin(x2) / 3") compiled to a flat program of
// stack instructions, so that one parse evaluates as plain doubles (the function
// alone) or as tape Vars (for the gradient), any number of times. Syntax errors come
// with the 1-based column they were found at, counted in bytes (the program shows it
// in characters). Expressions are ASCII: any other character is refused, named whole
// with its code point and what it may have been meant as ('−' for '-'); a byte-order
// mark (from an expression file) is skipped as white space.
//
// Grammar (usual precedence; ^ is right-associative and binds tighter than unary
// minus, so -x^2 is −(x²)):
//   sum     := product (('+' | '-') product)*
//   product := unary (('*' | '/') unary)*
//   unary   := ('-' | '+') unary | power
//   power   := primary ('^' unary)?
//   primary := number | name | name '(' sum (',' sum)* ')' | name '[' sum ']' | '(' sum ')'
// Names are variables, the constants pi and e, or functions; nan and inf (in any case)
// are refused rather than taken for variables. A variable declared as a
// vector (dimension n) is used as x[i] (0-based) or inside sum(…), which adds its body
// over every index of the vectors it mentions.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../autodiff/support/error.hpp"

namespace tapegrad::cli {

// An error in an expression at a 1-based byte column of its text.
class ColumnError : public Error {
 public:
  ColumnError(std::size_t column, const std::string& message) : Error(message), column_(column) {}
  std::size_t column() const { return column_; }

 private:
  std::size_t column_;
};

// A syntax error, an unknown name, or a wrong number of arguments.
class SyntaxError : public ColumnError {
 public:
  using ColumnError::ColumnError;
};

// One step of the stack program.
struct Instruction {
  enum class Op : std::uint8_t {
    Constant,    // push `constant`
    Scalar,      // push scalar variable `slot`
    Indexed,     // pop an index i, push vector variable `slot`'s entry i
    SumElement,  // push vector variable `slot`'s entry at the innermost sum's index
    Apply,       // pop the arguments of operation `function` (functions.hpp), push its result
    Sum,         // run the body up to instruction `end` for each of `count` indices; push the total
  };
  Op op;
  std::uint8_t function = 0;
  std::uint32_t slot = 0;
  std::uint32_t end = 0;    // Sum: one past the body's last instruction
  std::uint32_t count = 0;  // Sum: how many indices
  double constant = 0;
  std::uint32_t column = 0;  // 1-based byte column in the text: where a domain error points
};

class Expression {
 public:
  // Longer texts are refused: far beyond anything typed, and it bounds the work one
  // expression can ask of the parser.
  static constexpr std::size_t max_length = 100000;

  // `vector_dimensions`: the variables that are vectors, with their lengths.
  static Expression parse(std::string_view text,
                          const std::map<std::string, std::size_t>& vector_dimensions = {});

  // The scalar variables, sorted by name; their values are passed in this order.
  const std::vector<std::string>& scalars() const { return scalars_; }
  // The vector variables used, sorted by name, and their lengths.
  const std::vector<std::string>& vectors() const { return vectors_; }
  std::size_t dimension(std::size_t vector_slot) const { return dimensions_[vector_slot]; }
  const std::vector<Instruction>& program() const { return program_; }
  const std::string& text() const { return text_; }

  // The name of an Apply instruction's operation ("exp", "+", "unary -" …).
  static const char* function_name(const Instruction& instruction);

 private:
  friend class Parser;
  std::string text_;
  std::vector<std::string> scalars_, vectors_;
  std::vector<std::size_t> dimensions_;
  std::vector<Instruction> program_;
};

}  // namespace tapegrad::cli
