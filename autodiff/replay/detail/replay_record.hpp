/// \file
/// What a replay tape (replay_tape.hpp) keeps beside its recording so that the recording
/// can be run again at new inputs without recording again — a primal-value tape, as
/// CppAD's ADFun or CoDiPack's primal-value tapes. ReplayRecord is the tape's recording
/// observer (scalar/recording_observer.hpp), so it learns of each statement as it is
/// recorded, and it keeps:
///   - every statement's value, and what kind of statement it is: an input (its value is
///     set from outside), an expression (its program, replay_program.hpp, and the numbers
///     the program uses), an operation with a forward function of its own (a tensor
///     operation, a scalar Parameter), or an opaque one that cannot be recomputed (a
///     custom_op, whose value and partials came from the caller's code);
///   - every comparison of Vars made while recording (`if (x > 0)`), with its outcome,
///     and the piece each kink (abs, relu, max, …) was on.
/// run() recomputes values and partials in place, statement by statement in recording
/// order, and stops at the first comparison or kink that comes out differently.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "../../scalar/recording_observer.hpp"
#include "../../support/error.hpp"
#include "batched_interpreter.hpp"
#include "interpreter.hpp"
#include "periodic_blocks.hpp"
#include "program.hpp"
#include "statement_kernels.hpp"
#include "statement_type.hpp"
#include "sum_run_kernels.hpp"
#include "sum_runs.hpp"

namespace tapegrad::detail {

enum class StatementKind : std::uint8_t { Input, Program, Forward, Opaque };

// A comparison recorded on the tape: its program (ending in a Compare node) runs
// before statement `before`.
struct Guard {
  std::uint32_t before;
  std::uint32_t program;
  std::uint32_t numbers_begin;
  std::uint32_t operands_begin;
};

template <class T>
class ReplayRecord final : public RecordingObserver<T> {
 public:
  // Following `tape`'s recording (null: filled from a file, then attached).
  explicit ReplayRecord(const BasicTape<T>* tape = nullptr) : tape_(tape) { clear(); }
  void attach(const BasicTape<T>* tape) noexcept { tape_ = tape; }

  void clear() {
    kind_.assign(1, StatementKind::Input);  // statement 0: the slot constants point at
    id_.assign(1, 0);
    numbers_begin_.assign(1, 0);
    values_.assign(1, T(0));
    numbers_.clear();
    guards_.clear();
    guard_numbers_.clear();
    guard_operands_.clear();
    forwards_.clear();
    opaque_.clear();
    stretches_current_ = blocks_current_ = false;
  }
  // Forgets statements from `statements` on and comparisons from `guards` on (rewind).
  void truncate(std::uint32_t statements, std::uint32_t guards) {
    if (statements < kind_.size()) numbers_.resize(numbers_begin_[statements]);
    kind_.resize(std::min<std::size_t>(kind_.size(), statements));
    id_.resize(kind_.size());
    numbers_begin_.resize(kind_.size());
    values_.resize(kind_.size());
    if (guards < guards_.size()) {
      guard_numbers_.resize(guards_[guards].numbers_begin);
      guard_operands_.resize(guards_[guards].operands_begin);
      guards_.resize(guards);
    }
    while (!forwards_.empty() && forwards_.back().statement >= statements) forwards_.pop_back();
    stretches_current_ = blocks_current_ = false;
  }

  // ------------------------------------------------ recording (the observer's side)

  void expression(std::uint32_t s, const StatementType<T>& type, const void* e, const T& value) override {
    if (type.encode == nullptr) {
      opaque_.push_back("an expression type without encode()");
      add_statement(s, StatementKind::Opaque, static_cast<std::uint32_t>(opaque_.size() - 1), value);
      return;
    }
    add_statement(s, StatementKind::Program, 0, value);
    scratch_.clear();
    ProgramEncoder<T> encoder(scratch_, numbers_, nullptr);
    type.encode(e, encoder);
    const std::size_t programs_before = num_programs();
    id_[s] = intern();
    if (num_programs() != programs_before) {
      // A constant Var leaf keeps a number the rebuilt expression would not read.
      bool constant_leaf = false;
      for (const ProgramNode& n : scratch_) constant_leaf = constant_leaf || n.op == OpCode::LeafConstant;
      if (!constant_leaf) {
        kernel_[id_[s]] = type.kernel;
        sum_kernels_[id_[s]] = type.sums;
      }
    }
  }
  void input(std::uint32_t s, const T& value) override { add_statement(s, StatementKind::Input, 0, value); }
  // A statement whose value and partials cannot be recomputed; `what` names it.
  void opaque(std::uint32_t s, const char* what) override {
    opaque_.push_back(what);
    add_statement(s, StatementKind::Opaque, static_cast<std::uint32_t>(opaque_.size() - 1), T(0));
  }
  // Statement s (just recorded as an input or opaque) is recomputed by `forward`.
  void forward(std::uint32_t s, StatementForward<T> run_forward, const void* data, const T& value) override {
    forwards_.push_back({s, run_forward, data});
    kind_[s] = StatementKind::Forward;
    stretches_current_ = blocks_current_ = false;
    id_[s] = static_cast<std::uint32_t>(forwards_.size() - 1);
    values_[s] = value;
  }
  T value(std::uint32_t s) const override { return values_[s]; }
  void set_value(std::uint32_t s, const T& value) override { values_[s] = value; }

  // A comparison made now, after the statements recorded so far.
  void comparison(Relation relation, const ComparisonSide<T>& a, const ComparisonSide<T>& b,
                  int outcome) override {
    scratch_.clear();
    const Guard guard{static_cast<std::uint32_t>(tape_->num_nodes() + 1), 0,
                      static_cast<std::uint32_t>(guard_numbers_.size()),
                      static_cast<std::uint32_t>(guard_operands_.size())};
    ProgramEncoder<T> encoder(scratch_, guard_numbers_, &guard_operands_, tape_);
    const std::uint16_t left = a.encode(a.side, encoder);
    const std::uint16_t right = b.encode(b.side, encoder);
    encoder.compare(relation, left, right, outcome);
    guards_.push_back(guard);
    guards_.back().program = intern();
  }

  std::uint32_t mark() const override { return static_cast<std::uint32_t>(guards_.size()); }
  void rewound(std::uint32_t statements, std::uint32_t mark) override { truncate(statements, mark); }
  void cleared() override { clear(); }

  // ------------------------------------------------------------------- replaying

  // Recomputes statements 1 … end-1 in place: each program's value into values[s] and its
  // operands' partials into partials (indexed like the tape's operands), each forward
  // function with `tape`; inputs keep their values. Checks every comparison and kink.
  // V is T, or Dual<T> for Hessian-vector products (then there must be no forwards).
  // With `sums` (V = T only), the sum runs it lists are replayed reassociated (sum_runs.hpp).
  template <class V>
  ReplayChange run(BasicTape<T>* tape, const std::uint32_t* statement_end, const std::uint32_t* operand_index,
                   V* values, V* partials, std::uint32_t end, std::uint32_t generation = 0,
                   SumRunPlan<T>* sums = nullptr) const {
    // Scratch for one program's nodes; kept between runs in the tape's own value type,
    // so that replaying a training step allocates nothing.
    std::vector<V> local_value, local_adjoint;
    std::vector<V>& node_value = scratch_for(scratch_value_, local_value);
    std::vector<V>& node_adjoint = scratch_for(scratch_adjoint_, local_adjoint);
    BatchScratch<V> local_batch;
    BatchScratch<V>& batch_scratch = [&]() -> BatchScratch<V>& {
      if constexpr (std::is_same_v<V, T>)
        return batch_scratch_;
      else
        return local_batch;
    }();
    node_value.resize(max_program_length_);
    node_adjoint.resize(max_program_length_);
    if (!stretches_current_) find_input_stretches();
    ReplayChange change;
    std::size_t g = 0;
    std::size_t next_sum = 0;               // the next of sums->runs
    std::size_t next_stretch = 0;           // the next of input_stretches_
    std::size_t next_block = 0;             // the next of blocks_
    [[maybe_unused]] KernelArgs<T> args{};  // what the compiled kernels work on (T values only)
    if constexpr (std::is_same_v<V, T>) {
      args = kernel_args(statement_end, operand_index, values, partials, generation);
      periodic_blocks(statement_end, operand_index);  // found if the recording changed
    }
    for (std::uint32_t s = 1; s < end; ++s) {
      for (; g < guards_.size() && guards_[g].before <= s; ++g)
        if (!check_guard(g, values, node_value.data(), change)) return change;
      switch (kind_[s]) {
        case StatementKind::Input:
          // Inputs keep their values; a stretch of them (the leaves of a long vector) is
          // passed over at once. A comparison between them reads no input's new value late.
          while (next_stretch < input_stretches_.size() && input_stretches_[next_stretch].first < s)
            ++next_stretch;
          if (next_stretch < input_stretches_.size() && input_stretches_[next_stretch].first == s)
            s = std::min(end, input_stretches_[next_stretch].second) - 1;
          break;
        case StatementKind::Program: {
          const std::uint32_t p = id_[s];
          if constexpr (std::is_same_v<V, T>) {
            if (sums != nullptr && next_sum < sums->runs.size() && sums->runs[next_sum].first == s &&
                sums->runs[next_sum].last <= end) {
              const SumRun& run = sums->runs[next_sum++];
              if (!sum_kernels_[p].forward(args, run, *sums, change)) return change;
              s = run.last - 1;
              break;
            }
            while (next_block < blocks_.size() && blocks_[next_block].first < s) ++next_block;
            if (next_block < blocks_.size() && blocks_[next_block].first == s &&
                blocks_[next_block].last <= end &&
                (sums == nullptr || next_sum >= sums->runs.size() ||
                 sums->runs[next_sum].first >= blocks_[next_block].last)) {
              const PeriodicBlock& block = blocks_[next_block];
              if (!replay_block(args, block, change)) return change;
              s = block.last - 1;
              break;
            }
            if (kernel_[p] != nullptr) {
              // The run of statements with this program up to the next comparison (or the
              // next sum run, which its own kernel replays), in one call.
              std::uint32_t stop = g < guards_.size() ? std::min(end, guards_[g].before) : end;
              if (sums != nullptr && next_sum < sums->runs.size())
                stop = std::min(stop, sums->runs[next_sum].first);
              std::uint32_t last = s + 1;
              while (last < stop && kind_[last] == StatementKind::Program && id_[last] == p) ++last;
              if (!kernel_[p](args, s, last, 1, change)) return change;
              s = last - 1;
              break;
            }
          }
          // Interpreted (no kernel, or Dual values): a run of statements of this program up to the next
          // comparison or sum run, node by node across them (batched_interpreter.hpp), else this one alone.
          const ProgramNode* nodes = nodes_.data() + program_begin_[p];
          const std::uint32_t count = program_begin_[p + 1] - program_begin_[p];
          std::uint32_t stop = g < guards_.size() ? std::min(end, guards_[g].before) : end;
          if (sums != nullptr && next_sum < sums->runs.size())
            stop = std::min(stop, sums->runs[next_sum].first);
          std::uint32_t last = s + 1;
          while (last < stop && last < s + min_batched_run && kind_[last] == StatementKind::Program &&
                 id_[last] == p)
            ++last;
          if (last == s + min_batched_run && batchable(nodes, count)) {
            while (last < stop && kind_[last] == StatementKind::Program && id_[last] == p) ++last;
            if (run_program_batch(nodes, count, numbers_.data(), numbers_begin_.data(), statement_end,
                                  operand_index, values, partials, s, last, batch_scratch)) {
              s = last - 1;
              break;
            }
          } else {
            last = s + 1;
          }
          // One by one; after a batch that met a changed piece, to report the first in recording order.
          for (std::uint32_t t = s; t < last; ++t) {
            const std::uint32_t begin = statement_end[t - 1];
            if (!run_program(nodes, count, numbers_.data() + numbers_begin_[t], operand_index + begin, values,
                             partials == nullptr ? nullptr : partials + begin, node_value.data(),
                             node_adjoint.data(), change.piece)) {
              change.changed = true;
              change.where = t;
              return change;
            }
            values[t] = node_value[count - 1];
          }
          s = last - 1;
          break;
        }
        case StatementKind::Forward:
          if constexpr (std::is_same_v<V, T>) {
            const ForwardEntry& f = forwards_[id_[s]];
            f.run(*tape, s, f.data);
            break;
          } else {
            throw Error("replay: statement " + std::to_string(s) +
                        " is a tensor operation, which replays only in the tape's own value type");
          }
        case StatementKind::Opaque:
          throw_opaque(s);
      }
    }
    for (; g < guards_.size(); ++g)
      if (!check_guard(g, values, node_value.data(), change)) return change;
    return change;
  }

  // Why a replay stopped, in words: which comparison or kink, where, recorded how and
  // how it came out now.
  // Operands are named by their statements ("v12"), read through the tape's arrays.
  std::string describe(const ReplayChange& change, const std::uint32_t* statement_end,
                       const std::uint32_t* operand_index) const {
    const ProgramNode* nodes = nullptr;
    const T* numbers = nullptr;
    std::string out;
    auto name = [&](std::uint16_t slot) {
      const std::uint32_t operand = change.in_comparison
                                        ? guard_operands_[guards_[change.where].operands_begin + slot]
                                        : operand_index[statement_end[change.where - 1] + slot];
      return "v" + std::to_string(operand);
    };
    if (change.in_comparison) {
      const Guard& guard = guards_[change.where];
      nodes = nodes_.data() + program_begin_[guard.program];
      numbers = guard_numbers_.data() + guard.numbers_begin;
      out = "the comparison " + describe_program(nodes, change.piece.node, numbers, name) +
            " (made after statement " + std::to_string(guard.before - 1) + ")";
    } else {
      const std::uint32_t p = id_[change.where];
      nodes = nodes_.data() + program_begin_[p];
      numbers = numbers_.data() + numbers_begin_[change.where];
      out = std::string(op_name(change.piece.op)) + " in " +
            describe_program(nodes, program_begin_[p + 1] - program_begin_[p] - 1, numbers, name) +
            " (statement " + std::to_string(change.where) + ")";
    }
    const ProgramNode& n = nodes[change.piece.node];
    out += " was ";
    out += describe_piece(n, change.piece.recorded);
    out += " when recorded and is ";
    out += describe_piece(n, change.piece.now);
    out += " now";
    return out;
  }

  // ------------------------------------------------------------------ inspection

  std::size_t statements() const noexcept { return kind_.size(); }
  StatementKind kind(std::uint32_t s) const { return kind_[s]; }
  const char* opaque_what(std::uint32_t s) const { return opaque_[id_[s]]; }
  T* values() noexcept { return values_.data(); }
  const T* values() const noexcept { return values_.data(); }
  std::size_t num_guards() const noexcept { return guards_.size(); }
  std::size_t num_forwards() const noexcept { return forwards_.size(); }
  // The periodic blocks a replay in T runs column by column (periodic_blocks.hpp), found
  // now if the recording changed since they were last; the arrays are the tape's.
  const std::vector<PeriodicBlock>& periodic_blocks(const std::uint32_t* statement_end,
                                                    const std::uint32_t* operand_index) const {
    if (!blocks_current_) find_blocks(statement_end, operand_index);
    return blocks_;
  }
  std::size_t num_programs() const noexcept { return program_begin_.size() - 1; }
  // Statement s's program (a statement of kind Program), and program p's nodes.
  std::uint32_t program_id(std::uint32_t s) const { return id_[s]; }
  std::span<const ProgramNode> program_nodes(std::uint32_t p) const {
    return {nodes_.data() + program_begin_[p], program_begin_[p + 1] - program_begin_[p]};
  }
  std::size_t max_program_length() const noexcept { return max_program_length_; }
  // For sum_runs.hpp's planner: statement s's program if it has a sum kernel (else -1),
  // the operand slots of program p that could be the chain, the comparisons.
  std::int64_t sum_program(std::uint32_t s) const {
    return kind_[s] == StatementKind::Program && sum_kernels_[id_[s]].forward != nullptr
               ? std::int64_t{id_[s]}
               : -1;
  }
  const std::array<int, 2>& sum_chain_slots(std::uint32_t p) const { return sum_kernels_[p].chain_slots; }
  // Program p's sum-run reverse that computes the partials again, if it is cheap enough.
  SumRunReverse<T> sum_reverse(std::uint32_t p) const { return sum_kernels_[p].reverse; }
  // Statement s's numbers (the constants its program reads).
  std::span<const T> statement_numbers(std::uint32_t s) const {
    const std::size_t end = s + 1 < numbers_begin_.size() ? numbers_begin_[s + 1] : numbers_.size();
    return {numbers_.data() + numbers_begin_[s], end - numbers_begin_[s]};
  }
  // The arrays the compiled kernels and the sum-run sweep work on (T values only).
  KernelArgs<T> kernel_args(const std::uint32_t* statement_end, const std::uint32_t* operand_index, T* values,
                            T* partials, std::uint32_t generation) const {
    return {statement_end,   const_cast<std::uint32_t*>(operand_index),
            numbers_.data(), numbers_begin_.data(),
            values,          partials,
            generation};
  }
  const Guard& guard(std::size_t g) const { return guards_[g]; }
  std::span<const std::uint32_t> guard_operand_indices() const noexcept { return guard_operands_; }
  std::size_t bytes_in_use() const noexcept override {
    return kind_.size() * (1 + 2 * sizeof(std::uint32_t) + sizeof(T)) + numbers_.size() * sizeof(T) +
           nodes_.size() * sizeof(ProgramNode) + guards_.size() * sizeof(Guard) +
           guard_numbers_.size() * sizeof(T) + guard_operands_.size() * sizeof(std::uint32_t);
  }

  // The arrays a saved recording holds, each by its name (recorded_function_file.cpp
  // writes and reads them by these names). The designated initializers of arrays() tie
  // each name to its member, so that no reordering can mix two of them up.
  template <bool Const>
  struct Arrays {
    template <class U>
    using Ref = std::conditional_t<Const, const std::vector<U>&, std::vector<U>&>;
    Ref<StatementKind> kind;
    Ref<std::uint32_t> id;             // per statement: its program (or forward, opaque entry)
    Ref<std::uint32_t> numbers_begin;  // per statement: where its numbers start
    Ref<T> values;
    Ref<T> numbers;
    Ref<ProgramNode> nodes;
    Ref<std::uint32_t> program_begin;
    Ref<Guard> guards;
    Ref<T> guard_numbers;
    Ref<std::uint32_t> guard_operands;
  };
  Arrays<false> arrays() { return arrays_of<false>(*this); }
  Arrays<true> arrays() const { return arrays_of<true>(*this); }
  // After the arrays were filled from a file: rebuilds what is derived from them.
  void rebuild_after_load() {
    max_program_length_ = 0;
    interned_.clear();
    kernel_.assign(num_programs(), nullptr);  // a loaded program has no C++ type to compile
    sum_kernels_.assign(num_programs(), {});
    stretches_current_ = blocks_current_ = false;
    for (std::size_t p = 0; p + 1 < program_begin_.size(); ++p)
      max_program_length_ =
          std::max<std::size_t>(max_program_length_, program_begin_[p + 1] - program_begin_[p]);
  }

 private:
  template <bool Const, class Record>
  static Arrays<Const> arrays_of(Record& r) {
    return {.kind = r.kind_,
            .id = r.id_,
            .numbers_begin = r.numbers_begin_,
            .values = r.values_,
            .numbers = r.numbers_,
            .nodes = r.nodes_,
            .program_begin = r.program_begin_,
            .guards = r.guards_,
            .guard_numbers = r.guard_numbers_,
            .guard_operands = r.guard_operands_};
  }

  struct ForwardEntry {
    std::uint32_t statement;
    StatementForward<T> run;
    const void* data;
  };

  // The periodic blocks (periodic_blocks.hpp) of the recording as it is now.
  void find_blocks(const std::uint32_t* statement_end, const std::uint32_t* operand_index) const {
    const std::size_t n = kind_.size();
    std::vector<std::uint8_t> compiled(n, 0), guard_before(n, 0);
    std::vector<std::uint32_t> shape(n, 0);
    for (std::size_t s = 1; s < n; ++s) {
      const bool input = kind_[s] == StatementKind::Input;
      compiled[s] = input || (kind_[s] == StatementKind::Program && kernel_[id_[s]] != nullptr);
      shape[s] = input ? input_shape : id_[s];
    }
    for (const Guard& g : guards_)
      if (g.before < n) guard_before[g.before] = 1;
    blocks_ = find_periodic_blocks({compiled, shape, guard_before, statement_end, operand_index});
    blocks_current_ = true;
  }

  // Replays a periodic block column by column (periodic_blocks.hpp). A kink that changed
  // piece is reported as a replay in recording order would: the first in that order.
  bool replay_block(const KernelArgs<T>& args, const PeriodicBlock& block, ReplayChange& change) const {
    for (std::uint32_t j = 0; j < block.period; ++j) {
      const std::uint32_t first = block.first + j;
      if (kind_[first] == StatementKind::Input ||
          kernel_[id_[first]](args, first, block.last, block.period, change))
        continue;
      const ReplayChange found = change;
      for (std::uint32_t t = block.first; t < block.last; ++t) {
        change = {};
        if (kind_[t] != StatementKind::Input && !kernel_[id_[t]](args, t, t + 1, 1, change)) return false;
      }
      change = found;  // not found again in order (the same values: it is)
      return false;
    }
    return true;
  }

  // The stretches of consecutive inputs, from the statements' kinds as they are now
  // (a statement recorded as a leaf may have become a forward since).
  void find_input_stretches() const {
    input_stretches_.clear();
    for (std::uint32_t s = 1; s < kind_.size(); ++s) {
      if (kind_[s] != StatementKind::Input) continue;
      if (!input_stretches_.empty() && input_stretches_.back().second == s)
        ++input_stretches_.back().second;
      else
        input_stretches_.push_back({s, s + 1});
    }
    stretches_current_ = true;
  }

  void add_statement(std::uint32_t s, StatementKind kind, std::uint32_t id, const T& value) {
    if (s != kind_.size()) [[unlikely]]
      throw Error("a replayable tape lost track of statement " + std::to_string(s));
    kind_.push_back(kind);
    stretches_current_ = blocks_current_ = false;
    id_.push_back(id);
    numbers_begin_.push_back(static_cast<std::uint32_t>(numbers_.size()));
    values_.push_back(value);
  }

  // The program in scratch_ as a program id, sharing one copy among the statements that
  // have the same expression shape (every term of a sum, say).
  std::uint32_t intern() {
    const std::string_view key(reinterpret_cast<const char*>(scratch_.data()),
                               scratch_.size() * sizeof(ProgramNode));
    const auto found = interned_.find(std::string(key));
    if (found != interned_.end()) return found->second;
    const auto id = static_cast<std::uint32_t>(program_begin_.size() - 1);
    nodes_.insert(nodes_.end(), scratch_.begin(), scratch_.end());
    program_begin_.push_back(static_cast<std::uint32_t>(nodes_.size()));
    kernel_.push_back(nullptr);  // expression() compiles one for a statement's program
    sum_kernels_.push_back({});
    max_program_length_ = std::max(max_program_length_, scratch_.size());
    interned_.emplace(std::string(key), id);
    return id;
  }

  template <class V>
  bool check_guard(std::size_t g, const V* values, V* node_value, ReplayChange& change) const {
    const Guard& guard = guards_[g];
    const std::uint32_t p = guard.program;
    if (run_program<V, T>(nodes_.data() + program_begin_[p], program_begin_[p + 1] - program_begin_[p],
                          guard_numbers_.data() + guard.numbers_begin,
                          guard_operands_.data() + guard.operands_begin, values, nullptr, node_value, nullptr,
                          change.piece))
      return true;
    change.changed = true;
    change.in_comparison = true;
    change.where = static_cast<std::uint32_t>(g);
    return false;
  }

  [[noreturn]] void throw_opaque(std::uint32_t s) const {
    throw Error("replay: statement " + std::to_string(s) + " was recorded by " + opaque_[id_[s]] +
                ", whose value and partials cannot be recomputed at new inputs");
  }

  template <class V>
  static std::vector<V>& scratch_for(std::vector<T>& kept, std::vector<V>& local) {
    if constexpr (std::is_same_v<V, T>)
      return kept;
    else
      return local;
  }

  std::vector<StatementKind> kind_;
  std::vector<std::uint32_t> id_;             // program, forward or opaque entry
  std::vector<std::uint32_t> numbers_begin_;  // where statement s's numbers start
  std::vector<T> values_;
  std::vector<T> numbers_;
  std::vector<ProgramNode> nodes_;
  std::vector<std::uint32_t> program_begin_{0};
  std::vector<Guard> guards_;
  std::vector<T> guard_numbers_;
  std::vector<std::uint32_t> guard_operands_;
  std::vector<ForwardEntry> forwards_;
  std::vector<const char*> opaque_;

  std::vector<StatementKernel<T>> kernel_;  // per program; null: run by the interpreter
  std::vector<SumKernels<T>> sum_kernels_;  // per program
  // The stretches of consecutive inputs, [first, second): run() passes over each at once.
  // Derived from kind_ before a run whenever kind_ changed since (stretches_current_).
  mutable std::vector<std::pair<std::uint32_t, std::uint32_t>> input_stretches_;
  mutable bool stretches_current_ = false;
  // The periodic blocks, found before a replay in T whenever the recording changed since.
  mutable std::vector<PeriodicBlock> blocks_;
  mutable bool blocks_current_ = false;
  std::vector<ProgramNode> scratch_;
  mutable std::vector<T> scratch_value_, scratch_adjoint_;
  mutable BatchScratch<T> batch_scratch_;
  std::unordered_map<std::string, std::uint32_t> interned_;
  std::size_t max_program_length_ = 0;
  const BasicTape<T>* tape_;  // whose recording this follows: for comparisons' positions and Vars
};

}  // namespace tapegrad::detail
