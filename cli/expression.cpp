#include "expression.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <optional>

#include "../autodiff/support/utf8.hpp"
#include "arguments.hpp"
#include "functions.hpp"

namespace tapegrad::cli {
namespace {

// The operation a function name calls, if any.
std::optional<std::uint8_t> operation_called(std::string_view name) {
  for (std::size_t k = 0; k < operation_table.size(); ++k)
    if (operation_table[k].called_by_name && operation_table[k].name == name)
      return static_cast<std::uint8_t>(k);
  return std::nullopt;
}

constexpr int max_depth = 200;  // nesting of parentheses and calls; deeper is refused, not a stack overflow

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// What a character that looks like an operator, a space or a quote was probably meant
// to be: text pasted from a word processor or a formula brings these.
struct LookAlike {
  char32_t code_point;
  const char* meant;
  const char* why = nullptr;
};
// A typographic quote is text to the shell, which passes it on with the expression.
constexpr const char* shell_quotes = "the shell takes only plain quotes as quotes";
constexpr LookAlike look_alikes[] = {
    {0x2212, "'-'"},
    {0x2010, "'-'"},
    {0x2011, "'-'"},
    {0x2012, "'-'"},
    {0x2013, "'-'"},
    {0x2014, "'-'"},
    {0xFE63, "'-'"},
    {0xFF0D, "'-'"},
    {0x00D7, "'*'"},
    {0x00B7, "'*'"},
    {0x22C5, "'*'"},
    {0x2217, "'*'"},
    {0x2219, "'*'"},
    {0x2022, "'*'"},
    {0xFF0A, "'*'"},
    {0x00F7, "'/'"},
    {0x2215, "'/'"},
    {0x2044, "'/'"},
    {0xFF0F, "'/'"},
    {0xFF0B, "'+'"},
    {0x02C6, "'^'"},
    {0x2038, "'^'"},
    {0xFF3E, "'^'"},
    {0x00B9, "'^1'"},
    {0x00B2, "'^2'"},
    {0x00B3, "'^3'"},
    {0x2070, "'^0'"},
    {0x2074, "'^4'"},
    {0x2075, "'^5'"},
    {0x2076, "'^6'"},
    {0x2077, "'^7'"},
    {0x2078, "'^8'"},
    {0x2079, "'^9'"},
    {0xFF08, "'('"},
    {0xFF09, "')'"},
    {0xFF0C, "','"},
    {0x221A, "sqrt(…)"},
    {0x03C0, "pi (the constant)"},
    {0x2018, "a plain ' or \"", shell_quotes},
    {0x2019, "a plain ' or \"", shell_quotes},
    {0x201A, "a plain ' or \"", shell_quotes},
    {0x201B, "a plain ' or \"", shell_quotes},
    {0x201C, "a plain ' or \"", shell_quotes},
    {0x201D, "a plain ' or \"", shell_quotes},
    {0x201E, "a plain ' or \"", shell_quotes},
    {0x201F, "a plain ' or \"", shell_quotes},
    {0x00AB, "a plain ' or \"", shell_quotes},
    {0x00BB, "a plain ' or \"", shell_quotes},
    {0x00A0, "a space"},
    {0x2002, "a space"},
    {0x2003, "a space"},
    {0x2007, "a space"},
    {0x2009, "a space"},
    {0x200A, "a space"},
    {0x200B, "a space"},
    {0x202F, "a space"},
    {0x3000, "a space"},
};

// The Greek small letters α to ω (U+03B1 to U+03C9) spelled in ASCII, for a name typed
// as its letter; ς (U+03C2) is the final sigma. π is the constant pi (look_alikes).
constexpr const char* greek_names[] = {"alpha",   "beta", "gamma", "delta",  "epsilon", "zeta", "eta",
                                       "theta",   "iota", "kappa", "lambda", "mu",      "nu",   "xi",
                                       "omicron", "pi",   "rho",   "sigma",  "sigma",   "tau",  "upsilon",
                                       "phi",     "chi",  "psi",   "omega"};

// Why the character at the start of `text` (a byte outside printable ASCII) cannot be
// in an expression, quoted whole, with what it was probably meant to be.
std::string unexpected_character(std::string_view text) {
  const tapegrad::detail::Utf8Char c = tapegrad::detail::decode_utf8(text);
  if (c.length == 0)
    return "byte " + tapegrad::detail::byte_name(static_cast<unsigned char>(text[0])) + " is not UTF-8 text";
  std::string message = "unexpected character " + tapegrad::detail::quoted_character(text);
  for (const LookAlike& l : look_alikes)
    if (l.code_point == c.code_point)
      return message + "; did you mean " + l.meant + "?" + (l.why ? std::string(" (") + l.why + ")" : "");
  if (c.code_point < 0x80) return message;  // a control character
  if (c.code_point >= 0x03B1 && c.code_point <= 0x03C9)
    return message + "; did you mean " + greek_names[c.code_point - 0x03B1] +
           "? (names are ASCII letters, digits and _)";
  return message + " (expressions are ASCII: names are letters, digits and _)";
}

std::string known_functions() {
  std::string s;
  for (const OperationInfo& op : operation_table)
    if (op.called_by_name) (s += op.name) += ' ';
  return s + "sum";
}

}  // namespace

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
    // Variables are numbered in name order, so values can be given in a stable order.
    renumber();
    return std::move(expression_);
  }

 private:
  // Columns count bytes (1-based), so that a command that parses pieces of a longer
  // text can add the piece's offset; the program turns them into characters to show
  // them. Every character the grammar knows is one ASCII byte.
  std::uint32_t column() const { return static_cast<std::uint32_t>(pos_ + 1); }
  // A column as a message shows it: in characters, as the program reports columns.
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
      if (u >= 0x80 || ((u < 0x20 || u == 0x7F) && !std::isspace(u)))
        throw SyntaxError(static_cast<std::uint32_t>(k + 1), unexpected_character(text_.substr(k)));
    }
  }
  bool at_end() const { return pos_ >= text_.size(); }
  // A byte-order mark (an expression file saved by some editors; a command that joins
  // pieces of such a file moves it inside) is skipped like a space, so that columns
  // still count from the start of the text as given.
  bool at_bom(std::size_t k) const {
    return text_.substr(k, tapegrad::detail::utf8_bom.size()) == tapegrad::detail::utf8_bom;
  }
  void skip_space() {
    while (!at_end()) {
      if (std::isspace(static_cast<unsigned char>(text_[pos_])))
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
  void expect(char c, const std::string& context) {
    if (!accept(c)) {
      std::string found = "the end";
      if (!at_end()) {
        found = '\'';
        found += text_[pos_];
        found += '\'';
      }
      throw SyntaxError(column(), "expected '" + std::string(1, c) + "' " + context + ", found " + found);
    }
  }
  void deeper(int depth) const {
    if (depth > max_depth)
      throw SyntaxError(column(), "nested more than " + std::to_string(max_depth) + " levels deep");
  }

  void emit(std::uint8_t operation, std::uint32_t col) {
    expression_.program_.push_back({Instruction::Op::Apply, operation, 0, 0, 0, 0, col});
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
      parse_unary(depth + 1);  // right-associative: a^b^c = a^(b^c); 2^-1 is allowed
      emit(operation_index<rules::Pow>(), col);
    }
  }

  void parse_primary(int depth) {
    skip_space();
    const std::uint32_t col = column();
    if (at_end()) throw SyntaxError(col, "the expression ends where a number, name or '(' should follow");
    const char c = text_[pos_];
    if (accept('(')) {
      parse_sum(depth + 1);
      expect(')', "to close the '(' at column " + shown_column(col));
      return;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return parse_number(col);
    if (is_name_start(c)) return parse_name(col, depth);
    if (c == '*' && pos_ > 0 && text_[pos_ - 1] == '*')
      throw SyntaxError(col - 1, "'**' is not an operator: powers are written with ^ (x^2)");
    throw SyntaxError(col, "unexpected '" + std::string(1, c) + "' where a number, name or '(' should be");
  }

  void parse_number(std::uint32_t col) {
    const std::size_t start = pos_;
    while (!at_end() && (std::isdigit(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.')) ++pos_;
    if (!at_end() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      std::size_t p = pos_ + 1;
      if (p < text_.size() && (text_[p] == '+' || text_[p] == '-')) ++p;
      if (p < text_.size() && std::isdigit(static_cast<unsigned char>(text_[p]))) {
        pos_ = p;
        while (!at_end() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
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
    expression_.program_.push_back({Instruction::Op::Constant, 0, 0, 0, 0, value, col});
  }

  void parse_name(std::uint32_t col, int depth) {
    const std::size_t start = pos_;
    while (!at_end() && is_name_char(text_[pos_])) ++pos_;
    const std::string name(text_.substr(start, pos_ - start));
    skip_space();
    if (!at_end() && text_[pos_] == '(') return parse_call(name, col, depth);
    if (!at_end() && text_[pos_] == '[') return parse_index(name, col, depth);
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "nan" || lower == "inf" || lower == "infinity")
      throw SyntaxError(col, "'" + name + "' is not allowed: expressions compute with finite numbers only");
    if (name == "pi" || name == "e") {
      const double value = name == "pi" ? std::numbers::pi : std::numbers::e;
      expression_.program_.push_back({Instruction::Op::Constant, 0, 0, 0, 0, value, col});
      return;
    }
    if (is_function(name))
      throw SyntaxError(col, "the function " + name + " needs its arguments in parentheses");
    if (dimensions_.count(name)) {
      if (sum_depth_ == 0)
        throw SyntaxError(col, name + " is a vector: use " + name + "[i] or sum(…) around it");
      note_vector(name, col);
      expression_.program_.push_back({Instruction::Op::SumElement, 0, slot_of(name, true), 0, 0, 0, col});
      return;
    }
    expression_.program_.push_back({Instruction::Op::Scalar, 0, slot_of(name, false), 0, 0, 0, col});
  }

  bool is_function(const std::string& name) const {
    return name == "sum" || operation_called(name).has_value();
  }

  void parse_call(const std::string& name, std::uint32_t col, int depth) {
    const std::uint32_t open = column();
    expect('(', "after " + name);
    if (name == "sum") return parse_sum_call(col, open, depth);
    std::size_t arguments = 0;
    if (!accept(')')) {
      do {
        parse_sum(depth + 1);
        ++arguments;
      } while (accept(','));
      expect(')', "to close the '(' of " + name + " at column " + shown_column(open));
    }
    if (const auto op = operation_called(name)) {
      const std::size_t arity = operation_table[*op].arity;
      if (arguments != arity)
        throw SyntaxError(col, name + " takes " + std::to_string(arity) + " argument" +
                                   (arity == 1 ? "" : "s") + ", not " + std::to_string(arguments));
      return emit(*op, col);
    }
    std::vector<std::string> names{"sum"};
    for (const OperationInfo& op : operation_table)
      if (op.called_by_name) names.emplace_back(op.name);
    if (const std::string near = closest_name(name, names); !near.empty())
      throw SyntaxError(
          col, "unknown function '" + name + "': did you mean " + near + "? (tapegrad functions lists them)");
    throw SyntaxError(col, "unknown function '" + name + "' (known: " + known_functions() + ")");
  }

  // sum(body): the body runs once per index of the vectors it mentions, which must all
  // have one length.
  void parse_sum_call(std::uint32_t col, std::uint32_t open, int depth) {
    const std::size_t sum_at = expression_.program_.size();
    expression_.program_.push_back({Instruction::Op::Sum, 0, 0, 0, 0, 0, col});
    ++sum_depth_;
    const std::size_t outer_length = sum_length_;
    sum_length_ = 0;
    parse_sum(depth + 1);
    expect(')', "to close the '(' of sum at column " + shown_column(open));
    if (sum_length_ == 0)
      throw SyntaxError(col, "sum(…) must mention a vector variable (declared with --dim)");
    Instruction& sum = expression_.program_[sum_at];
    sum.end = static_cast<std::uint32_t>(expression_.program_.size());
    sum.count = static_cast<std::uint32_t>(sum_length_);
    --sum_depth_;
    sum_length_ = outer_length;
  }

  void parse_index(const std::string& name, std::uint32_t col, int depth) {
    if (!dimensions_.count(name))
      throw SyntaxError(col, name + " is not a vector (declare it with --dim " + name + "=N to index it)");
    const std::uint32_t open = column();
    expect('[', "after " + name);
    parse_sum(depth + 1);
    expect(']', "to close the '[' at column " + shown_column(open));
    expression_.program_.push_back({Instruction::Op::Indexed, 0, slot_of(name, true), 0, 0, 0, col});
  }

  void note_vector(const std::string& name, std::uint32_t col) {
    const std::size_t n = dimensions_.at(name);
    if (sum_length_ != 0 && sum_length_ != n)
      throw SyntaxError(col, name + " has length " + std::to_string(n) + ", another vector in this sum has " +
                                 std::to_string(sum_length_));
    sum_length_ = n;
  }

  // Slots are given in order of first use here and renumbered by name at the end.
  std::uint32_t slot_of(const std::string& name, bool vector) {
    std::vector<std::string>& names = vector ? expression_.vectors_ : expression_.scalars_;
    const auto it = std::find(names.begin(), names.end(), name);
    if (it != names.end()) return static_cast<std::uint32_t>(it - names.begin());
    names.push_back(name);
    return static_cast<std::uint32_t>(names.size() - 1);
  }

  void renumber() {
    const auto sorted_slots = [](std::vector<std::string>& names) {
      std::vector<std::string> sorted = names;
      std::sort(sorted.begin(), sorted.end());
      std::vector<std::uint32_t> new_slot(names.size());
      for (std::size_t i = 0; i < names.size(); ++i)
        new_slot[i] =
            static_cast<std::uint32_t>(std::find(sorted.begin(), sorted.end(), names[i]) - sorted.begin());
      names = std::move(sorted);
      return new_slot;
    };
    const std::vector<std::uint32_t> scalar_slot = sorted_slots(expression_.scalars_);
    const std::vector<std::uint32_t> vector_slot = sorted_slots(expression_.vectors_);
    for (Instruction& i : expression_.program_) {
      if (i.op == Instruction::Op::Scalar) i.slot = scalar_slot[i.slot];
      if (i.op == Instruction::Op::Indexed || i.op == Instruction::Op::SumElement)
        i.slot = vector_slot[i.slot];
    }
    for (const std::string& v : expression_.vectors_) expression_.dimensions_.push_back(dimensions_.at(v));
  }

  std::string_view text_;
  const std::map<std::string, std::size_t>& dimensions_;
  std::size_t pos_ = 0;
  int sum_depth_ = 0;
  std::size_t sum_length_ = 0;
  Expression expression_;
};

namespace {

// Instructions one evaluation runs, sums unrolled.
double operations(const std::vector<Instruction>& program, std::size_t begin, std::size_t end) {
  double total = 0;
  for (std::size_t k = begin; k < end; ++k) {
    if (program[k].op == Instruction::Op::Sum) {
      total += 1 + static_cast<double>(program[k].count) * operations(program, k + 1, program[k].end);
      k = program[k].end - 1;
    } else {
      total += 1;
    }
  }
  return total;
}

constexpr double max_operations = 1e8;

}  // namespace

Expression Expression::parse(std::string_view text,
                             const std::map<std::string, std::size_t>& vector_dimensions) {
  if (text.size() > max_length)
    throw SyntaxError(max_length + 1,
                      "the expression is longer than " + std::to_string(max_length) + " characters");
  for (const auto& [name, n] : vector_dimensions)
    if (n == 0) throw Error("the vector " + name + " has length 0");
  Expression e = Parser(text, vector_dimensions).parse();
  // A sum nested in a sum over long vectors is a hang in disguise: refused up front.
  if (operations(e.program_, 0, e.program_.size()) > max_operations)
    throw SyntaxError(
        1, "the expression takes more than 10^8 operations to evaluate (nested sums over long vectors?)");
  return e;
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
