#include "sparse_jacobian.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "../replay/replay_tape.hpp"
#include "../scalar/sweep.hpp"
#include "compressed_matrix.hpp"
#include "pattern.hpp"

namespace tapegrad {
namespace detail {

// How many colors' tangents (or rows' adjoints) one sweep carries: 16, or fewer where the
// sweep's statements × this numbers would pass vector_sweep_bytes.
inline constexpr std::size_t jacobian_colors_per_sweep = 16;
inline constexpr std::size_t vector_sweep_bytes = std::size_t{256} << 20;
inline std::size_t per_sweep(std::size_t statements) {
  return std::clamp<std::size_t>(vector_sweep_bytes / (sizeof(double) * std::max<std::size_t>(statements, 1)),
                                 1, jacobian_colors_per_sweep);
}
// Column pairs (Σ over rows of the row's nonzeros squared) past which the pattern is not
// colored: 10⁹ is seconds of ColPack's work.
inline constexpr double max_coloring_pairs = 1e9;

struct SparseJacobianState {
  SparseJacobian::Function f;
  SparseJacobianOptions options;
  std::size_t n = 0, m = 0;

  std::unique_ptr<ReplayTape> tape;
  std::vector<std::uint32_t> inputs, outputs;  // outputs: 0 for a constant
  std::vector<double> constants;               // the constant outputs' values
  bool replayable = false;
  bool has_hooks = false;  // tensor operations: swept once per output

  SparsityPattern pattern;
  std::optional<ColumnColoring> coloring;
  std::size_t patterns_found = 0;
  CompressedIndices indices;

  std::vector<double> compressed;  // J·S, m × colors, column-major
  std::vector<double> tangents;    // statements × colors per sweep
  std::vector<double> row;         // one row of J (tensor recordings)

  // Records F at x on a new replay tape and finds the pattern there; colors again only if
  // it changed. Built aside and taken over only when all of it succeeded, so a throw
  // leaves the last recording whole. `branch_changed` as for SparseHessian.
  void record(std::span<const double> x, bool branch_changed) {
    auto recording = std::make_unique<ReplayTape>();
    std::vector<Var> xs(x.begin(), x.end());
    const std::vector<Var> ys = f(std::span<const Var>(xs));
    recording->release();
    if (patterns_found > 0 && ys.size() != m)
      throw Error("SparseJacobian: F returned " + std::to_string(m) + " outputs, then " +
                  std::to_string(ys.size()));
    std::vector<std::uint32_t> new_inputs, new_outputs(ys.size(), 0);
    std::vector<double> new_constants(ys.size(), 0.0);
    for (const Var& xi : xs) new_inputs.push_back(xi.index());
    for (std::size_t i = 0; i < ys.size(); ++i) {
      if (!ys[i].is_recorded()) {
        new_constants[i] = ys[i].value();
      } else if (!recording->is_valid_index(ys[i].index(), ys[i].generation())) {
        throw Error("SparseJacobian: output ", i,
                    " is not on the tape F was recorded on (a Var of another tape)");
      } else {
        new_outputs[i] = ys[i].index();
      }
    }
    const ReplayRecord<double>& record = recording->record();
    bool new_replayable = true;
    for (std::uint32_t s = 1; s < record.statements() && new_replayable; ++s)
      new_replayable = record.kind(s) != StatementKind::Opaque;
    const std::uint32_t last = recording->view().statements - 1;
    SparsityPattern found = jacobian_pattern(*recording, new_inputs, new_outputs, options.max_nonzeros);
    const bool changed = patterns_found == 0 || found != pattern;
    std::optional<ColumnColoring> new_coloring;
    CompressedIndices new_indices;
    if (changed) {
      // A distance-2 coloring visits, for every row, every pair of its columns: a few
      // dense rows make that quadratic in n, and then reverse sweeps (one per 16 rows)
      // cost less than the colors would anyway.
      double pairs = 0;
      for (std::size_t i = 0; i < found.rows; ++i) {
        const double len = static_cast<double>(found.row_begin[i + 1] - found.row_begin[i]);
        pairs += len * len;
      }
      if (pairs <= max_coloring_pairs) new_coloring = color_jacobian(found);
      new_indices = CompressedIndices(found);
    }
    // Nothing throws from here on.
    if (changed) {
      pattern = std::move(found);
      coloring = std::move(new_coloring);
      indices = std::move(new_indices);
    }
    if (changed || branch_changed) ++patterns_found;
    m = ys.size();
    inputs = std::move(new_inputs);
    outputs = std::move(new_outputs);
    constants = std::move(new_constants);
    replayable = new_replayable;
    has_hooks = last > 0 && recording->has_hooks_between(0, last);
    tape = std::move(recording);
  }

  // The recording at x: replayed, or recorded again where it does not replay or a branch
  // changed.
  void reach(std::span<const double> x) {
    if (x.size() != n)
      throw Error("SparseJacobian: x has " + std::to_string(x.size()) + " entries but F has " +
                  std::to_string(n) + " inputs");
    if (!replayable) return record(x, false);
    for (std::size_t i = 0; i < n; ++i) tape->set_input(inputs[i], x[i]);
    if (tape->try_replay().changed) record(x, true);
  }

  // J(x)·S into `compressed` by forward sweeps over the recorded partials.
  void compress() {
    const std::size_t colors = coloring->colors();
    compressed.assign(m * colors, 0.0);
    const RecordingArrays<const double> view = tape->view();
    const std::uint32_t last = view.statements - 1;
    const bool finite = partials_finite_between(view.statement_end, view.operand_partial, 0, last);
    const std::span<const int> color = coloring->color();
    for (std::size_t first = 0; first < colors;) {
      const std::size_t k = std::min(per_sweep(view.statements), colors - first);
      tangents.assign(std::size_t{view.statements} * k, 0.0);
      for (std::size_t i = 0; i < n; ++i) {
        const auto c = static_cast<std::size_t>(color[i]);
        if (c >= first && c < first + k) tangents[std::size_t{inputs[i]} * k + (c - first)] = 1;
      }
      sweep_rows_forward(view.statement_end, view.operand_index, view.operand_partial, tangents.data(), k, 0,
                         last, finite);
      for (std::size_t r = 0; r < m; ++r)
        if (outputs[r] != 0)
          for (std::size_t j = 0; j < k; ++j)
            compressed[(first + j) * m + r] = tangents[std::size_t{outputs[r]} * k + j];
      first += k;
    }
  }

  // The nonzeros of J(x) by reverse sweeps over the recorded partials, each carrying the
  // adjoints of several rows: for patterns with fewer rows than colors, or not colored.
  void rows_by_vector_sweeps(std::span<double> nonzeros) {
    const RecordingArrays<const double> view = tape->view();
    const std::uint32_t last = view.statements - 1;
    const bool finite = partials_finite_between(view.statement_end, view.operand_partial, 0, last);
    for (std::size_t first = 0; first < m;) {
      const std::size_t k = std::min(per_sweep(view.statements), m - first);
      tangents.assign(std::size_t{view.statements} * k, 0.0);
      for (std::size_t r = 0; r < k; ++r)
        if (outputs[first + r] != 0) tangents[std::size_t{outputs[first + r]} * k + r] = 1;
      sweep_rows_reverse(view.statement_end, view.operand_index, view.operand_partial, tangents.data(), k,
                         last, 0, finite);
      for (std::size_t r = 0; r < k; ++r) {
        const std::span<const std::uint32_t> columns = pattern.row(first + r);
        for (std::size_t c = 0; c < columns.size(); ++c)
          nonzeros[pattern.row_begin[first + r] + c] = tangents[std::size_t{inputs[columns[c]]} * k + r];
      }
      first += k;
    }
  }

  // The nonzeros of J(x) one row at a time, by reverse sweeps (recordings with tensor
  // operations, whose backward only the tape's own sweep runs).
  void rows_by_reverse_sweeps(std::span<double> nonzeros) {
    row.resize(n);
    for (std::size_t r = 0; r < m; ++r) {
      const std::span<const std::uint32_t> columns = pattern.row(r);
      if (columns.empty()) continue;
      const std::uint32_t out = outputs[r];
      tape->zero_adjoints(0, out);
      tape->adjoint_data()[out] = 1;
      tape->sweep(out, 0);
      const double* adjoint = tape->adjoint_data();
      for (std::size_t k = 0; k < columns.size(); ++k)
        nonzeros[pattern.row_begin[r] + k] = inputs[columns[k]] <= out ? adjoint[inputs[columns[k]]] : 0.0;
    }
  }

  void check_value_buffer(std::span<double> value) const {
    if (!value.empty() && value.size() != m)
      throw Error("SparseJacobian::values: the value's buffer has " + std::to_string(value.size()) +
                  " entries for " + std::to_string(m) + " outputs");
  }
  // J's nonzeros (and F's values) at the point the recording was last brought to.
  void fill(std::span<double> nonzeros, std::span<double> value) {
    if (nonzeros.size() != pattern.nonzeros())
      throw Error("SparseJacobian::values: the buffer has " + std::to_string(nonzeros.size()) +
                  " entries but the pattern has " + std::to_string(pattern.nonzeros()) +
                  " nonzeros (it changes when a branch changes: pass a std::vector, which values() resizes)");
    for (std::size_t r = 0; r < value.size(); ++r)
      value[r] = outputs[r] != 0 ? tape->replayed_value(outputs[r]) : constants[r];
    if (has_hooks) return rows_by_reverse_sweeps(nonzeros);
    if (!coloring || coloring->colors() > m) return rows_by_vector_sweeps(nonzeros);
    compress();
    coloring->recover(compressed, nonzeros);
  }
};

}  // namespace detail

SparseJacobian::SparseJacobian(Function f, std::span<const double> x0, SparseJacobianOptions options)
    : state_(std::make_unique<detail::SparseJacobianState>()) {
  state_->f = std::move(f);
  state_->options = options;
  state_->n = x0.size();
  state_->record(x0, false);
}
SparseJacobian::SparseJacobian(SparseJacobian&&) noexcept = default;
SparseJacobian& SparseJacobian::operator=(SparseJacobian&&) noexcept = default;
SparseJacobian::~SparseJacobian() = default;

std::size_t SparseJacobian::rows() const noexcept { return state_->m; }
std::size_t SparseJacobian::cols() const noexcept { return state_->n; }
const SparsityPattern& SparseJacobian::pattern() const noexcept { return state_->pattern; }
const ColumnColoring& SparseJacobian::coloring() const {
  if (!state_->coloring)
    throw Error(
        "SparseJacobian::coloring: the pattern was not colored (its rows are dense enough that reverse "
        "sweeps, 16 rows each, cost less)");
  return *state_->coloring;
}
std::size_t SparseJacobian::colors() const noexcept {
  return state_->coloring ? state_->coloring->colors() : 0;
}
std::size_t SparseJacobian::patterns_found() const noexcept { return state_->patterns_found; }

void SparseJacobian::values(std::span<const double> x, std::span<double> nonzeros, std::span<double> value) {
  state_->check_value_buffer(value);
  state_->reach(x);
  state_->fill(nonzeros, value);
}

void SparseJacobian::values(std::span<const double> x, std::vector<double>& nonzeros,
                            std::span<double> value) {
  state_->check_value_buffer(value);
  state_->reach(x);
  nonzeros.resize(state_->pattern.nonzeros());
  state_->fill(nonzeros, value);
}

Eigen::SparseMatrix<double> SparseJacobian::matrix(std::span<const double> nonzeros) const {
  if (nonzeros.size() != state_->pattern.nonzeros())
    throw Error("SparseJacobian::matrix: ", nonzeros.size(), " values for a pattern of ",
                state_->pattern.nonzeros(), " nonzeros");
  return state_->indices.matrix(nonzeros);
}

Eigen::SparseMatrix<double> SparseJacobian::at(std::span<const double> x) {
  state_->reach(x);
  std::vector<double> nonzeros(state_->pattern.nonzeros());
  state_->fill(nonzeros, {});
  return state_->indices.matrix(nonzeros);
}

}  // namespace tapegrad
