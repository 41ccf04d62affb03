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
//            | ('sum' | 'prod') '(' name '=' sum '..' sum ':' sum ')'
//            | ('sum' | 'prod') '(' sum ')' | 'len' '(' name ')'
// Names are variables, the constants pi and e, functions, or the index of an enclosing
// indexed sum; nan and inf (in any case) are refused rather than taken for variables.
//
// Vectors. A variable declared as a vector (a length from --dim or from its value) is
// read as x[index], 0-based; len(x) is its length. sum(i = A..B: body) adds the body
// for every whole number i from A to B inclusive (none when B < A: the sum is 0), and
// prod(i = A..B: body) multiplies them (the empty product is 1). The body may use i as
// a number and in indices (x[i+1], x[2*i], x[len(x)-1-i]), and nest sums over other
// index names (sum(i = 0..len(x)-1: sum(j = 0..i: x[i]*x[j]))). The bounds are whole
// numbers computed from numbers, len(…) and the indices of enclosing sums, never from
// variables. An index computed that way is read without going through the tape; one
// that depends on a variable's value (x[y]) is read from the value. sum(body) and
// prod(body) without an index run over every index of the vectors the body names bare
// (sum(a*b) is a dot product; all must have one length). An index out of range, or not
// a whole number, is an error at evaluation naming the vector, the index and the
// indices of the sums it is in; the work one evaluation asks (every sum unrolled) is
// bounded by max_evaluation_operations (limits.hpp), refused when parsed.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
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
    Indexed,     // pop an index (a value), push vector variable `slot`'s entry there
    Entry,       // push vector variable `slot`'s entry at `scale` · (the index of the sum at nesting
                 // level `end`) + `constant`: an index affine in one sum's index, or constant
    FormEntry,   // push vector variable `slot`'s entry at index form `count` (Expression::index_forms)
    SumElement,  // push vector variable `slot`'s entry at the index of the sum at nesting level `end`
    IndexValue,  // push the index of the sum at nesting level `slot` as a number
    Apply,       // pop the arguments of operation `function` (functions.hpp), push its result
    Sum,         // sum(body)/prod(body) at nesting level `slot`: run the body up to instruction
                 // `end` for each of `count` indices; push the total
    RangeSum,    // sum(i = A..B: body) at nesting level `slot`: the body up to `end` for each i
                 // of Expression::indexed_sums()[`count`]; push the total
  };
  Op op;
  std::uint8_t function = 0;  // Apply: the operation; Sum, RangeSum: Combine
  std::uint32_t slot = 0;
  std::uint32_t end = 0;
  std::uint32_t count = 0;
  double constant = 0;
  std::uint32_t column = 0;  // 1-based byte column in the text: where a domain error points
  std::int32_t scale = 0;    // Entry

  // How a sum's terms are combined.
  enum Combine : std::uint8_t { Add = 0, Multiply = 1 };
};
static_assert(sizeof(Instruction) == 32, "a long expression is mostly instructions: keep them small");

// An index computed from numbers, len(…) and sum indices alone, evaluated on doubles
// without the tape: scale · (index of the sum at `level`) + offset when `affine` (scale
// 0 for a constant), else the instructions [begin, end) of Expression::index_code()
// (Constant, IndexValue and Apply only).
struct IndexForm {
  bool affine = true;
  std::uint32_t level = 0;
  double scale = 0, offset = 0;  // whole numbers when affine
  std::uint32_t begin = 0, end = 0;
  std::uint32_t column = 0;  // where its text starts
};

// An indexed sum's index name and its bounds (IndexForm numbers).
struct IndexedSum {
  std::string index;
  std::uint32_t lower = 0, upper = 0;
};

class Expression {
 public:
  // The longest text the parser takes: every column fits an Instruction's 32 bits. What a
  // user may give is bounded where it is read (limits.hpp: 10^5 characters on the command
  // line, 256 MiB in a file).
  static constexpr std::size_t max_length = 0xFFFF'FFF0;

  // `vector_dimensions`: the variables that are vectors, with their lengths. Linear in
  // the text's length; refuses, before anything runs, an expression whose evaluation
  // would run more than max_evaluation_operations (limits.hpp) or whose sum bounds are
  // not whole numbers.
  static Expression parse(std::string_view text,
                          const std::map<std::string, std::size_t>& vector_dimensions = {});

  // The variables an expression reads, in the order of their slots. Held behind a shared
  // pointer so that the expressions rebound to one list (rebind()) share the list's.
  struct Variables {
    std::vector<std::string> scalars, vectors;
    std::vector<std::size_t> dimensions;  // of each vector
  };

  // The scalar variables, sorted by name; their values are passed in this order.
  const std::vector<std::string>& scalars() const { return variables_->scalars; }
  // The vector variables used, sorted by name, and their lengths.
  const std::vector<std::string>& vectors() const { return variables_->vectors; }
  std::size_t dimension(std::size_t vector_slot) const { return variables_->dimensions[vector_slot]; }
  const std::vector<Instruction>& program() const { return program_; }
  const std::string& text() const { return text_; }
  // Indices computed without the tape and not affine (FormEntry instructions), and sum
  // bounds, and the code of those that are not affine.
  const std::vector<IndexForm>& index_forms() const { return index_forms_; }
  const std::vector<Instruction>& index_code() const { return index_code_; }
  const std::vector<IndexedSum>& indexed_sums() const { return indexed_sums_; }
  // The value of an index form with the index of the sum at each nesting level in
  // `levels` (at least one entry); `scratch` is reused space for a form kept as code.
  double index_value(const IndexForm& form, const double* levels, std::vector<double>& scratch) const {
    return form.affine ? form.scale * levels[form.level] + form.offset : code_value(form, levels, scratch);
  }
  // A number no other parse() returned (0 for an expression not parsed): what caches of things
  // derived from the program are keyed by (the evaluator's compiled sums), since an
  // expression's address may be another's once it is gone. Copies share it, as they share the
  // program; rebind() keeps it, changing only which slots the program reads.
  std::uint64_t serial() const { return serial_; }
  // How deeply sums nest (0: no sum): the nesting levels are 0 to sum_depth() − 1.
  std::size_t sum_depth() const { return sum_depth_; }
  // Operations one evaluation runs, every sum unrolled.
  double operations() const { return operations_; }

  // The name of an Apply instruction's operation ("exp", "+", "unary -" …).
  static const char* function_name(const Instruction& instruction);

  // Where another expression's variables are, by name: what rebind() reads.
  struct VariableSlots {
    std::unordered_map<std::string, std::uint32_t> scalars, vectors;
  };
  static VariableSlots slots_of(const Expression& all);
  // Makes this expression read its variables at the slots of `all` (whose slots are
  // `slots`, and which mentions every variable of this one, with the same lengths): its
  // variable lists become all's, shared rather than copied (so that rebinding the n parts
  // of a list in n variables costs each part its own variables, not n), and every
  // expression of a list evaluates on one set of inputs, built once, instead of copies
  // picked out by name.
  void rebind(const Expression& all, const VariableSlots& slots);

 private:
  friend class Parser;
  double code_value(const IndexForm& form, const double* levels, std::vector<double>& stack) const;
  static const std::shared_ptr<const Variables>& no_variables();

  std::string text_;
  std::shared_ptr<const Variables> variables_ = no_variables();
  std::vector<Instruction> program_;
  std::vector<IndexForm> index_forms_;
  std::vector<Instruction> index_code_;
  std::vector<IndexedSum> indexed_sums_;
  std::size_t sum_depth_ = 0;
  double operations_ = 0;
  std::uint64_t serial_ = 0;
};

// Why `value` cannot be the lower or upper (`which`) bound of `sum` (not a whole number,
// or beyond 2^53 in size), or "" when it can; `combine` is the sum's Instruction::Combine.
std::string bound_problem(double value, const char* which, const IndexedSum& sum, std::uint8_t combine);

}  // namespace tapegrad::cli
