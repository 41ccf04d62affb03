/// \file
/// Hessian-vector products at one point as two linear sweeps: what
/// RecordedFunction::linearize() keeps and hessian_product() runs.
///
/// Forward over reverse (hvp) differentiates the reverse sweep adj[o] += p[o]·adj[s] in a
/// direction v: each statement's tangent ṫ[s] = Σ p[o]·ṫ[o], then, in reverse,
///   ȧdj[o] += p[o]·ȧdj[s] + ṗ[o]·adj[s],   ṗ[o] = Σₖ q[o][k]·ṫ[k],
/// where q is the statement's local Hessian: the second partials of its expression in its
/// operands. At a fixed point the values, the partials p, the adjoints adj and q do not
/// depend on v, so they are computed once (prepare()) and each product is then two passes
/// over the recording's operands with no rule evaluated (product()) — where a fresh
/// forward-over-reverse pass records or interprets every expression again on Dual numbers.
/// A trust-region or line-search Newton–CG method asks for several products at each
/// iterate; a sparse Hessian for one per color.
///
/// Most statements are linear in most of their operands: `s += t`, `r -= 2*x`. A slot
/// whose every path to the root goes through +, −, negation, or a product or quotient
/// with a subexpression that has no operands has a constant partial, so its row of q is
/// zero; only the other ("nonlinear") slots get a block (nonlinear_slots()), one row and
/// column per distinct operand among them (x[i]·x[i] is one), computed by running the
/// statement's program once on Dual numbers whose tangents are those operands' unit
/// vectors (a run of consecutive statements of one program at once, batched_interpreter.hpp).
/// A statement with more than max_cached_slots nonlinear slots (a
/// long product written as one expression) keeps no block: each product runs its program
/// on Dual numbers in the direction, as hvp does, which costs what its block would save.
///
/// When every statement keeps a block, a product does not sweep the whole recording: by the
/// second-order chain rule H = Σₛ adj(s)·Jₛᵀ·Qₛ·Jₛ, where Jₛ is the Jacobian of the block's
/// operands in the inputs, a block whose operands are inputs (a sum's term in the variables
/// themselves, as the command line's `sum(…)` records) is read once and added into H·v, and
/// only the cone below the other blocks' operands is swept (block_product()). A sum of
/// terms with a few statements beside it (a boundary term) so costs its blocks and those few.
/// Where that cone holds more than half the recording's operands (terms written in named
/// temporaries, a running sum inside a nonlinear function), the two sweeps are kept: they
/// measured as fast there, and the cone's list would cost its making at every point.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <numeric>
#include <span>
#include <vector>

#include "../../scalar/dual.hpp"
#include "../../support/error.hpp"
#include "batched_interpreter.hpp"
#include "interpreter.hpp"
#include "program.hpp"
#include "replay_record.hpp"

namespace tapegrad::detail {

// The leaf slots of a program whose partials are not constant, ascending (see the top of
// this file). Conservative: a Var operand that is a constant counts as an operand.
inline std::vector<std::uint16_t> nonlinear_slots(std::span<const ProgramNode> nodes) {
  std::vector<std::uint8_t> nonlinear(nodes.size(), 0);  // whether the root is nonlinear in node k
  std::vector<std::uint16_t> slots;
  for (std::size_t k = nodes.size(); k-- > 0;) {
    const ProgramNode& n = nodes[k];
    const std::uint8_t here = nonlinear[k];
    switch (n.op) {
      case OpCode::Neg:
        nonlinear[n.arg[0]] = here;
        break;
      case OpCode::Add:
      case OpCode::Sub:
        nonlinear[n.arg[0]] = here;
        nonlinear[n.arg[1]] = here;
        break;
      case OpCode::Mul:  // linear in a side while the other side has no operands
        nonlinear[n.arg[0]] = here | ((n.needs >> 1) & 1);
        nonlinear[n.arg[1]] = here | (n.needs & 1);
        break;
      case OpCode::Div:
        nonlinear[n.arg[0]] = here | ((n.needs >> 1) & 1);
        nonlinear[n.arg[1]] = 1;
        break;
      case OpCode::Leaf:
        if (here) slots.push_back(n.arg[0]);
        break;
      case OpCode::LeafConstant:
      case OpCode::Constant:
        break;
      default:
        for (int c = 0; c < op_arity(n.op); ++c) nonlinear[n.arg[c]] = 1;
        break;
    }
  }
  std::sort(slots.begin(), slots.end());
  return slots;
}

template <class T>
class LocalHessians {
 public:
  // The widest block kept; a statement with more nonlinear slots is differentiated at each product.
  static constexpr std::size_t max_cached_slots = 8;

  // At the point whose statement values, operand partials and adjoints (of the output)
  // are given, for the recording `record` with these operand arrays: computes each
  // statement's block and keeps what the products read (keep_for_products()). `end`: one past the last
  // statement; `recording`: a number that changes whenever the recording does (its programs with it). With
  // `products` false, only the blocks are wanted (for_each_block(), while the arrays given stay as they are):
  // nothing is copied, and product() may not be called.
  template <class Record>
  void prepare(const Record& record, std::size_t recording, const std::uint32_t* statement_end,
               const std::uint32_t* operand_index, const T* values, const T* partials, const T* adjoints,
               std::uint32_t end, bool products = true) {
    statement_end_ = statement_end;
    operand_index_ = operand_index;
    end_ = end;
    products_ = products;
    value_ = values;
    adjoint_ = adjoints;
    classify(record, recording);
    blocks_.clear();
    entries_.clear();
    direct_.clear();
    lane_operands_.clear();
    entry_lanes_.clear();
    for (std::uint32_t s = 1; s < end; ++s) {
      if (record.kind(s) != StatementKind::Program) continue;
      const std::uint32_t p = record.program_id(s);
      const std::vector<std::uint16_t>& slots = slots_[p];
      if (slots.empty()) continue;
      const T* numbers = record.statement_numbers(s).data();
      Entry e{s, no_block, static_cast<std::uint32_t>(lane_operands_.size()), 0};
      std::array<std::uint8_t, max_cached_slots> lane{};  // each nonlinear slot's lane (row of the block)
      if (slots.size() > max_cached_slots) {
        e.first_lane = static_cast<std::uint32_t>(direct_.size());
        direct_.push_back({p, numbers});
      } else {
        // One lane per distinct operand: x[i] written twice in a statement is one row.
        const std::uint32_t* operands = operand_index + statement_end[s - 1];
        for (std::size_t i = 0; i < slots.size(); ++i) {
          const std::uint32_t operand = operands[slots[i]];
          std::uint32_t l = 0;
          while (l < e.lanes && lane_operands_[e.first_lane + l] != operand) ++l;
          if (l == e.lanes) {
            lane_operands_.push_back(operand);
            ++e.lanes;
          }
          lane[i] = static_cast<std::uint8_t>(l);
        }
        e.block = static_cast<std::uint32_t>(blocks_.size());
        blocks_.resize(blocks_.size() + std::size_t{e.lanes} * e.lanes);
      }
      entries_.push_back(e);
      entry_lanes_.push_back(lane);
    }
    // The blocks: a run of consecutive statements of one program (a sum's terms) at once, across them
    // (batched_interpreter.hpp), any other statement alone.
    for (std::size_t i = 0; i < entries_.size();) {
      const Entry& e = entries_[i];
      if (e.block == no_block) {
        ++i;
        continue;
      }
      const std::uint32_t p = record.program_id(e.statement);
      const int width = e.lanes <= 2 ? 2 : (e.lanes <= 4 ? 4 : 8);
      std::size_t last = i + 1;
      while (last < entries_.size() && entries_[last].block != no_block &&
             entries_[last].statement == entries_[last - 1].statement + 1 &&
             record.program_id(entries_[last].statement) == p &&
             (entries_[last].lanes <= 2 ? 2 : (entries_[last].lanes <= 4 ? 4 : 8)) == width)
        ++last;
      if (width == 2)
        blocks<2>(record, p, i, last);
      else if (width == 4)
        blocks<4>(record, p, i, last);
      else
        blocks<8>(record, p, i, last);
      i = last;
    }
    if (products) keep_for_products(values, partials, adjoints);
  }

  // After prepare(), each block in recording order: visit(lane operands, block, adjoint),
  // the block's lanes × lanes entries row-major and its statement's adjoint. False, with
  // nothing visited, when a statement has no block (more than max_cached_slots slots).
  template <class Visit>
  bool for_each_block(Visit&& visit) const {
    if (!direct_.empty()) return false;
    for (const Entry& e : entries_)
      visit(std::span<const std::uint32_t>(lane_operands_.data() + e.first_lane, e.lanes),
            blocks_.data() + e.block, adjoint_[e.statement]);
    return true;
  }

  // H·v: v indexed by input (inputs[i] is input i's statement), hv likewise.
  template <class Record>
  void product(const Record& record, std::span<const std::uint32_t> inputs, const T* v, T* hv) {
    if (!products_) throw Error("LocalHessians: prepared for its blocks only, not for products");
    if (by_blocks_) return block_product(inputs, v, hv);
    try {
      sweeps(record, inputs, v, hv);
    } catch (...) {  // a statement run on Duals threw midway: start the next product clean
      adjoint_tangent_.assign(end_, T(0));
      throw;
    }
  }

 private:
  static constexpr std::uint32_t no_block = 0xffffffff;
  // A statement with nonlinear slots. With a block, its `lanes` distinct operands in them
  // are lane_operands_[first_lane …]; without one, first_lane indexes direct_.
  struct Entry {
    std::uint32_t statement;
    std::uint32_t block;  // where its lanes × lanes block starts in blocks_, or no_block
    std::uint32_t first_lane;
    std::uint32_t lanes;
  };
  // A statement without a block: what running its program needs.
  struct Direct {
    std::uint32_t program;
    const T* numbers;
  };

  // What the products read after prepare() returns, when the arrays given may change (a later replay).
  // Without a statement lacking a block: the blocks, the statements' adjoints and the partials of the
  // statements below the blocks' operands that are not inputs (the cone: block_product()); else copies of
  // the values, partials and adjoints for the two sweeps.
  void keep_for_products(const T* values, const T* partials, const T* adjoints) {
    adjoints_.assign(adjoints, adjoints + end_);
    adjoint_ = adjoints_.data();
    places_for_ = nullptr;
    without_operands_.clear();
    by_blocks_ = direct_.empty() && find_cone();
    if (by_blocks_) {
      values_.clear();
      partials_.clear();
      value_ = nullptr;
      cone_end_.assign(1, 0);
      cone_partials_.clear();
      for (const std::uint32_t s : cone_) {
        cone_partials_.insert(cone_partials_.end(), partials + statement_end_[s - 1],
                              partials + statement_end_[s]);
        cone_end_.push_back(static_cast<std::uint32_t>(cone_partials_.size()));
      }
      if (!cone_.empty()) {
        tangent_.assign(end_, T(0));
        adjoint_tangent_.assign(end_, T(0));
      }
      return;
    }
    values_.assign(values, values + end_);
    partials_.assign(partials, partials + statement_end_[end_ - 1]);
    value_ = values_.data();
    // A product writes the tangent of every statement with operands and of every input;
    // the others (constants) stay 0. It leaves the adjoints' tangents 0 where it read them,
    // and clears those of the statements without operands (inputs, constants) itself.
    tangent_.assign(end_, T(0));
    adjoint_tangent_.assign(end_, T(0));
    for (std::uint32_t s = 1; s < end_; ++s)
      if (statement_end_[s - 1] == statement_end_[s]) without_operands_.push_back(s);
  }

  // Sorts the entries into those whose block operands are all inputs or constants and the others, and finds
  // the others' cone: their operands that are statements with operands, and everything those read down to
  // the inputs (cone_, ascending). False when the cone holds more than half the recording's operands: the
  // two sweeps then cost no more than block_product(), and keep no list.
  bool find_cone() {
    const auto has_operands = [this](std::uint32_t s) { return statement_end_[s - 1] != statement_end_[s]; };
    leaf_entries_.clear();
    mixed_entries_.clear();
    std::vector<std::uint8_t> in_cone(end_, 0);
    std::uint32_t top = 0;
    for (std::uint32_t i = 0; i < entries_.size(); ++i) {
      const Entry& e = entries_[i];
      bool mixed = false;
      for (std::uint32_t l = e.first_lane; l < e.first_lane + e.lanes; ++l)
        if (has_operands(lane_operands_[l])) {
          mixed = true;
          in_cone[lane_operands_[l]] = 1;
          top = std::max(top, lane_operands_[l]);
        }
      (mixed ? mixed_entries_ : leaf_entries_).push_back(i);
    }
    cone_.clear();
    std::size_t cone_operands = 0;
    for (std::uint32_t s = top; s > 0; --s) {
      if (!in_cone[s]) continue;
      cone_operands += statement_end_[s] - statement_end_[s - 1];
      for (std::uint32_t o = statement_end_[s - 1]; o < statement_end_[s]; ++o)
        if (has_operands(operand_index_[o])) in_cone[operand_index_[o]] = 1;
    }
    if (2 * cone_operands > statement_end_[end_ - 1]) return false;
    for (std::uint32_t s = 1; s <= top; ++s)
      if (in_cone[s]) cone_.push_back(s);
    return true;
  }

  // H·v by the second-order chain rule, H = Σₛ adj(s)·Jₛᵀ·Qₛ·Jₛ (Jₛ: the Jacobian of statement s's block
  // operands in the inputs): the statements' linear slots have no second derivative, and an input's row
  // of Jₛ is a unit vector. A block whose operands are all inputs (a sum's term in the variables themselves,
  // as the command line's `sum(…)` records) is read once, its product added straight into hv; the
  // tangents Jₛ·v of the other blocks' operands come from a forward pass over their cone alone, and their
  // products go back down the cone in reverse. Where the two sweeps pass over every operand of the
  // recording twice, this reads the blocks and the cone, often a small part of it.
  void block_product(std::span<const std::uint32_t> inputs, const T* v, T* hv) {
    if (places_for_ != inputs.data() || places_size_ != inputs.size()) {
      // Each statement's place among the inputs, not_an_input for a constant, with_operands for the rest.
      place_.assign(end_, not_an_input);
      for (std::uint32_t s = 1; s < end_; ++s)
        if (statement_end_[s - 1] != statement_end_[s]) place_[s] = with_operands;
      for (std::size_t i = 0; i < inputs.size(); ++i) place_[inputs[i]] = static_cast<std::uint32_t>(i);
      lane_inputs_.resize(lane_operands_.size());
      for (std::size_t l = 0; l < lane_operands_.size(); ++l) lane_inputs_[l] = place_[lane_operands_[l]];
      places_for_ = inputs.data();
      places_size_ = inputs.size();
    }
    std::fill(hv, hv + inputs.size(), T(0));
    for (auto i = leaf_entries_.rbegin(); i != leaf_entries_.rend(); ++i) {
      const Entry& e = entries_[*i];
      switch (e.lanes) {  // the usual widths with the block's size known, so that w stays in registers
        case 1:
          add_block_product<1>(e, v, hv);
          break;
        case 2:
          add_block_product<2>(e, v, hv);
          break;
        case 3:
          add_block_product<3>(e, v, hv);
          break;
        case 4:
          add_block_product<4>(e, v, hv);
          break;
        default:
          add_block_product<max_cached_slots>(e, v, hv);
      }
    }
    if (mixed_entries_.empty()) return;
    // The tangents along v: the inputs', then the cone's in recording order (constants stay 0).
    T* t = tangent_.data();
    for (std::size_t i = 0; i < inputs.size(); ++i) t[inputs[i]] = v[i];
    for (std::size_t c = 0; c < cone_.size(); ++c) {
      const std::uint32_t s = cone_[c];
      const std::uint32_t* index = operand_index_ + statement_end_[s - 1];
      T sum = T(0);
      for (std::uint32_t o = cone_end_[c]; o < cone_end_[c + 1]; ++o) sum += cone_partials_[o] * t[*index++];
      t[s] = sum;
    }
    // The other blocks' products and the cone's adjoint tangents, from the last statement down: a cone
    // statement has had every contribution when its turn comes, from the blocks and the cone above it.
    T* a = adjoint_tangent_.data();
    const auto add = [&](std::uint32_t s, T x) {
      const std::uint32_t at = place_[s];
      if (at < inputs.size())
        hv[at] += x;
      else if (at == with_operands)
        a[s] += x;
    };
    std::size_t m = mixed_entries_.size(), c = cone_.size();
    while (m > 0 || c > 0) {
      const std::uint32_t entry_statement = m > 0 ? entries_[mixed_entries_[m - 1]].statement : 0;
      if (c == 0 || entry_statement >= cone_[c - 1]) {
        const Entry& e = entries_[mixed_entries_[--m]];
        const std::size_t k = e.lanes;
        const T* q = blocks_.data() + e.block;
        const std::uint32_t* lanes = lane_operands_.data() + e.first_lane;
        const T adjoint = adjoint_[e.statement];
        for (std::size_t i = 0; i < k; ++i) {
          T sum = T(0);
          for (std::size_t j = 0; j < k; ++j) sum += q[i * k + j] * t[lanes[j]];
          add(lanes[i], adjoint * sum);
        }
      } else {
        const std::uint32_t s = cone_[--c];
        const T as = a[s];
        a[s] = T(0);
        const std::uint32_t* index = operand_index_ + statement_end_[s - 1];
        for (std::uint32_t o = cone_end_[c]; o < cone_end_[c + 1]; ++o) add(*index++, cone_partials_[o] * as);
      }
    }
  }

  // hv += adj(s)·Qₛ·v on one block of at most K lanes.
  template <std::size_t K>
  void add_block_product(const Entry& e, const T* v, T* hv) const {
    const std::size_t k = K == max_cached_slots ? e.lanes : K;
    const T* q = blocks_.data() + e.block;
    const std::uint32_t* place = lane_inputs_.data() + e.first_lane;
    std::array<T, K> w;
    for (std::size_t j = 0; j < k; ++j) w[j] = place[j] == not_an_input ? T(0) : v[place[j]];
    const T adjoint = adjoint_[e.statement];
    for (std::size_t i = 0; i < k; ++i) {
      T sum = T(0);
      for (std::size_t j = 0; j < k; ++j) sum += q[i * k + j] * w[j];
      if (place[i] != not_an_input) hv[place[i]] += adjoint * sum;
    }
  }

  template <class Record>
  void sweeps(const Record& record, std::span<const std::uint32_t> inputs, const T* v, T* hv) {
    const std::uint32_t* end = statement_end_;
    const std::uint32_t* index = operand_index_;
    const T* p = partials_.data();
    T* t = tangent_.data();
    for (std::size_t i = 0; i < inputs.size(); ++i) t[inputs[i]] = v[i];
    for (std::uint32_t s = 1; s < end_; ++s) {
      const std::uint32_t begin = end[s - 1], stop = end[s];
      if (begin == stop) continue;  // an input keeps its direction, a constant 0
      T sum = T(0);
      for (std::uint32_t o = begin; o < stop; ++o) sum += p[o] * t[index[o]];
      t[s] = sum;
    }
    T* a = adjoint_tangent_.data();
    std::size_t next = entries_.size();  // entries_ below `next` are at statements not yet swept
    for (std::uint32_t s = end_ - 1; s > 0; --s) {
      const std::uint32_t begin = end[s - 1], stop = end[s];
      if (begin == stop) continue;  // an input or a constant (cleared below)
      const T as = a[s];
      a[s] = T(0);
      for (std::uint32_t o = begin; o < stop; ++o) a[index[o]] += p[o] * as;
      if (next > 0 && entries_[next - 1].statement == s) {
        const Entry& e = entries_[--next];
        const T adjoint = adjoint_[s];
        if (e.block != no_block) {
          const std::size_t k = e.lanes;
          const T* q = blocks_.data() + e.block;
          const std::uint32_t* lanes = lane_operands_.data() + e.first_lane;
          for (std::size_t i = 0; i < k; ++i) {
            T sum = T(0);
            for (std::size_t j = 0; j < k; ++j) sum += q[i * k + j] * t[lanes[j]];
            a[lanes[i]] += adjoint * sum;
          }
        } else {
          directional(record, direct_[e.first_lane], s, begin, stop, adjoint);
        }
      }
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) hv[i] = a[inputs[i]];
    for (const std::uint32_t s : without_operands_) a[s] = T(0);
  }

  // Each program's nonlinear slots, found once per recording.
  template <class Record>
  void classify(const Record& record, std::size_t recording) {
    if (classified_ && classified_for_ == recording) return;
    slots_.assign(record.num_programs(), {});
    std::size_t widest = 0;
    for (std::uint32_t p = 0; p < record.num_programs(); ++p) {
      slots_[p] = nonlinear_slots(record.program_nodes(p));
      for (const ProgramNode& n : record.program_nodes(p))
        if (n.op == OpCode::Leaf || n.op == OpCode::LeafConstant)
          widest = std::max<std::size_t>(widest, n.arg[0] + 1u);
    }
    identity_.resize(widest);
    std::iota(identity_.begin(), identity_.end(), 0u);
    classified_for_ = recording;
    classified_ = true;
  }

  // The blocks of entries first … last-1, consecutive statements of program p whose blocks are at most W
  // wide: across them at once when there are enough, else one by one; the same bits either way.
  template <int W, class Record>
  void blocks(const Record& record, std::uint32_t p, std::size_t first, std::size_t last) {
    using D = Dual<T, W>;
    const std::span<const ProgramNode> nodes = record.program_nodes(p);
    const auto count = static_cast<std::uint32_t>(nodes.size());
    const auto m = static_cast<std::uint32_t>(last - first);
    if (m >= min_batched_run && batchable(nodes.data(), count)) {
      // Statement s0 + j - 1 of the run is statement j of the batch (0: the one before it, whose operands end
      // where the run's begin), its operands at their positions from the run's first.
      const std::uint32_t s0 = entries_[first].statement;
      const std::uint32_t base = statement_end_[s0 - 1], total = statement_end_[s0 + m - 1] - base;
      const T* numbers = record.statement_numbers(s0).data();
      batch_end_.resize(m + 1);
      batch_numbers_.resize(m + 1);
      for (std::uint32_t j = 0; j <= m; ++j) {
        batch_end_[j] = statement_end_[s0 - 1 + j] - base;
        batch_numbers_[j] =
            j == 0 ? 0 : static_cast<std::uint32_t>(record.statement_numbers(s0 - 1 + j).data() - numbers);
      }
      Scratch<D>& scratch = dual_scratch<W>();
      scratch.in.resize(total);
      scratch.partial.resize(total);
      for (std::uint32_t o = 0; o < total; ++o) scratch.in[o] = D(value_[operand_index_[base + o]]);
      for (std::size_t i = first; i < last; ++i) {
        const std::vector<std::uint16_t>& slots = slots_[p];
        D* in = scratch.in.data() + (statement_end_[entries_[i].statement - 1] - base);
        for (std::size_t k = 0; k < slots.size(); ++k) in[slots[k]].set_tangent(entry_lanes_[i][k], T(1));
      }
      if (run_program_batch<D, T>(nodes.data(), count, numbers, batch_numbers_.data(), batch_end_.data(),
                                  operand_index_, nullptr, scratch.partial.data(), 1, m + 1,
                                  batch_scratch<W>(), scratch.in.data())) {
        for (std::size_t i = first; i < last; ++i)
          add_block(entries_[i], p, entry_lanes_[i],
                    scratch.partial.data() + (statement_end_[entries_[i].statement - 1] - base));
        return;
      }
      // A kink on another piece than in the replay: one by one, to say which.
    }
    for (std::size_t i = first; i < last; ++i)
      block<W>(record, p, record.statement_numbers(entries_[i].statement).data(), entries_[i],
               entry_lanes_[i]);
  }

  // Adds a statement's slots' tangents (its partials on Duals seeded by lane) into its block.
  template <class D>
  void add_block(const Entry& e, std::uint32_t program,
                 const std::array<std::uint8_t, max_cached_slots>& lane, const D* partial) {
    const std::vector<std::uint16_t>& slots = slots_[program];
    T* q = blocks_.data() + e.block;
    for (std::size_t i = 0; i < slots.size(); ++i)
      for (std::uint32_t j = 0; j < e.lanes; ++j)
        q[std::size_t{lane[i]} * e.lanes + j] += partial[slots[i]].tangent(static_cast<int>(j));
  }

  // Statement e.statement's block: its program on Duals whose tangent lane[i] is 1 at
  // nonlinear slot i; a slot's partial then carries its row, and the rows of the slots of
  // one operand add up to that operand's.
  template <int W, class Record>
  void block(const Record& record, std::uint32_t program, const T* numbers, const Entry& e,
             const std::array<std::uint8_t, max_cached_slots>& lane) {
    using D = Dual<T, W>;
    const std::vector<std::uint16_t>& slots = slots_[program];
    const std::uint32_t begin = statement_end_[e.statement - 1], count = statement_end_[e.statement] - begin;
    Scratch<D>& scratch = dual_scratch<W>();
    if (scratch.in.size() < count) scratch.in.resize(count), scratch.partial.resize(count);
    for (std::uint32_t j = 0; j < count; ++j) scratch.in[j] = D(value_[operand_index_[begin + j]]);
    for (std::size_t i = 0; i < slots.size(); ++i) scratch.in[slots[i]].set_tangent(lane[i], T(1));
    run(record, program, numbers, e.statement, scratch.in.data(), scratch.partial.data(), scratch);
    add_block(e, program, lane, scratch.partial.data());
  }

  // A statement without a block, in the product's direction: ṗ for each nonlinear slot.
  template <class Record>
  void directional(const Record& record, const Direct& d, std::uint32_t statement, std::uint32_t begin,
                   std::uint32_t stop, T adjoint) {
    using D = Dual<T>;
    std::vector<D>& in = dual_scratch<1>().in;
    std::vector<D>& partial = dual_scratch<1>().partial;
    in.resize(stop - begin);
    partial.assign(stop - begin, D(T(0)));
    for (std::uint32_t j = 0; j < stop - begin; ++j)
      in[j] = D(value_[operand_index_[begin + j]], tangent_[operand_index_[begin + j]]);
    run(record, d.program, d.numbers, statement, in.data(), partial.data(), dual_scratch<1>());
    for (const std::uint16_t slot : slots_[d.program])
      adjoint_tangent_[operand_index_[begin + slot]] += adjoint * partial[slot].tangent();
  }

  template <class D>
  struct Scratch {
    std::vector<D> in, partial, node_value, node_adjoint;
  };
  template <int W>
  BatchScratch<Dual<T, W>>& batch_scratch() {
    if constexpr (W == 2)
      return batch2_;
    else if constexpr (W == 4)
      return batch4_;
    else
      return batch8_;
  }
  template <int W>
  Scratch<Dual<T, W>>& dual_scratch() {
    if constexpr (W == 1)
      return scratch1_;
    else if constexpr (W == 2)
      return scratch2_;
    else if constexpr (W == 4)
      return scratch4_;
    else
      return scratch8_;
  }

  template <class D, class Record>
  void run(const Record& record, std::uint32_t program, const T* numbers, std::uint32_t statement,
           const D* in, D* partial, Scratch<D>& scratch) {
    const std::span<const ProgramNode> nodes = record.program_nodes(program);
    scratch.node_value.resize(nodes.size());
    scratch.node_adjoint.resize(nodes.size());
    PieceChange change{};
    // The replay at this point has just passed every kink, on the same values.
    if (!run_program<D, T>(nodes.data(), static_cast<std::uint32_t>(nodes.size()), numbers, identity_.data(),
                           in, partial, scratch.node_value.data(), scratch.node_adjoint.data(), change))
      throw Error("RecordedFunction: statement ", statement,
                  "'s kink came out differently on Dual numbers than in the replay at the same point");
  }

  const std::uint32_t* statement_end_ = nullptr;
  const std::uint32_t* operand_index_ = nullptr;
  std::uint32_t end_ = 0;
  std::vector<T> values_, partials_, adjoints_;  // copies, when prepared for products (keep_for_products)
  const T* value_ = nullptr;  // the values and adjoints read: the copies, or the arrays given
  const T* adjoint_ = nullptr;
  bool products_ = false;
  bool by_blocks_ = false;  // products by block_product(), not sweeps()
  // block_product(): the entries whose block operands are all inputs or constants, and the others (indices
  // into entries_, ascending); the cone below the others' operands, ascending, with its statements'
  // partials (cone_end_: where each one's end in cone_partials_).
  std::vector<std::uint32_t> leaf_entries_, mixed_entries_, cone_, cone_end_;
  std::vector<T> cone_partials_;
  static constexpr std::uint32_t not_an_input = 0xffffffff, with_operands = 0xfffffffe;
  std::vector<std::uint32_t> place_;           // per statement: its input's place, or one of the two above
  std::vector<std::uint32_t> lane_inputs_;     // per lane operand, its place_
  const std::uint32_t* places_for_ = nullptr;  // the inputs place_ was made for
  std::size_t places_size_ = 0;
  std::vector<T> blocks_;       // each entry's k×k block, row-major
  std::vector<Entry> entries_;  // the statements with nonlinear slots, ascending
  std::vector<std::uint32_t> lane_operands_;
  std::vector<Direct> direct_;
  std::vector<std::uint32_t> without_operands_;
  std::vector<std::vector<std::uint16_t>> slots_;  // per program: its nonlinear slots
  std::vector<std::uint32_t> identity_;            // slot j reads in[j]
  std::size_t classified_for_ = 0;
  bool classified_ = false;
  std::vector<T> tangent_, adjoint_tangent_;
  Scratch<Dual<T, 1>> scratch1_;
  Scratch<Dual<T, 2>> scratch2_;
  Scratch<Dual<T, 4>> scratch4_;
  Scratch<Dual<T, 8>> scratch8_;
  // Batched blocks: each entry's slot lanes, a run's statement ends and numbers from its first.
  std::vector<std::array<std::uint8_t, max_cached_slots>> entry_lanes_;
  std::vector<std::uint32_t> batch_end_, batch_numbers_;
  BatchScratch<Dual<T, 2>> batch2_;
  BatchScratch<Dual<T, 4>> batch4_;
  BatchScratch<Dual<T, 8>> batch8_;
};

}  // namespace tapegrad::detail
