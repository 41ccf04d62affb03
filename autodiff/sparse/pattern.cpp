#include "pattern.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "../replay/detail/program.hpp"
#include "../support/error.hpp"

namespace tapegrad {
namespace {

using detail::OpCode;
using detail::ProgramNode;
using detail::StatementKind;

// What rules.hpp says of each op code's structure, in op-code order.
struct OpStructure {
  bool constant_pieces;      // derivative 0 everywhere: passes no operand on
  unsigned second_partials;  // rules::pairs bits
};
constexpr OpStructure op_structure[] = {
#define TAPEGRAD_OP_STRUCTURE(Rule, function) \
  {rules::constant_pieces_of<rules::Rule>(), rules::second_partials_of<rules::Rule>()},
    TAPEGRAD_EVERY_RULE(TAPEGRAD_OP_STRUCTURE, TAPEGRAD_OP_STRUCTURE, TAPEGRAD_OP_STRUCTURE)
#undef TAPEGRAD_OP_STRUCTURE
};
static_assert(std::size(op_structure) == detail::num_rule_ops);

// The argument pairs of rules::pairs' bits, in bit order: aa, ab, bb, ac, bc, cc.
constexpr std::pair<int, int> pair_arguments[] = {{0, 0}, {0, 1}, {1, 1}, {0, 2}, {1, 2}, {2, 2}};

using Slot = std::uint16_t;
using SlotPair = std::pair<Slot, Slot>;

// What one program (an expression's tree) says about its operand slots.
struct ProgramStructure {
  std::vector<Slot> reaching;   // slots whose partial can be nonzero
  std::vector<SlotPair> pairs;  // slot pairs (k <= l) whose second partial can be nonzero
};

std::vector<Slot> merged(const std::vector<Slot>& a, const std::vector<Slot>& b) {
  std::vector<Slot> out;
  out.reserve(a.size() + b.size());
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// Bottom up, the slots below each node that reach it with a partial that can be
// nonzero; top down, the nodes whose adjoint can be nonzero, and at each such rule the
// pairs its second_partials name.
ProgramStructure analyze(const ProgramNode* nodes, std::size_t count) {
  std::vector<std::vector<Slot>> below(count);
  for (std::size_t k = 0; k < count; ++k) {
    const ProgramNode& n = nodes[k];
    const auto op = static_cast<std::size_t>(n.op);
    if (n.op == OpCode::Leaf) {
      below[k] = {n.arg[0]};
    } else if (op < detail::num_rule_ops && !op_structure[op].constant_pieces) {
      for (int c = 0; c < detail::op_arity(n.op); ++c) below[k] = merged(below[k], below[n.arg[c]]);
    }
  }
  ProgramStructure out;
  if (count == 0) return out;
  out.reaching = below[count - 1];
  std::vector<char> live(count, 0);
  live[count - 1] = 1;
  for (std::size_t k = count; k-- > 0;) {
    const ProgramNode& n = nodes[k];
    const auto op = static_cast<std::size_t>(n.op);
    if (!live[k] || op >= detail::num_rule_ops || op_structure[op].constant_pieces) continue;
    const int arity = detail::op_arity(n.op);
    for (int c = 0; c < arity; ++c) live[n.arg[c]] = 1;
    for (std::size_t bit = 0; bit < std::size(pair_arguments); ++bit) {
      const auto [first, second] = pair_arguments[bit];
      if (!(op_structure[op].second_partials & (1u << bit)) || second >= arity) continue;
      for (const Slot a : below[n.arg[first]])
        for (const Slot b : below[n.arg[second]]) out.pairs.emplace_back(std::min(a, b), std::max(a, b));
    }
  }
  std::sort(out.pairs.begin(), out.pairs.end());
  out.pairs.erase(std::unique(out.pairs.begin(), out.pairs.end()), out.pairs.end());
  return out;
}

// A set of input positions, kept with repeats allowed between compactions: a union
// appends, and the set is sorted and deduplicated whenever it has doubled since the last
// time, and before it is read as a set. A chain of unions in any order then costs
// O(total · log) rather than a merge of the whole set per link.
struct IndexSet {
  std::vector<std::uint32_t> items;
  std::size_t compact_size = 0;

  void compact() {
    if (items.size() == compact_size) return;
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
    compact_size = items.size();
  }
  void add(const std::vector<std::uint32_t>& more) {
    items.insert(items.end(), more.begin(), more.end());
    if (items.size() > 2 * compact_size + 64) compact();
  }
};

// The statements of a recording as a graph: each statement's dependencies (operands
// whose partial can be nonzero) and nonlinear pairs.
class RecordingGraph {
 public:
  RecordingGraph(const ReplayTape& tape, std::span<const std::uint32_t> inputs)
      : tape_(tape),
        view_(tape.view()),
        record_(tape.record().arrays()),
        input_position_(view_.statements, -1) {
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      const std::uint32_t s = inputs[k];
      if (s == 0 || s >= view_.statements || tape.record().kind(s) != StatementKind::Input)
        throw Error("sparsity pattern: input ", k, " (v", s, ") is not an input statement of the recording");
      if (input_position_[s] >= 0) throw Error("sparsity pattern: input v", s, " is given twice");
      input_position_[s] = static_cast<std::int64_t>(k);
      inputs_in_order_.emplace_back(s, static_cast<std::uint32_t>(k));
    }
    std::sort(inputs_in_order_.begin(), inputs_in_order_.end());
    if (view_.statements > 1 && tape.has_hooks_between(0, view_.statements - 1)) {
      hook_.assign(view_.statements, 0);
      for (std::uint32_t s = 1; s < view_.statements; ++s) hook_[s] = tape.is_custom(s);
    }
    structures_.resize(record_.program_begin.size() - 1);
  }

  std::uint32_t statements() const { return view_.statements; }
  void check_statement(std::uint32_t s, const char* what) const {
    if (s == 0 || s >= view_.statements)
      throw Error("sparsity pattern: the ", what, " v", s, " is not a statement of the recording (it has ",
                  view_.statements - 1, ")");
  }
  std::int64_t input_position(std::uint32_t s) const { return input_position_[s]; }
  // The positions of the inputs recorded before statement s: a dense block's set.
  std::vector<std::uint32_t> inputs_before(std::uint32_t s) const {
    const auto end = std::lower_bound(inputs_in_order_.begin(), inputs_in_order_.end(),
                                      std::pair<std::uint32_t, std::uint32_t>(s, 0));
    std::vector<std::uint32_t> out;
    out.reserve(static_cast<std::size_t>(end - inputs_in_order_.begin()));
    for (auto it = inputs_in_order_.begin(); it != end; ++it) out.push_back(it->second);
    return out;
  }
  // A tensor operation or other statement with its own backward: a dense block.
  bool dense(std::uint32_t s) const { return !hook_.empty() && hook_[s]; }

  // Calls f(d) for each distinct statement s depends on through a partial that can be
  // nonzero (a dense statement's inputs are handled by its caller).
  template <class F>
  void for_each_dependency(std::uint32_t s, F&& f) {
    scratch_.clear();
    if (dense(s)) return;
    const std::uint32_t* operand = view_.operand_index + view_.statement_end[s - 1];
    const std::uint32_t count = view_.statement_end[s] - view_.statement_end[s - 1];
    if (record_.kind[s] == StatementKind::Program) {
      for (const Slot k : structure(s).reaching) scratch_.push_back(operand[k]);
    } else {
      scratch_.assign(operand, operand + count);  // a custom_op: every operand
    }
    distinct_nonconstant(scratch_);
    for (const std::uint32_t d : scratch_) f(d);
  }
  // Calls f(a, b) for each pair of statements that interact nonlinearly in s.
  template <class F>
  void for_each_pair(std::uint32_t s, F&& f) {
    if (dense(s)) return;
    const std::uint32_t* operand = view_.operand_index + view_.statement_end[s - 1];
    const std::uint32_t count = view_.statement_end[s] - view_.statement_end[s - 1];
    if (record_.kind[s] == StatementKind::Program) {
      for (const auto& [k, l] : structure(s).pairs)
        if (operand[k] != 0 && operand[l] != 0) f(operand[k], operand[l]);
    } else {
      pair_scratch_.assign(operand, operand + count);
      distinct_nonconstant(pair_scratch_);
      for (std::size_t i = 0; i < pair_scratch_.size(); ++i)
        for (std::size_t j = i; j < pair_scratch_.size(); ++j) f(pair_scratch_[i], pair_scratch_[j]);
    }
  }

 private:
  static void distinct_nonconstant(std::vector<std::uint32_t>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    if (!v.empty() && v.front() == 0) v.erase(v.begin());  // statement 0: a constant's slot
  }
  const ProgramStructure& structure(std::uint32_t s) {
    const std::uint32_t p = record_.id[s];
    std::optional<ProgramStructure>& found = structures_[p];
    if (!found)
      found = analyze(record_.nodes.data() + record_.program_begin[p],
                      record_.program_begin[p + 1] - record_.program_begin[p]);
    return *found;
  }

  const ReplayTape& tape_;
  RecordingArrays<const double> view_;
  detail::ReplayRecord<double>::Arrays<true> record_;
  std::vector<std::int64_t> input_position_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> inputs_in_order_;  // (statement, position)
  std::vector<char> hook_;                                                // empty when the recording has none
  std::vector<std::optional<ProgramStructure>> structures_;
  std::vector<std::uint32_t> scratch_, pair_scratch_;
};

// The input sets of the statements marked `needed`, built in recording order and each
// released after its last use (`uses`, counted by the caller).
class InputSets {
 public:
  InputSets(RecordingGraph& graph, std::vector<std::uint32_t> uses)
      : graph_(graph), uses_(std::move(uses)), slot_of_(graph.statements(), none) {}

  // Builds s's set from its dependencies' (or its own input position, or every input
  // recorded before it for a dense statement), releasing each dependency's use.
  void build(std::uint32_t s) {
    IndexSet set;
    if (graph_.input_position(s) >= 0) {
      set.items.push_back(static_cast<std::uint32_t>(graph_.input_position(s)));
    } else if (graph_.dense(s)) {
      set.items = graph_.inputs_before(s);
    } else {
      // Take over the largest dependency whose last use this is; add the others.
      deps_.clear();
      graph_.for_each_dependency(s, [&](std::uint32_t d) { deps_.push_back(d); });
      std::uint32_t taken = 0;
      for (const std::uint32_t d : deps_)
        if (slot_of_[d] != none && uses_[d] == 1 &&
            (taken == 0 || sets_[slot_of_[d]].items.size() > sets_[slot_of_[taken]].items.size()))
          taken = d;
      if (taken != 0) {
        set = std::move(sets_[slot_of_[taken]]);
        release(taken);
      }
      for (const std::uint32_t d : deps_) {
        if (d == taken || slot_of_[d] == none) continue;
        set.add(sets_[slot_of_[d]].items);
        release(d);
      }
    }
    store(s, std::move(set));
  }
  // The set of s, sorted and without repeats.
  const std::vector<std::uint32_t>& of(std::uint32_t s) {
    IndexSet& set = sets_[slot_of_[s]];
    set.compact();
    return set.items;
  }
  bool has(std::uint32_t s) const { return slot_of_[s] != none; }
  // One use of s's set is over; the last frees it.
  void release(std::uint32_t s) {
    if (slot_of_[s] == none || --uses_[s] > 0) return;
    sets_[slot_of_[s]] = {};
    free_.push_back(slot_of_[s]);
    slot_of_[s] = none;
  }

 private:
  static constexpr std::uint32_t none = 0xffffffffu;
  void store(std::uint32_t s, IndexSet&& set) {
    if (uses_[s] == 0) return;  // nobody reads it
    std::uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
      sets_[slot] = std::move(set);
    } else {
      slot = static_cast<std::uint32_t>(sets_.size());
      sets_.push_back(std::move(set));
    }
    slot_of_[s] = slot;
  }

  RecordingGraph& graph_;
  std::vector<std::uint32_t> uses_;
  std::vector<std::uint32_t> slot_of_;
  std::vector<IndexSet> sets_;
  std::vector<std::uint32_t> free_;
  std::vector<std::uint32_t> deps_;
};

[[noreturn]] void throw_too_many(const char* which, std::size_t max_nonzeros) {
  throw Error("sparsity pattern: the ", which, " has more than ", max_nonzeros,
              " nonzeros (the limit, max_nonzeros); its function couples too many of its inputs for a sparse "
              "matrix to pay");
}

// Pairs (i <= j) of input positions, compacted whenever they have doubled.
class PairSet {
 public:
  explicit PairSet(std::size_t max_nonzeros) : max_(max_nonzeros) {}
  void add_product(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
    // Each pair is two entries but the diagonal's one: more than max_ pairs is too many.
    if (a.size() * b.size() > max_) throw_too_many("Hessian", max_);
    if (&a == &b) {  // a set with itself: each pair once
      for (std::size_t k = 0; k < a.size(); ++k)
        for (std::size_t l = k; l < a.size(); ++l)
          pairs_.push_back(a[k] <= a[l] ? key(a[k], a[l]) : key(a[l], a[k]));
    } else {
      for (const std::uint32_t i : a)
        for (const std::uint32_t j : b) pairs_.push_back(i <= j ? key(i, j) : key(j, i));
    }
    if (pairs_.size() > 2 * compact_size_ + (1u << 16)) compact();
  }
  SparsityPattern symmetric_pattern(std::size_t n) {
    compact();
    SparsityPattern p;
    p.rows = p.cols = n;
    p.row_begin.assign(n + 1, 0);
    for (const std::uint64_t k : pairs_) {
      ++p.row_begin[first(k) + 1];
      if (first(k) != second(k)) ++p.row_begin[second(k) + 1];
    }
    for (std::size_t i = 0; i < n; ++i) p.row_begin[i + 1] += p.row_begin[i];
    if (p.row_begin[n] > max_) throw_too_many("Hessian", max_);
    p.columns.resize(p.row_begin[n]);
    std::vector<std::size_t> next(p.row_begin.begin(), p.row_begin.end() - 1);
    // Pairs in sorted order give each row its lower-triangle columns in order; the upper
    // ones are added in order too, after the lower ones of the same row.
    for (const std::uint64_t k : pairs_)
      if (first(k) != second(k)) p.columns[next[second(k)]++] = first(k);
    for (const std::uint64_t k : pairs_) p.columns[next[first(k)]++] = second(k);
    return p;
  }

 private:
  static std::uint64_t key(std::uint32_t i, std::uint32_t j) { return (std::uint64_t{i} << 32) | j; }
  static std::uint32_t first(std::uint64_t k) { return static_cast<std::uint32_t>(k >> 32); }
  static std::uint32_t second(std::uint64_t k) { return static_cast<std::uint32_t>(k); }
  void compact() {
    std::sort(pairs_.begin(), pairs_.end());
    pairs_.erase(std::unique(pairs_.begin(), pairs_.end()), pairs_.end());
    compact_size_ = pairs_.size();
    if (compact_size_ > max_) throw_too_many("Hessian", max_);
  }
  std::size_t max_;
  std::vector<std::uint64_t> pairs_;
  std::size_t compact_size_ = 0;
};

}  // namespace

SparsityPattern jacobian_pattern(const ReplayTape& tape, std::span<const std::uint32_t> inputs,
                                 std::span<const std::uint32_t> outputs, std::size_t max_nonzeros) {
  RecordingGraph graph(tape, inputs);
  std::uint32_t last = 0;
  for (const std::uint32_t o : outputs) {
    if (o == 0) continue;  // a constant output: an empty row
    graph.check_statement(o, "output");
    last = std::max(last, o);
  }
  // Every ancestor of an output needs its set; an output's is kept to the end.
  std::vector<char> needed(graph.statements(), 0);
  std::vector<std::uint32_t> uses(graph.statements(), 0);
  for (const std::uint32_t o : outputs)
    if (o != 0) needed[o] = 1, ++uses[o];
  for (std::uint32_t s = last; s > 0; --s)
    if (needed[s])
      graph.for_each_dependency(s, [&](std::uint32_t d) {
        needed[d] = 1;
        ++uses[d];
      });
  InputSets sets(graph, std::move(uses));
  // The rows' sizes as they are built: a pattern over the limit is refused before every
  // row's set is held.
  std::vector<char> is_output(std::size_t{last} + 1, 0);
  for (const std::uint32_t o : outputs) is_output[o] = 1;
  std::size_t held = 0;
  for (std::uint32_t s = 1; s <= last; ++s) {
    if (!needed[s]) continue;
    sets.build(s);
    if (is_output[s] && (held += sets.of(s).size()) > max_nonzeros) throw_too_many("Jacobian", max_nonzeros);
  }
  SparsityPattern p;
  p.rows = outputs.size();
  p.cols = inputs.size();
  p.row_begin.assign(1, 0);
  for (const std::uint32_t o : outputs) {
    if (o != 0) {
      const std::vector<std::uint32_t>& row = sets.of(o);
      if (p.columns.size() + row.size() > max_nonzeros) throw_too_many("Jacobian", max_nonzeros);
      p.columns.insert(p.columns.end(), row.begin(), row.end());
    }
    p.row_begin.push_back(p.columns.size());
  }
  return p;
}

SparsityPattern hessian_pattern(const ReplayTape& tape, std::span<const std::uint32_t> inputs,
                                std::uint32_t output, std::size_t max_nonzeros) {
  RecordingGraph graph(tape, inputs);
  PairSet pairs(max_nonzeros);
  if (output == 0) return pairs.symmetric_pattern(inputs.size());  // a constant: no entries
  graph.check_statement(output, "output");
  const std::uint32_t end = output + 1;
  // Down from the output: the statements whose adjoint can be nonzero (live), the sets
  // their nonlinear pairs read, and everything those sets are built from (needed).
  std::vector<char> live(end, 0), needed(end, 0);
  std::vector<std::uint32_t> uses(end, 0);
  live[output] = 1;
  for (std::uint32_t s = output; s > 0; --s) {
    if (live[s]) {
      graph.for_each_dependency(s, [&](std::uint32_t d) { live[d] = 1; });
      graph.for_each_pair(s, [&](std::uint32_t a, std::uint32_t b) {
        needed[a] = needed[b] = 1;
        ++uses[a];
        ++uses[b];
      });
    }
    if (needed[s])
      graph.for_each_dependency(s, [&](std::uint32_t d) {
        needed[d] = 1;
        ++uses[d];
      });
  }
  InputSets sets(graph, std::move(uses));
  // Each pair of statements adds its product once, however many statements repeat it
  // (exp(u) read by many terms adds I(u) × I(u) once).
  std::unordered_set<std::uint64_t> products_added;
  std::uint32_t last_dense = 0;
  for (std::uint32_t s = 1; s < end; ++s) {
    if (live[s]) {
      graph.for_each_pair(s, [&](std::uint32_t a, std::uint32_t b) {
        const std::vector<std::uint32_t>& ia = sets.of(a);
        const std::vector<std::uint32_t>& ib = sets.of(b);
        if (ia.size() * ib.size() > 64 && !products_added.insert((std::uint64_t{a} << 32) | b).second) return;
        pairs.add_product(ia, ib);
      });
      graph.for_each_pair(s, [&](std::uint32_t a, std::uint32_t b) {
        sets.release(a);
        sets.release(b);
      });
    }
    if (needed[s]) sets.build(s);
    if (live[s] && graph.dense(s)) last_dense = s;
  }
  // Every dense block is the inputs recorded before its statement, so the last one holds
  // all the others: added once.
  if (last_dense != 0) {
    const std::vector<std::uint32_t> block = graph.inputs_before(last_dense);
    pairs.add_product(block, block);
  }
  return pairs.symmetric_pattern(inputs.size());
}

}  // namespace tapegrad
