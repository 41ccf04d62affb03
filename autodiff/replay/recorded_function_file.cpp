#include "recorded_function_file.hpp"

#include <array>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../support/atomic_file.hpp"
#include "../support/binary_file.hpp"

namespace tapegrad {

namespace {

using detail::BinaryReader;
using detail::BinaryWriter;
using detail::Guard;
using detail::OpCode;
using detail::ProgramNode;
using detail::ReplayRecord;
using detail::StatementKind;

// Version 2 names every field (support/binary_file.hpp); version 1, the first release's,
// wrote the same arrays by position and is converted on loading (read_version_1).
constexpr detail::FileFormat recording_format{.what = "recorded function",
                                              .name = "tapegrad recorded function",
                                              .version = 2,
                                              .oldest_readable = 1,
                                              .refusal = "not a valid recording"};

// The record's arrays, each by its name (ReplayRecord::Arrays).
template <class T, bool Const>
using RecordArrays = typename ReplayRecord<T>::template Arrays<Const>;

// One member of a struct stored as a column of its own; for an array member, its element
// `index`.
template <class S, class M>
struct Column {
  std::string_view name;
  M S::*member;
  std::size_t index = 0;

  template <class Row>  // S or const S
  auto& of(Row& row) const {
    if constexpr (std::is_array_v<M>)
      return (row.*member)[index];
    else
      return row.*member;
  }
};

// clang 14 deduces no aggregate's template arguments by itself (P1816).
template <class S, class M>
Column(std::string_view, M S::*, std::size_t = 0) -> Column<S, M>;

// The record's arrays as version 2 stores them, in file order: each array under its name,
// program nodes and comparisons member by member (so that the file does not depend on
// their structs' layout). `io` writes or reads each (SchemaWriter, SchemaReader).
template <class Arrays, class Io>
void record_schema(Arrays& a, Io& io) {
  io.array("statement kinds", a.kind);
  io.array("statement programs", a.id);
  io.array("statement number offsets", a.numbers_begin);
  io.array("values", a.values);
  io.array("numbers", a.numbers);
  io.table("program nodes", a.nodes, Column{"op", &ProgramNode::op}, Column{"needs", &ProgramNode::needs},
           Column{"first child", &ProgramNode::arg, 0}, Column{"second child", &ProgramNode::arg, 1},
           Column{"third child", &ProgramNode::arg, 2}, Column{"piece", &ProgramNode::piece});
  io.array("program offsets", a.program_begin);
  io.table("comparisons", a.guards, Column{"before", &Guard::before}, Column{"program", &Guard::program},
           Column{"number offset", &Guard::numbers_begin}, Column{"operand offset", &Guard::operands_begin});
  io.array("comparison numbers", a.guard_numbers);
  io.array("comparison operands", a.guard_operands);
}

struct SchemaWriter {
  BinaryWriter& w;

  template <class U>
  void array(std::string_view name, const std::vector<U>& values) {
    w.array(name, values);
  }
  template <class S, class... M>
  void table(std::string_view name, const std::vector<S>& rows, const Column<S, M>&... columns) {
    (write_column(name, rows, columns), ...);
  }
  template <class S, class M>
  void write_column(std::string_view table, const std::vector<S>& rows, const Column<S, M>& column) {
    std::vector<std::remove_extent_t<M>> values;
    values.reserve(rows.size());
    for (const S& row : rows) values.push_back(column.of(row));
    w.array(std::string(table) + ": " + std::string(column.name), values);
  }
};

struct SchemaReader {
  BinaryReader& r;

  template <class U>
  void array(std::string_view name, std::vector<U>& values) {
    values = r.array<U>(name);
  }
  template <class S, class... M>
  void table(std::string_view name, std::vector<S>& rows, const Column<S, M>&... columns) {
    bool first = true;
    (read_column(name, rows, columns, first), ...);
  }
  template <class S, class M>
  void read_column(std::string_view table, std::vector<S>& rows, const Column<S, M>& column, bool& first) {
    const std::string name = std::string(table) + ": " + std::string(column.name);
    const auto values = r.array<std::remove_extent_t<M>>(name);
    if (first) rows.assign(values.size(), S{});
    first = false;
    if (values.size() != rows.size())
      r.fail("field \"" + name + "\" holds " + std::to_string(values.size()) +
             " values, the table's first column " + std::to_string(rows.size()));
    for (std::size_t i = 0; i < rows.size(); ++i) column.of(rows[i]) = values[i];
  }
};

// What a file holds, as read (in either version) and before it is checked.
template <class T>
struct LoadedRecording {
  std::vector<std::string> op_names;
  std::vector<std::uint32_t> statement_end, operand_index;
  ReplayRecord<T> record;  // its arrays, staged here until they are checked
  std::vector<std::uint32_t> inputs;
  std::uint32_t output = 0;
};

template <class T>
void check_value_size(std::uint32_t value_size, const BinaryReader& r) {
  if (value_size != sizeof(T))
    r.fail("it holds " + std::to_string(value_size) + "-byte values, not " + std::to_string(sizeof(T)) +
           "-byte ones (saved from a " + (value_size == 4 ? "float" : "double") + " recording)");
}

template <class T>
void read_version_2(BinaryReader& r, LoadedRecording<T>& f) {
  check_value_size<T>(r.scalar<std::uint32_t>("value size"), r);
  f.op_names = r.texts("operation names");
  f.statement_end = r.array<std::uint32_t>("statement ends");
  f.operand_index = r.array<std::uint32_t>("operand indices");
  RecordArrays<T, false> arrays = f.record.arrays();
  SchemaReader io{r};
  record_schema(arrays, io);
  f.inputs = r.array<std::uint32_t>("inputs");
  f.output = r.scalar<std::uint32_t>("output");
  r.expect_end();
}

// Version 1 (the first release): after the header, the value size, the operation names
// and the arrays by position, each a count (uint64) and its raw elements, in the order
// ReplayRecord's arrays had then; program nodes and comparisons as their structs' bytes.
// Frozen: it describes files already written, whatever the record and schema become.
template <class T>
void read_version_1(BinaryReader& r, LoadedRecording<T>& f) {
  check_value_size<T>(r.untagged_scalar<std::uint32_t>("the value size"), r);
  const auto num_names = r.untagged_scalar<std::uint32_t>("the operation names");
  if (num_names > 256) r.fail("it names " + std::to_string(num_names) + " operations");
  for (std::uint32_t c = 0; c < num_names; ++c) {
    const std::vector<char> chars = r.untagged_array<char>("the operation names");
    f.op_names.emplace_back(chars.begin(), chars.end());
  }
  f.statement_end = r.untagged_array<std::uint32_t>("the statements");
  f.operand_index = r.untagged_array<std::uint32_t>("the operands");
  RecordArrays<T, false> a = f.record.arrays();
  const auto assign = [](auto& member, const auto& read) { member.assign(read.begin(), read.end()); };
  a.kind.clear();
  for (const std::uint8_t k : r.untagged_array<std::uint8_t>("the statement kinds"))
    a.kind.push_back(static_cast<StatementKind>(k));
  assign(a.id, r.untagged_array<std::uint32_t>("the statement programs"));
  assign(a.numbers_begin, r.untagged_array<std::uint32_t>("the statement numbers"));
  assign(a.values, r.untagged_array<T>("the values"));
  assign(a.numbers, r.untagged_array<T>("the numbers"));
  // A node was {uint8 op, uint8 needs, uint16 arg[3], uint16 piece}: 10 bytes, no padding.
  const auto u16_at = [](const auto& bytes, std::size_t at) {
    std::uint16_t v;
    std::memcpy(&v, bytes.data() + at, sizeof v);
    return v;
  };
  a.nodes.clear();
  for (const auto& b : r.untagged_array<std::array<unsigned char, 10>>("the programs"))
    a.nodes.push_back(
        {static_cast<OpCode>(b[0]), b[1], {u16_at(b, 2), u16_at(b, 4), u16_at(b, 6)}, u16_at(b, 8)});
  assign(a.program_begin, r.untagged_array<std::uint32_t>("the program offsets"));
  // A comparison was {uint32 before, program, numbers_begin, operands_begin}: 16 bytes.
  const auto u32_at = [](const auto& bytes, std::size_t at) {
    std::uint32_t v;
    std::memcpy(&v, bytes.data() + at, sizeof v);
    return v;
  };
  a.guards.clear();
  for (const auto& b : r.untagged_array<std::array<unsigned char, 16>>("the comparisons"))
    a.guards.push_back({u32_at(b, 0), u32_at(b, 4), u32_at(b, 8), u32_at(b, 12)});
  assign(a.guard_numbers, r.untagged_array<T>("the comparisons' numbers"));
  assign(a.guard_operands, r.untagged_array<std::uint32_t>("the comparisons' operands"));
  f.inputs = r.untagged_array<std::uint32_t>("the inputs");
  f.output = r.untagged_scalar<std::uint32_t>("the output");
  r.expect_end();
}

// What a program needs from the statement or comparison that runs it: how many
// operand slots and numbers it reads.
struct ProgramNeeds {
  std::uint32_t leaves = 0;
  std::uint32_t numbers = 0;
  bool ends_in_compare = false;
};

// Checks one program's nodes on their own (op codes known, children before parents)
// and says what it reads.
ProgramNeeds check_program(const ProgramNode* nodes, std::uint32_t count, std::size_t p,
                           const BinaryReader& r) {
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
  const BasicReplayTape<T>& tape = function.tape();
  const ReplayRecord<T>& record = tape.record();
  const auto statements = static_cast<std::uint32_t>(tape.num_nodes() + 1);
  for (std::uint32_t s = 1; s < statements; ++s)
    if (record.kind(s) != StatementKind::Input && record.kind(s) != StatementKind::Program)
      throw Error("save_recorded_function: statement " + std::to_string(s) +
                  " is a tensor operation or a Parameter; only scalar recordings can be saved");
  BinaryWriter w(recording_format);
  w.scalar("value size", static_cast<std::uint32_t>(sizeof(T)));
  // Op codes are stored by name, so that adding a rule never breaks a saved file.
  std::vector<std::string_view> op_names;
  for (std::size_t op = 0; op < detail::num_op_codes; ++op)
    op_names.push_back(detail::op_name(static_cast<OpCode>(op)));
  w.texts("operation names", op_names);
  w.array("statement ends", std::span<const std::uint32_t>(tape.view().statement_end, statements));
  w.array("operand indices", std::span<const std::uint32_t>(tape.view().operand_index, tape.num_operands()));
  const RecordArrays<T, true> arrays = record.arrays();
  SchemaWriter io{w};
  record_schema(arrays, io);
  w.array("inputs", function.input_statements());
  w.scalar("output", function.output_statement());
  write_file_atomically(path, std::move(w).finish());
}

template <class T>
BasicRecordedFunction<T> load_recorded_function(const std::filesystem::path& path) {
  const detail::FileContext file(recording_format, path.string());
  BinaryReader r(file, detail::read_whole_file(file, path));
  LoadedRecording<T> loaded;
  if (r.version() == 1)
    read_version_1(r, loaded);
  else
    read_version_2(r, loaded);

  // The file's op codes by name, mapped to this build's.
  if (loaded.op_names.size() > 256)
    r.fail("it names " + std::to_string(loaded.op_names.size()) + " operations");
  std::vector<OpCode> op_of_code;
  for (const std::string& name : loaded.op_names) {
    std::size_t op = 0;
    while (op < detail::num_op_codes && name != detail::op_name(static_cast<OpCode>(op))) ++op;
    if (op == detail::num_op_codes)
      r.fail("it uses the operation '" + name + "', which this build does not have");
    op_of_code.push_back(static_cast<OpCode>(op));
  }
  const std::vector<std::uint32_t>& statement_end = loaded.statement_end;
  const std::vector<std::uint32_t>& operand_index = loaded.operand_index;
  const RecordArrays<T, false> arrays = loaded.record.arrays();
  const std::vector<StatementKind>& kind = arrays.kind;
  const std::vector<std::uint32_t>& id = arrays.id;
  const std::vector<std::uint32_t>& numbers_begin = arrays.numbers_begin;
  const std::vector<T>& values = arrays.values;
  const std::vector<T>& numbers = arrays.numbers;
  std::vector<ProgramNode>& nodes = arrays.nodes;
  const std::vector<std::uint32_t>& program_begin = arrays.program_begin;
  const std::vector<Guard>& guards = arrays.guards;
  const std::vector<T>& guard_numbers = arrays.guard_numbers;
  const std::vector<std::uint32_t>& guard_operands = arrays.guard_operands;
  const std::vector<std::uint32_t>& inputs = loaded.inputs;
  const std::uint32_t output = loaded.output;

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

  auto tape = std::make_unique<BasicReplayTape<T>>();
  tape->load(statement_end, operand_index, std::move(loaded.record));
  const detail::ReplayRecord<T>& record = tape->record();
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
