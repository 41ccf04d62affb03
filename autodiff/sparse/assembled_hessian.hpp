/// \file
/// detail: a Hessian assembled from each statement's local Hessian, SparseHessian's way
/// wherever the recording allows it (sparse_hessian.cpp).
///
/// ∇²f = Σₛ adj(s)·Jₛᵀ qₛ Jₛ over the statements s of a recording, where qₛ holds the
/// second partials of s's expression in the operands it is nonlinear in (its block,
/// replay/detail/local_hessians.hpp) and Jₛ is those operands' Jacobian in the inputs. An
/// operand that is an input has a row of the identity there. One that is an earlier
/// statement — a named temporary, `T r = (3 - 2*x[i])*x[i] + 1; r -= x[i-1]; f += r*r;` —
/// has the row ∂r/∂inputs, which in a function made of small terms reaches a few inputs: it
/// is kept as a short sparse row, accumulated forward from the statements' partials at each
/// point. Each block, times its statement's adjoint and its operands' rows, then adds into
/// H at the inputs' places: with the replay and the sweep that the gradient takes anyway,
/// the blocks (each run of a sum's terms at once) and the rows are all the work, where the
/// colored passes replay and sweep the whole recording on Dual numbers of up to 8 tangents.
/// Only x's inputs are kept in rows (a constant's or a parameter's row in x is zero). A
/// recording in which such a row would reach more than max_row_inputs inputs (a term
/// nonlinear in a running sum), or whose scatter list would be longer than its bound, is
/// left to the colored passes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "../replay/detail/local_hessians.hpp"
#include "../replay/replay_tape.hpp"
#include "coloring.hpp"

namespace tapegrad::detail {

class AssembledHessian {
 public:
  // The most inputs a kept row may reach.
  static constexpr std::size_t max_row_inputs = 16;

  // Whether H of `recording` in the inputs `x_inputs` (their statements) can be
  // assembled; finds the rows to keep. Once per recording.
  bool analyze(const ReplayTape& recording, std::span<const std::uint32_t> x_inputs) {
    const ReplayRecord<double>& record = recording.record();
    const RecordingArrays<const double> view = recording.view();
    const std::uint32_t end = view.statements;
    const std::uint32_t* statement_end = view.statement_end;
    const std::uint32_t* operand_index = view.operand_index;
    std::vector<std::vector<std::uint16_t>> slots(record.num_programs());
    std::vector<bool> classified(record.num_programs(), false);
    // The statements whose rows are kept: operands that blocks are nonlinear in and are
    // not inputs, then, backwards, the statements those are made of.
    std::vector<bool> kept(end, false);
    for (std::uint32_t s = 1; s < end; ++s) {
      const StatementKind kind = record.kind(s);
      if (kind == StatementKind::Input) continue;
      if (kind != StatementKind::Program) return false;  // tensor operations, custom ops
      const std::uint32_t p = record.program_id(s);
      if (!classified[p]) {
        slots[p] = nonlinear_slots(record.program_nodes(p));
        classified[p] = true;
        if (slots[p].size() > LocalHessians<double>::max_cached_slots) return false;  // no block
      }
      for (const std::uint16_t slot : slots[p]) {
        const std::uint32_t o = operand_index[statement_end[s - 1] + slot];
        if (record.kind(o) != StatementKind::Input) kept[o] = true;
      }
    }
    for (std::uint32_t s = end; s-- > 1;)
      if (kept[s])
        for (std::uint32_t k = statement_end[s - 1]; k < statement_end[s]; ++k)
          if (record.kind(operand_index[k]) != StatementKind::Input) kept[operand_index[k]] = true;
    // Each kept row's inputs among x (sorted), and where each term that forms it goes
    // among them; an input that is not one of x (a constant, a parameter) is left out.
    position_.assign(end, not_stored);
    for (std::size_t i = 0; i < x_inputs.size(); ++i) position_[x_inputs[i]] = static_cast<std::uint32_t>(i);
    const auto in_x = [&](std::uint32_t o) { return position_[o] != not_stored; };
    row_of_.assign(end, no_row);
    rows_.clear();
    row_inputs_.clear();
    row_terms_.clear();
    std::vector<std::uint32_t> merged;
    for (std::uint32_t s = 1; s < end; ++s) {
      if (!kept[s]) continue;
      merged.clear();
      for (std::uint32_t k = statement_end[s - 1]; k < statement_end[s]; ++k) {
        const std::uint32_t o = operand_index[k];
        if (row_of_[o] == no_row) {
          if (in_x(o)) merged.push_back(o);
        } else {
          merged.insert(merged.end(), row_inputs_.begin() + rows_[row_of_[o]].begin,
                        row_inputs_.begin() + rows_[row_of_[o]].end);
        }
      }
      std::sort(merged.begin(), merged.end());
      merged.erase(std::unique(merged.begin(), merged.end()), merged.end());
      if (merged.size() > max_row_inputs) return false;
      const auto place = [&](std::uint32_t input) {
        return static_cast<std::uint32_t>(std::lower_bound(merged.begin(), merged.end(), input) -
                                          merged.begin());
      };
      for (std::uint32_t k = statement_end[s - 1]; k < statement_end[s]; ++k) {
        const std::uint32_t o = operand_index[k];
        if (row_of_[o] == no_row) {
          row_terms_.push_back(in_x(o) ? place(o) : not_stored);
        } else {
          const Row& r = rows_[row_of_[o]];
          for (std::uint32_t e = r.begin; e < r.end; ++e) row_terms_.push_back(place(row_inputs_[e]));
        }
      }
      row_of_[s] = static_cast<std::uint32_t>(rows_.size());
      const auto begin = static_cast<std::uint32_t>(row_inputs_.size());
      row_inputs_.insert(row_inputs_.end(), merged.begin(), merged.end());
      rows_.push_back({s, begin, static_cast<std::uint32_t>(row_inputs_.size())});
    }
    scatter_.clear();
    scatter_made_ = scatter_usable_ = false;
    return true;
  }

  // H's nonzeros in `pattern`'s order into `nonzeros`, at the point `tape` (the recording
  // analyze() was given) was last replayed and swept at: its values, partials and
  // adjoints. `recording`: a number that changes with the recording. False when the
  // scatter list would be too long (the caller then colors).
  bool assemble(ReplayTape& tape, std::size_t recording, const SparsityPattern& pattern,
                std::vector<double>& nonzeros) {
    const KernelArgs<double> a = tape.kernel_args();
    const std::uint32_t end = tape.view().statements;
    blocks_.prepare(tape.record(), recording, a.statement_end, a.operand_index, a.values, a.partials,
                    tape.adjoint_data(), end, /*products=*/false);
    // The kept rows at this point: each statement's partials times its operands' rows.
    row_values_.assign(row_inputs_.size(), 0.0);
    std::size_t t = 0;
    for (const Row& r : rows_) {
      double* row = row_values_.data() + r.begin;
      for (std::uint32_t k = a.statement_end[r.statement - 1]; k < a.statement_end[r.statement]; ++k) {
        const double partial = a.partials[k];
        const std::uint32_t o = a.operand_index[k];
        if (row_of_[o] == no_row) {
          const std::uint32_t at = row_terms_[t++];
          if (at != not_stored) row[at] += partial;
        } else {
          const Row& from = rows_[row_of_[o]];
          for (std::uint32_t e = from.begin; e < from.end; ++e)
            row[row_terms_[t++]] += partial * row_values_[e];
        }
      }
    }
    if (!scatter_made_) scatter_usable_ = make_scatter(pattern, end);
    if (!scatter_usable_) return false;
    nonzeros.assign(pattern.nonzeros(), 0.0);
    std::size_t k = 0;
    const double one = 1.0;
    blocks_.for_each_block([&](std::span<const std::uint32_t> lanes, const double* q, double adjoint) {
      const std::size_t m = lanes.size();
      for (std::size_t i = 0; i < m; ++i) {
        const std::span<const double> ri = row_values(lanes[i], one);
        for (std::size_t j = 0; j < m; ++j) {
          const double w = adjoint * q[i * m + j];
          const std::span<const double> rj = row_values(lanes[j], one);
          for (const double ja : ri)
            for (const double jb : rj) {
              const std::uint32_t at = scatter_[k++];
              if (at != not_stored) nonzeros[at] += w * ja * jb;
            }
        }
      }
    });
    return true;
  }

 private:
  static constexpr std::uint32_t no_row = 0xffffffff, not_stored = 0xffffffff;
  // A kept row: statement's inputs are row_inputs_[begin, end), its values row_values_ there.
  struct Row {
    std::uint32_t statement, begin, end;
  };

  // The inputs that lane operand `o` (a reference into the lanes) reaches: itself when it
  // is an input, else its row's.
  std::span<const std::uint32_t> row_inputs(const std::uint32_t& o) const {
    if (row_of_[o] == no_row) return {&o, 1};
    const Row& r = rows_[row_of_[o]];
    return {row_inputs_.data() + r.begin, r.end - r.begin};
  }
  // Their values: 1 for an input, else the row's.
  std::span<const double> row_values(std::uint32_t o, const double& one) const {
    if (row_of_[o] == no_row) return {&one, 1};
    const Row& r = rows_[row_of_[o]];
    return {row_values_.data() + r.begin, r.end - r.begin};
  }

  // Where each term of the assembly goes among the pattern's nonzeros (not_stored: an
  // input that is not one of x, or a pair no rule makes nonzero, x·y + z·z's x and z,
  // whose term is 0). Bounded by the work the colored passes would do, so that many wide
  // rows met in one statement do not take unbounded memory.
  bool make_scatter(const SparsityPattern& pattern, std::uint32_t end) {
    const std::size_t most = 64 * (std::size_t{end} + pattern.nonzeros());
    scatter_.clear();
    bool within = true;
    const bool every_block =
        blocks_.for_each_block([&](std::span<const std::uint32_t> lanes, const double*, double) {
          for (std::size_t li = 0; li < lanes.size(); ++li)
            for (std::size_t lj = 0; lj < lanes.size(); ++lj)
              for (const std::uint32_t ia : row_inputs(lanes[li]))
                for (const std::uint32_t ib : row_inputs(lanes[lj])) {
                  const std::uint32_t i = position_[ia], j = position_[ib];
                  std::uint32_t at = not_stored;
                  if (i != not_stored && j != not_stored) {
                    const auto first =
                        pattern.columns.begin() + static_cast<std::ptrdiff_t>(pattern.row_begin[i]);
                    const auto last =
                        pattern.columns.begin() + static_cast<std::ptrdiff_t>(pattern.row_begin[i + 1]);
                    const auto found = std::lower_bound(first, last, j);
                    if (found != last && *found == j)
                      at = static_cast<std::uint32_t>(found - pattern.columns.begin());
                  }
                  if (scatter_.size() < most)
                    scatter_.push_back(at);
                  else
                    within = false;
                }
        });
    scatter_made_ = true;
    return within && every_block;
  }

  LocalHessians<double> blocks_;
  std::vector<std::uint32_t> position_;    // per statement: its place in x, or not_stored
  std::vector<std::uint32_t> row_of_;      // per statement: its row in rows_, or no_row
  std::vector<Row> rows_;                  // in statement order
  std::vector<std::uint32_t> row_inputs_;  // each row's input statements among x, sorted
  std::vector<std::uint32_t> row_terms_;   // where each term of each row's sum goes in it, or not_stored
  std::vector<double> row_values_;
  std::vector<std::uint32_t> scatter_;
  bool scatter_made_ = false, scatter_usable_ = false;
};

}  // namespace tapegrad::detail
