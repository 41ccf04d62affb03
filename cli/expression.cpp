#include "expression.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <optional>
#include <unordered_map>

#include "../autodiff/support/utf8.hpp"
#include "arguments.hpp"
#include "expression_messages.hpp"
#include "functions.hpp"
#include "limits.hpp"

namespace tapegrad::cli {
namespace {

// The operation a function name calls, if any: one hash lookup per name, so that a long
// expression costs the same per name whatever the number of functions.
std::optional<std::uint8_t> operation_called(std::string_view name) {
  static const std::unordered_map<std::string_view, std::uint8_t> by_name = [] {
    std::unordered_map<std::string_view, std::uint8_t> names;
    for (std::size_t k = 0; k < operation_table.size(); ++k)
      if (operation_table[k].called_by_name)
        names.emplace(operation_table[k].name, static_cast<std::uint8_t>(k));
    return names;
  }();
  const auto it = by_name.find(name);
  if (it == by_name.end()) return std::nullopt;
  return it->second;
}

// The words of the language itself that call like functions.
bool is_language_word(std::string_view name) { return name == "sum" || name == "prod" || name == "len"; }

constexpr int max_depth = 200;  // nesting of parentheses and calls; deeper is refused, not a stack overflow

// The character classes of the grammar, ASCII alone: what <cctype> says in the C locale,
// without a library call per character (which was a sixth of the time of a long parse).
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }
bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// "2.5", "1e+300": a number as messages show it.
std::string shown_number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

// Integers up to this size are exact doubles: indices and bounds stay below it.
constexpr double exact_integer_limit = 9007199254740992.0;  // 2^53

bool is_exact_integer(double v) { return v == std::floor(v) && std::abs(v) <= exact_integer_limit; }

// nan, inf and infinity in any case: words for numbers an expression never computes with.
bool names_a_non_finite_number(std::string_view name) {
  if (name.size() > 8) return false;
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "nan" || lower == "inf" || lower == "infinity";
}

}  // namespace

std::string bound_problem(double value, const char* which, const IndexedSum& sum, std::uint8_t combine) {
  if (std::isfinite(value) && is_exact_integer(value)) return {};
  std::string text = std::string("the ") + which + " bound " + shown_number(value) + " of " +
                     (combine == Instruction::Multiply ? "prod" : "sum") + "(" + sum.index + " = …)";
  if (std::isfinite(value) && value == std::floor(value))
    return text + " is too large: bounds are whole numbers of at most 2^53 in size";
  return text + " is not a whole number";
}

class Parser {
 public:
  Parser(std::string_view text, const std::map<std::string, std::size_t>& dimensions)
      : text_(text), dimensions_(dimensions) {}

  Expression parse() {
    expression_.text_ = std::string(text_);
    refuse_other_characters();
    skip_space();
    if (at_end()) throw SyntaxError(1, "the expression is empty");
    parse_sum(0);
    if (!at_end()) {
      const char c = text_[pos_];
      throw SyntaxError(column(), c == ')'
                                      ? "')' without a matching '('"
                                      : "unexpected '" + std::string(1, c) + "' after a complete expression");
    }
    refuse_indices_that_are_variables();
    // Variables are numbered in name order, so values can be given in a stable order.
    renumber();
    count_operations();
    return std::move(expression_);
  }

 private:
  // An index expression as scale · (index at `level`) + offset while it is one
  // (`linear`); a constant has scale 0.
  struct Linear {
    bool linear = false;
    bool indexed = false;
    std::uint32_t level = 0;
    double scale = 0, offset = 0;
  };

  // Columns count bytes (1-based), so that a command that parses pieces of a longer
  // text can add the piece's offset; the program turns them into characters to show
  // them. Every character the grammar knows is one ASCII byte.
  std::uint32_t column() const { return static_cast<std::uint32_t>(pos_ + 1); }
  // A column as a message shows it: in characters, as the program reports columns. It
  // counts the text up to the column, so it is computed only for a message that is
  // thrown (a closing bracket's message built eagerly made parsing quadratic).
  std::string shown_column(std::uint32_t byte_column) const {
    // A leading byte-order mark is not shown by an editor, so it is not counted.
    return std::to_string(tapegrad::detail::character_column(text_, byte_column));
  }

  // Nothing outside printable ASCII (and white space) has a place in the grammar, so
  // the first such character is the error, named whole, before any other: this also
  // keeps every column before it a column of one-byte characters.
  void refuse_other_characters() const {
    for (std::size_t k = 0; k < text_.size(); ++k) {
      if (at_bom(k)) {
        k += tapegrad::detail::utf8_bom.size() - 1;
        continue;
      }
      const auto u = static_cast<unsigned char>(text_[k]);
      if (u >= 0x80 || ((u < 0x20 || u == 0x7F) && !is_space(text_[k])))
        throw SyntaxError(static_cast<std::uint32_t>(k + 1), unexpected_character(text_.substr(k)));
    }
  }
  bool at_end() const { return pos_ >= text_.size(); }
  // A byte-order mark (an expression file saved by some editors; a command that joins
  // pieces of such a file moves it inside) is skipped like a space, so that columns
  // still count from the start of the text as given.
  bool at_bom(std::size_t k) const {
    return text_[k] == tapegrad::detail::utf8_bom[0] &&
           text_.substr(k, tapegrad::detail::utf8_bom.size()) == tapegrad::detail::utf8_bom;
  }
  void skip_space() {
    while (!at_end()) {
      if (is_space(text_[pos_]))
        ++pos_;
      else if (at_bom(pos_))
        pos_ += tapegrad::detail::utf8_bom.size();
      else
        break;
    }
  }
  bool accept(char c) {
    skip_space();
    if (!at_end() && text_[pos_] == c) {
      ++pos_;
      skip_space();
      return true;
    }
    return false;
  }
  // What stands at the current position, for a message: "'x'" or "the end".
  std::string found() const {
    if (at_end()) return "the end";
    std::string shown = "'";
    shown += text_[pos_];
    return shown + "'";
  }
  // `context()` words where c was expected; it is called only when c is missing.
  template <class Context>
  void expect(char c, const Context& context) {
    if (!accept(c))
      throw SyntaxError(column(), "expected '" + std::string(1, c) + "' " + context() + ", found " + found());
  }
  void deeper(int depth) const {
    if (depth > max_depth)
      throw SyntaxError(column(), "nested more than " + std::to_string(max_depth) + " levels deep");
  }

  // Every instruction is at least one operation of an evaluation: a program longer than
  // an evaluation may run is refused as it grows, before it takes the memory.
  void push(const Instruction& instruction) {
    if (expression_.program_.size() >= static_cast<std::size_t>(max_evaluation_operations))
      throw SyntaxError(instruction.column, "the expression has more than " +
                                                limit_text(max_evaluation_operations) + " operations");
    expression_.program_.push_back(instruction);
  }
  // An instruction that reads a variable or runs a sum: what an index computed without
  // the tape may not contain (see parse_index).
  void push_reading(const Instruction& instruction) {
    push(instruction);
    ++reading_;
  }
  void emit(std::uint8_t operation, std::uint32_t col) {
    push({Instruction::Op::Apply, operation, 0, 0, 0, 0, col});
  }

  void parse_sum(int depth) {
    deeper(depth);
    parse_product(depth);
    while (true) {
      skip_space();
      const std::uint32_t col = column();
      if (accept('+')) {
        parse_product(depth);
        emit(operation_index<rules::Add>(), col);
      } else if (accept('-')) {
        parse_product(depth);
        emit(operation_index<rules::Sub>(), col);
      } else {
        return;
      }
    }
  }

  void parse_product(int depth) {
    parse_unary(depth);
    while (true) {
      skip_space();
      const std::uint32_t col = column();
      if (accept('*')) {
        parse_unary(depth);
        emit(operation_index<rules::Mul>(), col);
      } else if (accept('/')) {
        parse_unary(depth);
        emit(operation_index<rules::Div>(), col);
      } else {
        return;
      }
    }
  }

  void parse_unary(int depth) {
    deeper(depth);
    skip_space();
    const std::uint32_t col = column();
    if (accept('-')) {
      parse_unary(depth + 1);
      emit(operation_index<rules::Neg>(), col);
    } else if (accept('+')) {
      parse_unary(depth + 1);
    } else {
      parse_power(depth);
    }
  }

  void parse_power(int depth) {
    parse_primary(depth);
    skip_space();
    const std::uint32_t col = column();
    if (accept('^')) {
      const std::size_t exponent_begin = expression_.program_.size();
      parse_unary(depth + 1);  // right-associative: a^b^c = a^(b^c); 2^-1 is allowed
      // x^2 by the square rule: the same value and x-derivative (2x), without a pow in the
      // value and a pow and a log in the partials of every evaluation (the general rule's
      // partial in the exponent, which a constant exponent never uses).
      const std::vector<Instruction>& program = expression_.program_;
      if (program.size() == exponent_begin + 1 && program.back().op == Instruction::Op::Constant &&
          program.back().constant == 2) {
        expression_.program_.pop_back();
        emit(operation_index<rules::Square>(), col);
      } else {
        emit(operation_index<rules::Pow>(), col);
      }
    }
  }

  // A '.' that starts '..', the range of an indexed sum: never part of a number.
  bool at_range_dots(std::size_t k) const {
    return k + 1 < text_.size() && text_[k] == '.' && text_[k + 1] == '.';
  }

  void parse_primary(int depth) {
    skip_space();
    const std::uint32_t col = column();
    if (at_end()) throw SyntaxError(col, "the expression ends where a number, name or '(' should follow");
    const char c = text_[pos_];
    if (accept('(')) {
      parse_sum(depth + 1);
      expect(')', [&] { return "to close the '(' at column " + shown_column(col); });
      return;
    }
    if (is_digit(c) || (c == '.' && !at_range_dots(pos_))) return parse_number(col);
    if (is_name_start(c)) return parse_name(col, depth);
    if (c == '*' && pos_ > 0 && text_[pos_ - 1] == '*')
      throw SyntaxError(col - 1, "'**' is not an operator: powers are written with ^ (x^2)");
    throw SyntaxError(col, "unexpected '" + std::string(1, c) + "' where a number, name or '(' should be");
  }

  void parse_number(std::uint32_t col) {
    const std::size_t start = pos_;
    while (!at_end() && (is_digit(text_[pos_]) || (text_[pos_] == '.' && !at_range_dots(pos_)))) ++pos_;
    if (!at_end() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      std::size_t p = pos_ + 1;
      if (p < text_.size() && (text_[p] == '+' || text_[p] == '-')) ++p;
      if (p < text_.size() && is_digit(text_[p])) {
        pos_ = p;
        while (!at_end() && is_digit(text_[pos_])) ++pos_;
      }
    }
    const std::string_view literal = text_.substr(start, pos_ - start);
    double value = 0;
    const auto [end, error] = std::from_chars(literal.data(), literal.data() + literal.size(), value);
    if (end != literal.data() + literal.size() ||
        (error != std::errc() && error != std::errc::result_out_of_range))
      throw SyntaxError(col, "'" + std::string(literal) + "' is not a number");
    if (error == std::errc::result_out_of_range || !std::isfinite(value))
      throw SyntaxError(col, "the number " + std::string(literal) + " is out of range of a double");
    if (!at_end() && is_name_start(text_[pos_]))
      throw SyntaxError(column(), "a name cannot follow a number directly (write 2*x, not 2x)");
    push({Instruction::Op::Constant, 0, 0, 0, 0, value, col});
  }

  std::string scan_name() {
    const std::size_t start = pos_;
    while (!at_end() && is_name_char(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  void parse_name(std::uint32_t col, int depth) {
    const std::string name = scan_name();
    skip_space();
    if (!at_end() && text_[pos_] == '(') return parse_call(name, col, depth);
    if (!at_end() && text_[pos_] == '[') return parse_index(name, col, depth);
    if (const auto index = index_levels_.find(name); index != index_levels_.end()) {
      push({Instruction::Op::IndexValue, 0, index->second, 0, 0, 0, col});
      return;
    }
    if (names_a_non_finite_number(name))
      throw SyntaxError(col, "'" + name + "' is not allowed: expressions compute with finite numbers only");
    if (name == "pi" || name == "e") {
      const double value = name == "pi" ? std::numbers::pi : std::numbers::e;
      push({Instruction::Op::Constant, 0, 0, 0, 0, value, col});
      return;
    }
    if (is_function(name))
      throw SyntaxError(col, "the function " + name + " needs its arguments in parentheses");
    if (dimensions_.count(name)) {
      if (whole_sums_.empty())
        throw SyntaxError(col, name + " is a vector: use " + name + "[i] or sum(…) around it");
      note_vector(name, col);
      push_reading(
          {Instruction::Op::SumElement, 0, slot_of(name, true), whole_sums_.back().level, 0, 0, col});
      return;
    }
    push_reading({Instruction::Op::Scalar, 0, slot_of(name, false), 0, 0, 0, col});
  }

  bool is_function(const std::string& name) const {
    return is_language_word(name) || operation_called(name).has_value();
  }

  void parse_call(const std::string& name, std::uint32_t col, int depth) {
    const std::uint32_t open = column();
    accept('(');  // the caller saw it
    if (name == "sum" || name == "prod") return parse_sum_call(name, col, open, depth);
    if (name == "len") return parse_len(col);
    std::size_t arguments = 0;
    if (!accept(')')) {
      do {
        parse_sum(depth + 1);
        ++arguments;
      } while (accept(','));
      expect(')', [&] { return "to close the '(' of " + name + " at column " + shown_column(open); });
    }
    if (const auto op = operation_called(name)) {
      const std::size_t arity = operation_table[*op].arity;
      if (arguments != arity)
        throw SyntaxError(col, name + " takes " + std::to_string(arity) + " argument" +
                                   (arity == 1 ? "" : "s") + ", not " + std::to_string(arguments));
      return emit(*op, col);
    }
    std::vector<std::string> names{"sum", "prod", "len"};
    for (const OperationInfo& op : operation_table)
      if (op.called_by_name) names.emplace_back(op.name);
    if (const std::string near = closest_name(name, names); !near.empty())
      throw SyntaxError(
          col, "unknown function '" + name + "': did you mean " + near + "? (tapegrad functions lists them)");
    throw SyntaxError(col, "unknown function '" + name + "' (known: " + known_functions() + ")");
  }

  // len(x): the length of the vector x, a number known when the expression is parsed.
  void parse_len(std::uint32_t col) {
    const std::uint32_t at = column();
    const std::string name = at_end() || !is_name_start(text_[pos_]) ? std::string() : scan_name();
    if (name.empty()) throw SyntaxError(at, "len takes the name of a vector: len(x)");
    expect(')', [] { return std::string("after the vector's name in len(…), which takes a name alone"); });
    const auto it = dimensions_.find(name);
    if (it == dimensions_.end())
      throw SyntaxError(at, name + " is not a vector (give its length with --dim " + name +
                                "=N or its values as a list in --at)");
    slot_of(name, true);  // a variable of the expression, even if only its length is read
    push({Instruction::Op::Constant, 0, 0, 0, 0, static_cast<double>(it->second), col});
  }

  // sum(…) or prod(…), after its '(': indexed when it begins with "name =".
  void parse_sum_call(const std::string& word, std::uint32_t col, std::uint32_t open, int depth) {
    const std::uint8_t combine = word == "prod" ? Instruction::Multiply : Instruction::Add;
    std::size_t k = pos_;
    if (k < text_.size() && is_name_start(text_[k])) {
      while (k < text_.size() && is_name_char(text_[k])) ++k;
      while (k < text_.size() && is_space(text_[k])) ++k;
      if (k < text_.size() && text_[k] == '=') return parse_indexed_sum(word, combine, col, open, depth);
    }
    parse_whole_sum(word, combine, col, open, depth);
  }

  // sum(body): the body runs once per index of the vectors it names bare, which must all
  // have one length.
  void parse_whole_sum(const std::string& word, std::uint8_t combine, std::uint32_t col, std::uint32_t open,
                       int depth) {
    const std::size_t at = expression_.program_.size();
    const std::uint32_t level = open_sum(no_indexed_sum);
    push_reading({Instruction::Op::Sum, combine, level, 0, 0, 0, col});
    whole_sums_.push_back({level, 0});
    parse_sum(depth + 1);
    expect(')', [&] { return "to close the '(' of " + word + " at column " + shown_column(open); });
    const std::size_t length = whole_sums_.back().length;
    if (length == 0)
      throw SyntaxError(col, word +
                                 "(…) must mention a vector variable (its length from --dim or a list in "
                                 "--at), or name an index: " +
                                 word + "(i = 0..9: …)");
    Instruction& sum = expression_.program_[at];
    sum.end = static_cast<std::uint32_t>(expression_.program_.size());
    sum.count = static_cast<std::uint32_t>(length);
    whole_sums_.pop_back();
    close_sum();
  }

  // sum(i = A..B: body): the body once for each whole number i from A to B.
  void parse_indexed_sum(const std::string& word, std::uint8_t combine, std::uint32_t col, std::uint32_t open,
                         int depth) {
    const std::uint32_t name_column = column();
    const std::string index = scan_name();
    refuse_as_index(index, word, name_column);
    accept('=');  // parse_sum_call saw it
    const std::uint32_t lower = parse_bound(depth, "lower", word, index);
    skip_space();
    if (!at_range_dots(pos_))
      throw SyntaxError(column(), "expected '..' between the bounds of " + word + "(" + index +
                                      " = A..B: …), found " + found());
    pos_ += 2;
    const std::uint32_t upper = parse_bound(depth, "upper", word, index);
    expect(':', [&] { return "after the bounds of " + word + "(" + index + " = A..B: …)"; });

    const auto id = static_cast<std::uint32_t>(expression_.indexed_sums_.size());
    expression_.indexed_sums_.push_back({index, lower, upper});
    bounds_vary_.push_back(false);
    // The sums whose indices these bounds read: their terms differ in work, so that the
    // count of operations (count_operations) goes through them index by index.
    for (const std::uint32_t form : {lower, upper})
      for_each_level_read(expression_.index_forms_[form], [&](std::uint32_t level) {
        if (open_indexed_[level] != no_indexed_sum) bounds_vary_[open_indexed_[level]] = true;
      });

    const std::size_t at = expression_.program_.size();
    const std::uint32_t level = open_sum(id);
    index_levels_.emplace(index, level);
    push_reading({Instruction::Op::RangeSum, combine, level, 0, id, 0, col});
    parse_sum(depth + 1);
    expect(')', [&] { return "to close the '(' of " + word + " at column " + shown_column(open); });
    expression_.program_[at].end = static_cast<std::uint32_t>(expression_.program_.size());
    index_levels_.erase(index);
    close_sum();
  }

  void refuse_as_index(const std::string& index, const std::string& word, std::uint32_t col) {
    const std::string as_index = "; the index of " + word + "(…) needs a name of its own";
    if (names_a_non_finite_number(index) || index == "pi" || index == "e")
      throw SyntaxError(col, index + " is a number's name" + as_index);
    if (is_function(index)) throw SyntaxError(col, index + " is a function" + as_index);
    if (dimensions_.count(index)) throw SyntaxError(col, index + " is a vector variable" + as_index);
    if (index_levels_.count(index))
      throw SyntaxError(col, index + " is already the index of an enclosing sum" + as_index);
    indices_declared_.emplace_back(index, col);
  }

  // A bound of an indexed sum: computed from numbers, len(…) and enclosing indices alone.
  std::uint32_t parse_bound(int depth, const char* which, const std::string& word, const std::string& index) {
    skip_space();
    const std::uint32_t col = column();
    const std::size_t start = expression_.program_.size();
    const std::size_t reading = reading_;
    parse_sum(depth + 1);
    if (reading_ != reading)
      throw SyntaxError(col, std::string("the ") + which + " bound of " + word + "(" + index +
                                 " = …) may use numbers, len(…) and the indices of enclosing sums, not the "
                                 "value of a variable");
    return add_form(take_form(start, col));
  }

  std::uint32_t open_sum(std::uint32_t indexed_sum) {
    const auto level = static_cast<std::uint32_t>(open_indexed_.size());
    open_indexed_.push_back(indexed_sum);
    expression_.sum_depth_ = std::max(expression_.sum_depth_, open_indexed_.size());
    return level;
  }
  void close_sum() { open_indexed_.pop_back(); }

  // x[index]. An index computed from numbers, len(…) and sum indices alone (x[i+1]) is
  // computed without the tape: held by an Entry instruction when affine in one index,
  // else an IndexForm's code; one that reads a variable's value (x[y]) is computed on
  // the evaluator's stack like any value and read from there.
  void parse_index(const std::string& name, std::uint32_t col, int depth) {
    if (!dimensions_.count(name))
      throw SyntaxError(col, name + " is not a vector (declare it with --dim " + name +
                                 "=N, or give its values as a list in --at, to index it)");
    const std::uint32_t open = column();
    accept('[');  // the caller saw it
    const std::uint32_t index_column = column();
    const std::size_t start = expression_.program_.size();
    const std::size_t reading = reading_;
    parse_sum(depth + 1);
    expect(']', [&] { return "to close the '[' at column " + shown_column(open); });
    const std::uint32_t slot = slot_of(name, true);
    if (reading_ != reading) return push_reading({Instruction::Op::Indexed, 0, slot, 0, 0, 0, col});
    // Affine in one index (x[i+1], x[2*i], x[3]): held by the instruction itself.
    const IndexForm form = take_form(start, index_column);
    if (form.affine && std::abs(form.scale) <= std::numeric_limits<std::int32_t>::max())
      push_reading({Instruction::Op::Entry, 0, slot, form.level, 0, form.offset, col,
                    static_cast<std::int32_t>(form.scale)});
    else
      push_reading({Instruction::Op::FormEntry, 0, slot, 0, add_form(form), 0, col});
  }

  // The instructions from `start` to the end of the program (numbers, sum indices and
  // operations on them) taken out of it as an IndexForm: affine in one index when they
  // are, else kept as code.
  IndexForm take_form(std::size_t start, std::uint32_t col) {
    std::vector<Instruction>& program = expression_.program_;
    IndexForm form;
    form.column = col;
    const Linear linear = as_linear(start);
    if (linear.linear && is_exact_integer(linear.scale) && is_exact_integer(linear.offset)) {
      form.level = linear.indexed ? linear.level : 0;
      form.scale = linear.indexed ? linear.scale : 0;
      form.offset = linear.offset;
    } else {
      form.affine = false;
      std::vector<Instruction>& code = expression_.index_code_;
      form.begin = static_cast<std::uint32_t>(code.size());
      code.insert(code.end(), program.begin() + static_cast<std::ptrdiff_t>(start), program.end());
      form.end = static_cast<std::uint32_t>(code.size());
    }
    program.resize(start);
    return form;
  }
  std::uint32_t add_form(const IndexForm& form) {
    expression_.index_forms_.push_back(form);
    return static_cast<std::uint32_t>(expression_.index_forms_.size() - 1);
  }

  // The instructions from `start` on, run on affine forms: constants folded as the
  // evaluator would compute them, + − × and negation of forms in one index kept affine.
  Linear as_linear(std::size_t start) {
    std::vector<Linear>& stack = linear_stack_;
    stack.clear();
    const std::vector<Instruction>& program = expression_.program_;
    for (std::size_t k = start; k < program.size(); ++k) {
      const Instruction& i = program[k];
      if (i.op == Instruction::Op::Constant) {
        stack.push_back({true, false, 0, 0, i.constant});
        continue;
      }
      if (i.op == Instruction::Op::IndexValue) {
        stack.push_back({true, true, i.slot, 1, 0});
        continue;
      }
      const std::size_t arity = operation_table[i.function].arity;
      const Linear* a = stack.data() + stack.size() - arity;
      bool linear = true, indexed = false;
      for (std::size_t k2 = 0; k2 < arity; ++k2) {
        linear = linear && a[k2].linear;
        indexed = indexed || a[k2].indexed;
      }
      Linear r;
      if (linear && !indexed) {
        std::array<double, max_arity> values{};
        for (std::size_t k2 = 0; k2 < arity; ++k2) values[k2] = a[k2].offset;
        r = {true, false, 0, 0, apply<double>(i.function, values.data())};
      } else if (linear) {
        const Linear& x = a[0];
        const Linear& y = a[arity - 1];
        const std::uint32_t level = x.indexed ? x.level : y.level;
        if (i.function == operation_index<rules::Add>() || i.function == operation_index<rules::Sub>()) {
          const double sign = i.function == operation_index<rules::Sub>() ? -1 : 1;
          if (!(x.indexed && y.indexed && x.level != y.level))
            r = {true, true, level, x.scale + sign * y.scale, x.offset + sign * y.offset};
        } else if (i.function == operation_index<rules::Mul>()) {
          if (!x.indexed) r = {true, true, level, x.offset * y.scale, x.offset * y.offset};
          if (!y.indexed) r = {true, true, level, y.offset * x.scale, y.offset * x.offset};
        } else if (i.function == operation_index<rules::Neg>()) {
          r = {true, true, level, -x.scale, -x.offset};
        }
        // Beyond 2^53 the coefficients would round where the evaluator's order does not.
        if (!(std::abs(r.scale) <= exact_integer_limit && std::abs(r.offset) <= exact_integer_limit))
          r.linear = false;
        if (r.scale == 0) r.indexed = false;
      }
      stack.resize(stack.size() - arity);
      stack.push_back(r);
    }
    return stack.back();
  }

  // Calls f with each nesting level whose index `form` reads.
  template <class F>
  void for_each_level_read(const IndexForm& form, const F& f) const {
    if (form.affine) {
      if (form.scale != 0) f(form.level);
      return;
    }
    for (std::uint32_t k = form.begin; k < form.end; ++k)
      if (expression_.index_code_[k].op == Instruction::Op::IndexValue) f(expression_.index_code_[k].slot);
  }

  void note_vector(const std::string& name, std::uint32_t col) {
    const std::size_t n = dimensions_.at(name);
    std::size_t& length = whole_sums_.back().length;
    if (length != 0 && length != n)
      throw SyntaxError(col, name + " has length " + std::to_string(n) + ", another vector in this sum has " +
                                 std::to_string(length));
    length = n;
  }

  // Slots are given in order of first use here and renumbered by name at the end.
  std::uint32_t slot_of(const std::string& name, bool vector) {
    std::unordered_map<std::string, std::uint32_t>& slots = vector ? vector_slots_ : scalar_slots_;
    std::vector<std::string>& names = vector ? variables_.vectors : variables_.scalars;
    const auto [it, added] = slots.try_emplace(name, static_cast<std::uint32_t>(names.size()));
    if (added) names.push_back(name);
    return it->second;
  }

  // An index name used as a variable outside its sum reads as two things: refused.
  void refuse_indices_that_are_variables() const {
    for (const auto& [index, col] : indices_declared_)
      if (scalar_slots_.count(index))
        throw SyntaxError(col,
                          index + " is the index of this sum and a variable outside it: rename one of them");
  }

  void renumber() {
    const auto sorted_slots = [](std::vector<std::string>& names) {
      std::vector<std::uint32_t> order(names.size());
      for (std::size_t k = 0; k < order.size(); ++k) order[k] = static_cast<std::uint32_t>(k);
      std::sort(order.begin(), order.end(),
                [&](std::uint32_t a, std::uint32_t b) { return names[a] < names[b]; });
      std::vector<std::uint32_t> new_slot(names.size());
      std::vector<std::string> sorted;
      sorted.reserve(names.size());
      for (std::size_t k = 0; k < order.size(); ++k) {
        new_slot[order[k]] = static_cast<std::uint32_t>(k);
        sorted.push_back(std::move(names[order[k]]));
      }
      names = std::move(sorted);
      return new_slot;
    };
    const std::vector<std::uint32_t> scalar_slot = sorted_slots(variables_.scalars);
    const std::vector<std::uint32_t> vector_slot = sorted_slots(variables_.vectors);
    for (Instruction& i : expression_.program_) {
      if (i.op == Instruction::Op::Scalar) i.slot = scalar_slot[i.slot];
      if (i.op == Instruction::Op::Indexed || i.op == Instruction::Op::Entry ||
          i.op == Instruction::Op::FormEntry || i.op == Instruction::Op::SumElement)
        i.slot = vector_slot[i.slot];
    }
    for (const std::string& v : variables_.vectors) variables_.dimensions.push_back(dimensions_.at(v));
    expression_.variables_ = std::make_shared<const Expression::Variables>(std::move(variables_));
  }

  // The operations one evaluation runs, every sum unrolled, refused past the limit before
  // anything runs; checks every bound on the way. A sum whose terms all take the same
  // work is counted as its length times one term; one whose nested bounds read its index
  // term by term, which stops as soon as the count passes the limit.
  void count_operations() {
    const std::size_t levels = std::max<std::size_t>(1, expression_.sum_depth_);
    levels_.assign(levels, 0.0);
    running_.assign(levels, 0);
    const std::vector<Instruction>& program = expression_.program_;
    double total = 0;
    for (std::size_t k = 0; k < program.size(); ++k) {
      const bool sum = program[k].op == Instruction::Op::Sum || program[k].op == Instruction::Op::RangeSum;
      const std::size_t next = sum ? program[k].end : k + 1;
      total += count(k, next);
      if (total > static_cast<double>(max_evaluation_operations))
        throw SyntaxError(program[k].column,
                          "the expression takes more than " + limit_text(max_evaluation_operations) +
                              " operations to evaluate" +
                              (sum ? " (this sum's terms, with the sums inside them unrolled)" : ""));
      k = next - 1;
    }
    expression_.operations_ = total;
  }

  double count(std::size_t begin, std::size_t end) {
    const std::vector<Instruction>& program = expression_.program_;
    const auto limit = static_cast<double>(max_evaluation_operations);
    double total = 0;
    for (std::size_t k = begin; k < end && total <= limit; ++k) {
      const Instruction& i = program[k];
      if (i.op == Instruction::Op::Sum) {
        running_[i.slot] = static_cast<std::uint32_t>(k);
        total += 1 + static_cast<double>(i.count) * count(k + 1, i.end);
        k = i.end - 1;
      } else if (i.op == Instruction::Op::RangeSum) {
        running_[i.slot] = static_cast<std::uint32_t>(k);
        const double a = bound(i, false), b = bound(i, true);
        total += 1;
        if (b >= a && !bounds_vary_[i.count]) {
          levels_[i.slot] = a;
          total += (b - a + 1) * count(k + 1, i.end);
        } else {
          for (double index = a; index <= b && total <= limit; ++index) {
            levels_[i.slot] = index;
            total += count(k + 1, i.end);
          }
        }
        k = i.end - 1;
      } else {
        total += 1;
      }
    }
    return total;
  }

  // A bound of the indexed sum `sum` with the enclosing sums at the indices of levels_.
  double bound(const Instruction& sum, bool upper) {
    const IndexedSum& s = expression_.indexed_sums_[sum.count];
    const IndexForm& form = expression_.index_forms_[upper ? s.upper : s.lower];
    const double value = expression_.index_value(form, levels_.data(), scratch_);
    if (std::string problem = bound_problem(value, upper ? "upper" : "lower", s, sum.function);
        !problem.empty()) {
      // Where the enclosing sums are, when the bound reads their indices.
      std::string at;
      for (std::uint32_t level = 0; level < sum.slot; ++level) {
        const Instruction& outer = expression_.program_[running_[level]];
        if (outer.op != Instruction::Op::RangeSum) continue;
        at += (at.empty() ? ", at " : ", ") + expression_.indexed_sums_[outer.count].index + " = " +
              shown_number(levels_[level]);
      }
      throw SyntaxError(form.column, problem + at);
    }
    return value;
  }

  static constexpr std::uint32_t no_indexed_sum = 0xFFFF'FFFF;
  struct WholeSum {
    std::uint32_t level;
    std::size_t length;  // of the vectors named bare in it; 0 before the first
  };

  std::string_view text_;
  const std::map<std::string, std::size_t>& dimensions_;
  std::size_t pos_ = 0;
  std::size_t reading_ = 0;  // instructions pushed that read a variable or run a sum
  std::unordered_map<std::string, std::uint32_t> scalar_slots_, vector_slots_;
  std::unordered_map<std::string, std::uint32_t> index_levels_;  // the open sums' index names
  std::vector<std::uint32_t> open_indexed_;                      // per open level: its indexed sum, if any
  std::vector<WholeSum> whole_sums_;                             // the open sum(body)s, innermost last
  std::vector<std::pair<std::string, std::uint32_t>> indices_declared_;
  std::vector<bool> bounds_vary_;  // per indexed sum: a bound inside it reads its index
  std::vector<Linear> linear_stack_;
  std::vector<double> levels_, scratch_;
  std::vector<std::uint32_t> running_;
  Expression::Variables variables_;  // the expression's, until renumber() hands them over
  Expression expression_;
};

Expression Expression::parse(std::string_view text,
                             const std::map<std::string, std::size_t>& vector_dimensions) {
  if (text.size() > max_length)
    throw SyntaxError(1, "the expression is longer than " + std::to_string(max_length) + " characters");
  for (const auto& [name, n] : vector_dimensions)
    if (n == 0) throw Error("the vector " + name + " has length 0");
  Expression e = Parser(text, vector_dimensions).parse();
  static std::atomic<std::uint64_t> parsed{0};
  e.serial_ = parsed.fetch_add(1, std::memory_order_relaxed) + 1;
  return e;
}

double Expression::code_value(const IndexForm& form, const double* levels, std::vector<double>& stack) const {
  stack.clear();
  for (std::uint32_t k = form.begin; k < form.end; ++k) {
    const Instruction& i = index_code_[k];
    if (i.op == Instruction::Op::Constant) {
      stack.push_back(i.constant);
    } else if (i.op == Instruction::Op::IndexValue) {
      stack.push_back(levels[i.slot]);
    } else {
      const std::size_t arity = operation_table[i.function].arity;
      const double result = apply<double>(i.function, stack.data() + stack.size() - arity);
      stack.resize(stack.size() - arity + 1);
      stack.back() = result;
    }
  }
  return stack.back();
}

Expression::VariableSlots Expression::slots_of(const Expression& all) {
  VariableSlots slots;
  const Variables& v = *all.variables_;
  for (std::size_t k = 0; k < v.scalars.size(); ++k) slots.scalars.emplace(v.scalars[k], k);
  for (std::size_t k = 0; k < v.vectors.size(); ++k) slots.vectors.emplace(v.vectors[k], k);
  return slots;
}

void Expression::rebind(const Expression& all, const VariableSlots& slots) {
  auto slot_in = [](const std::unordered_map<std::string, std::uint32_t>& map, const std::string& name) {
    const auto found = map.find(name);
    if (found == map.end()) throw Error("rebind: the variable ", name, " is not in the list's variables");
    return found->second;
  };
  const Variables& own = *variables_;
  std::vector<std::uint32_t> scalar_slot, vector_slot;
  for (const std::string& name : own.scalars) scalar_slot.push_back(slot_in(slots.scalars, name));
  for (std::size_t v = 0; v < own.vectors.size(); ++v) {
    vector_slot.push_back(slot_in(slots.vectors, own.vectors[v]));
    if (all.dimension(vector_slot.back()) != own.dimensions[v])
      throw Error("rebind: ", own.vectors[v], " has length ", own.dimensions[v], " here and ",
                  all.dimension(vector_slot.back()), " in the list");
  }
  for (Instruction& i : program_) {
    if (i.op == Instruction::Op::Scalar) i.slot = scalar_slot[i.slot];
    if (i.op == Instruction::Op::Indexed || i.op == Instruction::Op::Entry ||
        i.op == Instruction::Op::FormEntry || i.op == Instruction::Op::SumElement)
      i.slot = vector_slot[i.slot];
  }
  variables_ = all.variables_;  // shared: O(1) however many variables the list has
}

const std::shared_ptr<const Expression::Variables>& Expression::no_variables() {
  static const std::shared_ptr<const Variables> none = std::make_shared<const Variables>();
  return none;
}

const char* Expression::function_name(const Instruction& instruction) {
  if (instruction.op != Instruction::Op::Apply) return "?";
  if (instruction.function == operation_index<rules::Neg>()) return "unary -";
  return operation_table[instruction.function].name.data();
}

}  // namespace tapegrad::cli

namespace tapegrad::cli::detail {

std::string describe(const Instruction& instruction, std::span<const double> operands, double result) {
  const auto text = [](double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.17g", v);
    return std::string(buffer);
  };
  const std::string name = Expression::function_name(instruction);
  std::string call;
  if (operands.size() == 2 && !operation_table[instruction.function].called_by_name) {
    call = text(operands[0]) + " " + name + " " + text(operands[1]);
  } else if (name == "unary -") {
    call = '-';
    call += text(operands[0]);
  } else {
    call = name + "(";
    for (std::size_t k = 0; k < operands.size(); ++k) {
      if (k > 0) call += ", ";
      call += text(operands[k]);
    }
    call += ")";
  }
  return "domain error: " + call + " is " + (std::isnan(result) ? "NaN" : "infinite");
}

}  // namespace tapegrad::cli::detail
