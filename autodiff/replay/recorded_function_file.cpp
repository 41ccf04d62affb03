#include "recorded_function_file.hpp"

#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "../support/atomic_file.hpp"

namespace tapegrad {

namespace {

constexpr std::string_view magic = "tapegrad recorded function\n";
constexpr std::uint32_t format_version = 1;
constexpr std::uint32_t byte_order_mark = 0x01020304;

class Writer {
 public:
  void bytes(const void* data, std::size_t size) {
    if (size > 0) out_.append(static_cast<const char*>(data), size);  // an empty array's data() may be null
  }
  template <class U>
  void scalar(const U& value) {
    bytes(&value, sizeof value);
  }
  template <class U>
  void array(const U* data, std::size_t count) {
    scalar(static_cast<std::uint64_t>(count));
    bytes(data, count * sizeof(U));
  }
  template <class U>
  void array(const std::vector<U>& v) {
    array(v.data(), v.size());
  }
  const std::string& content() const { return out_; }

 private:
  std::string out_;
};

// Reads what Writer wrote, refusing to read past the end.
class Reader {
 public:
  Reader(std::string_view content, const std::filesystem::path& path) : in_(content), path_(path) {}

  void bytes(void* data, std::size_t size, const char* what) {
    if (size > in_.size() - at_) fail(std::string("it ends inside ") + what + " (truncated)");
    if (size == 0) return;  // an empty vector's data() may be null, which memcpy must not get
    std::memcpy(data, in_.data() + at_, size);
    at_ += size;
  }
  template <class U>
  U scalar(const char* what) {
    U value;
    bytes(&value, sizeof value, what);
    return value;
  }
  template <class U>
  std::vector<U> array(const char* what) {
    const auto count = scalar<std::uint64_t>(what);
    if (count > (in_.size() - at_) / sizeof(U)) fail(std::string("it ends inside ") + what + " (truncated)");
    std::vector<U> v(static_cast<std::size_t>(count));
    bytes(v.data(), v.size() * sizeof(U), what);
    return v;
  }
  bool at_end() const { return at_ == in_.size(); }

  [[noreturn]] void fail(const std::string& why) const {
    throw Error("tapegrad: load_recorded_function: " + path_.string() + " is not a valid recording: " + why);
  }

 private:
  std::string_view in_;
  std::size_t at_ = 0;
  const std::filesystem::path& path_;
};

using detail::Guard;
using detail::OpCode;
using detail::ProgramNode;
using detail::StatementKind;

// What a program needs from the statement or comparison that runs it: how many
// operand slots and numbers it reads.
struct ProgramNeeds {
  std::uint32_t leaves = 0;
  std::uint32_t numbers = 0;
  bool ends_in_compare = false;
};

// Checks one program's nodes on their own (op codes known, children before parents)
// and says what it reads.
ProgramNeeds check_program(const ProgramNode* nodes, std::uint32_t count, std::size_t p, const Reader& r) {
  ProgramNeeds needs;
  auto bad = [&](std::uint32_t k, const std::string& why) {
    r.fail("program " + std::to_string(p) + ", node " + std::to_string(k) + ": " + why);
  };
  auto reads_number = [&](std::uint16_t i) {
    needs.numbers = std::max<std::uint32_t>(needs.numbers, i + 1U);
  };
  for (std::uint32_t k = 0; k < count; ++k) {
    const ProgramNode& n = nodes[k];
    if (static_cast<std::size_t>(n.op) >= detail::num_op_codes) bad(k, "unknown op code");
    for (int c = 0; c < detail::op_arity(n.op); ++c)
      if (n.arg[c] >= k) bad(k, "a child that does not precede it");
    if (n.op == OpCode::Compare && n.needs > static_cast<std::uint8_t>(detail::Relation::Order))
      bad(k, "an unknown comparison");
    if (n.op == OpCode::Compare && k + 1 != count) bad(k, "a comparison inside an expression");
    if (detail::op_has_piece(n.op)) reads_number(n.piece);
    if (n.op == OpCode::Leaf || n.op == OpCode::LeafConstant) {
      if (n.arg[0] != needs.leaves) bad(k, "operands out of order");
      ++needs.leaves;
    }
    if (n.op == OpCode::LeafConstant) reads_number(n.arg[1]);
    if (n.op == OpCode::Constant) reads_number(n.arg[0]);
  }
  if (count == 0) r.fail("program " + std::to_string(p) + " is empty");
  needs.ends_in_compare = nodes[count - 1].op == OpCode::Compare;
  return needs;
}

}  // namespace

template <class T>
void save_recorded_function(const BasicRecordedFunction<T>& function, const std::filesystem::path& path) {
  const BasicTape<T>& tape = function.tape();
  const detail::ReplayRecord<T>& record = tape.replay_record();
  const auto statements = static_cast<std::uint32_t>(tape.num_nodes() + 1);
  for (std::uint32_t s = 1; s < statements; ++s)
    if (record.kind(s) != StatementKind::Input && record.kind(s) != StatementKind::Program)
      throw Error("tapegrad: save_recorded_function: statement " + std::to_string(s) +
                  " is a tensor operation or a Parameter; only scalar recordings can be saved");
  Writer w;
  w.bytes(magic.data(), magic.size());
  w.scalar(format_version);
  w.scalar(byte_order_mark);
  w.scalar(static_cast<std::uint32_t>(sizeof(T)));
  w.scalar(static_cast<std::uint32_t>(detail::num_op_codes));
  for (std::size_t op = 0; op < detail::num_op_codes; ++op) {
    const std::string_view name = detail::op_name(static_cast<OpCode>(op));
    w.array(name.data(), name.size());
  }
  w.array(tape.statement_ends(), statements);
  w.array(tape.operand_index_data(), tape.num_operands());
  std::apply([&](const auto&... field) { (w.array(field), ...); }, record.fields());
  const std::span<const std::uint32_t> inputs = function.input_statements();
  w.array(inputs.data(), inputs.size());
  w.scalar(function.output_statement());
  const std::uint64_t checksum = fnv1a_64(w.content());
  w.scalar(checksum);
  write_file_atomically(path, w.content());
}

template <class T>
BasicRecordedFunction<T> load_recorded_function(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error("tapegrad: load_recorded_function: cannot read " + path.string());
  const std::string content((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const Reader whole(content, path);
  if (content.size() < magic.size() + sizeof(std::uint64_t) || content.compare(0, magic.size(), magic) != 0)
    whole.fail("it does not start as a tapegrad recorded function does");
  const std::string_view body(content.data(), content.size() - sizeof(std::uint64_t));
  std::uint64_t checksum;
  std::memcpy(&checksum, content.data() + body.size(), sizeof checksum);
  if (checksum != fnv1a_64(body)) whole.fail("its checksum does not match its content (the file is damaged)");

  Reader r(body.substr(magic.size()), path);
  const auto version = r.scalar<std::uint32_t>("the format version");
  if (version != format_version)
    r.fail("format version " + std::to_string(version) + "; this build reads version " +
           std::to_string(format_version));
  if (r.scalar<std::uint32_t>("the byte order") != byte_order_mark)
    r.fail("it was written on a machine of the other byte order");
  const auto value_size = r.scalar<std::uint32_t>("the value size");
  if (value_size != sizeof(T))
    r.fail("it holds " + std::to_string(value_size) + "-byte values, not " + std::to_string(sizeof(T)) +
           "-byte ones (saved from a " + (value_size == 4 ? "float" : "double") + " recording)");

  // The file's op codes by name, mapped to this build's.
  const auto num_names = r.scalar<std::uint32_t>("the operation names");
  if (num_names > 256) r.fail("it names " + std::to_string(num_names) + " operations");
  std::vector<OpCode> op_of_code(num_names);
  for (std::uint32_t c = 0; c < num_names; ++c) {
    const std::vector<char> chars = r.array<char>("the operation names");
    const std::string name(chars.begin(), chars.end());
    std::size_t op = 0;
    while (op < detail::num_op_codes && name != detail::op_name(static_cast<OpCode>(op))) ++op;
    if (op == detail::num_op_codes)
      r.fail("it uses the operation '" + name + "', which this build does not have");
    op_of_code[c] = static_cast<OpCode>(op);
  }

  const std::vector<std::uint32_t> statement_end = r.array<std::uint32_t>("the statements");
  const std::vector<std::uint32_t> operand_index = r.array<std::uint32_t>("the operands");
  std::vector<StatementKind> kind = r.array<StatementKind>("the statement kinds");
  std::vector<std::uint32_t> id = r.array<std::uint32_t>("the statement programs");
  std::vector<std::uint32_t> numbers_begin = r.array<std::uint32_t>("the statement numbers");
  std::vector<T> values = r.array<T>("the values");
  std::vector<T> numbers = r.array<T>("the numbers");
  std::vector<ProgramNode> nodes = r.array<ProgramNode>("the programs");
  std::vector<std::uint32_t> program_begin = r.array<std::uint32_t>("the program offsets");
  std::vector<Guard> guards = r.array<Guard>("the comparisons");
  std::vector<T> guard_numbers = r.array<T>("the comparisons' numbers");
  std::vector<std::uint32_t> guard_operands = r.array<std::uint32_t>("the comparisons' operands");
  const std::vector<std::uint32_t> inputs = r.array<std::uint32_t>("the inputs");
  const auto output = r.scalar<std::uint32_t>("the output");
  if (!r.at_end()) r.fail("it has bytes after the output");

  // The arrays must form a recording that replays without reading out of bounds.
  const std::size_t n = statement_end.size();
  if (n < 2 || statement_end[0] != 0) r.fail("it has no statements");
  if (n > std::numeric_limits<std::uint32_t>::max() / 2) r.fail("too many statements");
  if (statement_end.back() != operand_index.size()) r.fail("the statements do not end at the last operand");
  if (kind.size() != n || id.size() != n || numbers_begin.size() != n || values.size() != n)
    r.fail("its per-statement arrays have different lengths");
  if (program_begin.empty() || program_begin[0] != 0 || program_begin.back() != nodes.size())
    r.fail("its program offsets do not cover the programs");
  // Every offset array must rise and stay inside what it indexes before any is used.
  auto rises_within = [](const std::vector<std::uint32_t>& offsets, std::size_t bound) {
    for (std::size_t i = 0; i < offsets.size(); ++i)
      if (offsets[i] > bound || (i > 0 && offsets[i] < offsets[i - 1])) return false;
    return true;
  };
  if (!rises_within(statement_end, operand_index.size())) r.fail("its statements' operands are out of order");
  if (!rises_within(numbers_begin, numbers.size())) r.fail("its statements' numbers are out of order");
  if (!rises_within(program_begin, nodes.size())) r.fail("its program offsets are out of order");
  std::vector<ProgramNeeds> program_needs;
  for (std::size_t p = 0; p + 1 < program_begin.size(); ++p) {
    if (program_begin[p + 1] < program_begin[p] || program_begin[p + 1] - program_begin[p] > 0xffff)
      r.fail("program " + std::to_string(p) + " has a bad length");
    for (std::uint32_t k = program_begin[p]; k < program_begin[p + 1]; ++k) {
      const auto code = static_cast<std::size_t>(nodes[k].op);
      if (code >= op_of_code.size())
        r.fail("program " + std::to_string(p) + " uses an op code it does not name");
      nodes[k].op = op_of_code[code];
    }
    program_needs.push_back(
        check_program(nodes.data() + program_begin[p], program_begin[p + 1] - program_begin[p], p, r));
  }
  auto numbers_of = [&](std::size_t s) {
    const std::size_t end = s + 1 < n ? numbers_begin[s + 1] : numbers.size();
    return end - numbers_begin[s];
  };
  for (std::size_t s = 1; s < n; ++s) {
    const std::string where = "statement " + std::to_string(s) + ": ";
    if (statement_end[s] < statement_end[s - 1]) r.fail(where + "its operands end before they begin");
    if (numbers_begin[s] < numbers_begin[s - 1] || numbers_begin[s] > numbers.size())
      r.fail(where + "its numbers are out of range");
    for (std::uint32_t o = statement_end[s - 1]; o < statement_end[s]; ++o)
      if (operand_index[o] >= s) r.fail(where + "an operand that does not precede it");
    const std::uint32_t operands = statement_end[s] - statement_end[s - 1];
    if (kind[s] == StatementKind::Input) {
      if (operands != 0) r.fail(where + "an input with operands");
    } else if (kind[s] == StatementKind::Program) {
      if (id[s] >= program_needs.size()) r.fail(where + "no such program");
      const ProgramNeeds& needs = program_needs[id[s]];
      if (needs.ends_in_compare || needs.leaves != operands || needs.numbers > numbers_of(s))
        r.fail(where + "its program does not fit its operands and numbers");
    } else {
      r.fail(where + "a statement kind that cannot be loaded");
    }
  }
  for (std::size_t g = 0; g < guards.size(); ++g) {
    const Guard& guard = guards[g];
    const std::string where = "comparison " + std::to_string(g) + ": ";
    const std::size_t numbers_end =
        g + 1 < guards.size() ? guards[g + 1].numbers_begin : guard_numbers.size();
    const std::size_t operands_end =
        g + 1 < guards.size() ? guards[g + 1].operands_begin : guard_operands.size();
    if (guard.before < 1 || guard.before > n || (g > 0 && guard.before < guards[g - 1].before))
      r.fail(where + "out of order");
    if (guard.program >= program_needs.size() || guard.numbers_begin > numbers_end ||
        numbers_end > guard_numbers.size() || guard.operands_begin > operands_end ||
        operands_end > guard_operands.size())
      r.fail(where + "out of range");
    const ProgramNeeds& needs = program_needs[guard.program];
    if (!needs.ends_in_compare || needs.leaves != operands_end - guard.operands_begin ||
        needs.numbers > numbers_end - guard.numbers_begin)
      r.fail(where + "its program does not fit its operands and numbers");
    for (std::size_t o = guard.operands_begin; o < operands_end; ++o)
      if (guard_operands[o] >= guard.before) r.fail(where + "an operand recorded after it");
  }
  if (output == 0 || output >= n) r.fail("its output is not a statement");
  for (const std::uint32_t input : inputs)
    if (input == 0 || input >= n || kind[input] != StatementKind::Input)
      r.fail("an input that is not a leaf");

  auto tape = std::make_unique<BasicTape<T>>(typename BasicTape<T>::Options{.replayable = true});
  tape->restore_recording(statement_end, operand_index);
  detail::ReplayRecord<T>& record = tape->replay_record();
  record.fields() = std::tie(kind, id, numbers_begin, values, numbers, nodes, program_begin, guards,
                             guard_numbers, guard_operands);
  record.rebuild_after_load();
  std::vector<BasicVar<T>> input_vars;
  for (const std::uint32_t input : inputs)
    input_vars.emplace_back(typename BasicVar<T>::Recorded{}, record.value(input), input, tape->generation());
  const BasicVar<T> output_var(typename BasicVar<T>::Recorded{}, record.value(output), output,
                               tape->generation());
  return BasicRecordedFunction<T>(std::move(tape), input_vars, output_var);
}

template void save_recorded_function(const BasicRecordedFunction<double>&, const std::filesystem::path&);
template void save_recorded_function(const BasicRecordedFunction<float>&, const std::filesystem::path&);
template BasicRecordedFunction<double> load_recorded_function<double>(const std::filesystem::path&);
template BasicRecordedFunction<float> load_recorded_function<float>(const std::filesystem::path&);

}  // namespace tapegrad
