#include "sparse_hessian.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string>

#include "../replay/replay_tape.hpp"
#include "../scalar/gradient.hpp"
#include "../scalar/sweep.hpp"
#include "assembled_hessian.hpp"
#include "compressed_matrix.hpp"
#include "pattern.hpp"

namespace tapegrad {
namespace detail {

// The widths a replayed pass runs at: the narrowest that holds the colors left, so a
// Hessian of 3 colors does not pay for 8.
template <int W>
struct DualBuffers {
  std::vector<Dual<double, W>> values, partials, adjoints;
  std::size_t filled_for = 0;  // the recording whose values `values` holds (0: none)
};

struct SparseHessianState {
  SparseHessian::Function f;
  SparseHessian::WideFunction wide;
  SparseHessianOptions options;
  std::size_t n = 0;
  // f's parameters after x: their current values and their input statements.
  std::vector<double> parameters;
  std::vector<std::uint32_t> parameter_inputs;

  std::unique_ptr<ReplayTape> tape;
  std::vector<std::uint32_t> inputs;
  std::uint32_t output = 0;  // 0: f is a constant
  double constant_value = 0;
  bool replayable = false;

  SparsityPattern pattern;
  // The pattern's coloring, made when first needed (colored()): an assembled Hessian reads none.
  std::optional<ColumnColoring> coloring;
  std::size_t patterns_found = 0;
  std::size_t recordings = 0;  // numbers each recording, for DualBuffers::filled_for
  CompressedIndices indices;   // the pattern as Eigen's index arrays

  std::vector<double> compressed;  // H·S, n × colors, column-major

  // Whether H is assembled from each statement's local Hessian (assembled_hessian.hpp)
  // instead of the colored passes, and what that keeps.
  bool assembles = false;
  AssembledHessian assembly;
  std::vector<double> assembled;  // H's nonzeros in the pattern's order, when assembled
  bool last_assembled = false;    // whether compute() assembled them (else `compressed`)
  DualBuffers<2> narrow;
  DualBuffers<4> middle;
  DualBuffers<vector_width> wide_buffers;

  // Records f at x on a new replay tape and finds the pattern there; colors again only
  // if it differs from the last one. Everything is built aside and taken over only when
  // all of it succeeded, so a throw (a pattern over max_nonzeros, f throwing) leaves the
  // last recording whole. `branch_changed`: a replay found a changed branch at x (which
  // patterns_found counts; a function that does not replay is recorded at every point,
  // and counted only when its pattern changes).
  void record(std::span<const double> x, bool branch_changed) {
    auto recording = std::make_unique<ReplayTape>();
    std::vector<Var> xs(x.begin(), x.end());
    xs.insert(xs.end(), parameters.begin(), parameters.end());
    const Var y = f(std::span<const Var>(xs));
    recording->release();
    std::vector<std::uint32_t> new_inputs, new_parameter_inputs;
    for (std::size_t i = 0; i < xs.size(); ++i)
      (i < n ? new_inputs : new_parameter_inputs).push_back(xs[i].index());
    std::uint32_t new_output = 0;
    if (y.is_recorded()) {
      if (!recording->is_valid_index(y.index(), y.generation()))
        throw Error("SparseHessian: f's output is not on the tape f was recorded on (a Var of another tape)");
      new_output = y.index();
    }
    bool new_replayable = true;
    const detail::ReplayRecord<double>& record = recording->record();
    for (std::uint32_t s = 1; s < record.statements() && new_replayable; ++s)
      new_replayable = record.kind(s) == StatementKind::Input || record.kind(s) == StatementKind::Program;
    if (!new_replayable && !wide)
      throw Error(
          "SparseHessian: f records tensor operations or custom ops, which are differentiated twice by "
          "recording f on Dual numbers, and f was given on Vars only (no WideFunction): make the "
          "SparseHessian from f written generically ([](auto x) { … })");
    AssembledHessian new_assembly;
    const bool may_assemble = new_replayable && options.assembly != HessianAssembly::Never &&
                              new_assembly.analyze(*recording, new_inputs);
    SparsityPattern found = hessian_pattern(*recording, new_inputs, new_output, options.max_nonzeros);
    const bool changed = recordings == 0 || found != pattern;  // the first recording has no pattern before it
    // Under Auto, only where a row has more than 4 nonzeros (a band of 5 or wider, a 5-point
    // stencil): there the colored passes took more than 4 directions and the assembly did less
    // (on the Rosenbrock chain's tridiagonal Hessian, 3 colors, it measured about as fast or
    // slower; on Broyden's function written with named temporaries, pentadiagonal and 5 colors,
    // 1.1 -> 0.8 s for sparse Newton at n = 10^5). Decided on the pattern, not on the colors, so
    // that an assembled Hessian is never colored: ColPack's star coloring took a quarter of the
    // first sparse Newton step on Broyden's function at n = 10^5.
    std::size_t densest_row = 0;
    for (std::size_t i = 0; i < found.rows; ++i)
      densest_row = std::max(densest_row, found.row_begin[i + 1] - found.row_begin[i]);
    const bool new_assembles =
        may_assemble && (options.assembly == HessianAssembly::Always || densest_row > 4);
    std::optional<ColumnColoring> new_coloring;
    CompressedIndices new_indices;
    if ((changed || !coloring) && !new_assembles) new_coloring = color_hessian(found, options.coloring);
    if (changed) new_indices = CompressedIndices(found);
    // Nothing throws from here on.
    if (changed) {
      pattern = std::move(found);
      coloring = std::move(new_coloring);  // none for an assembled Hessian
      indices = std::move(new_indices);
    } else if (new_coloring) {
      coloring = std::move(new_coloring);
    }
    if (changed || branch_changed) ++patterns_found;
    inputs = std::move(new_inputs);
    parameter_inputs = std::move(new_parameter_inputs);
    output = new_output;
    constant_value = y.value();
    replayable = new_replayable;
    assembles = new_assembles;
    assembly = std::move(new_assembly);
    tape = std::move(recording);
    ++recordings;
  }

  // The pattern's coloring, made now if it was not (an assembled Hessian's, when asked for).
  const ColumnColoring& colored() {
    if (!coloring) coloring = color_hessian(pattern, options.coloring);
    return *coloring;
  }

  // H(x) assembled into `assembled`, ∇f(x) into `gradient` (when not empty), f(x) into
  // `value`; false when the replay found a changed branch.
  bool assembled_pass(std::span<const double> x, std::span<double> gradient, double& value) {
    ReplayRecord<double>& record = tape->record();
    double* values = record.values();
    for (std::size_t i = 0; i < n; ++i) values[inputs[i]] = x[i];
    for (std::size_t k = 0; k < parameters.size(); ++k) values[parameter_inputs[k]] = parameters[k];
    if (tape->try_replay().changed) return false;  // every partial kept: no sum runs
    value = values[output];
    tape->backward(Var(Var::Recorded{}, value, output, tape->generation()));
    if (!assembly.assemble(*tape, recordings, pattern, assembled)) {
      assembles = false;  // its scatter list would be too long: the colored passes serve
      compressed.assign(n * colored().colors(), 0.0);
      return replayed_passes(x, gradient, value);
    }
    if (!gradient.empty())
      for (std::size_t i = 0; i < n; ++i) gradient[i] = tape->adjoint_data()[inputs[i]];
    last_assembled = true;
    return true;
  }

  // One replayed pass at width W: columns first … first+W-1 of H·S (S's column c is the
  // sum of the unit vectors of color c), the gradient, and f(x) — or the change that
  // stops the replay.
  template <int W>
  ReplayChange replayed_pass(DualBuffers<W>& b, std::span<const double> x, std::size_t first,
                             std::span<double> gradient, double& value) {
    using D = Dual<double, W>;
    ReplayRecord<double>& record = tape->record();
    const RecordingArrays<const double> view = tape->view();
    const std::uint32_t end = view.statements;
    // A replay recomputes every program's value and leaves the other inputs (the
    // constants f made into Vars) as recorded: they are copied once per recording, and
    // each pass seeds only f's inputs.
    if (b.filled_for != recordings) {
      b.values.assign(record.values(), record.values() + end);
      b.filled_for = recordings;
    }
    seed(b.values.data(), x, first);
    b.partials.resize(tape->num_operands());
    const ReplayChange change = record.run(tape.get(), view.statement_end, view.operand_index,
                                           b.values.data(), b.partials.data(), end);
    if (change.changed) return change;
    b.adjoints.assign(end, D(0));
    b.adjoints[output] = D(1);
    sweep_plain(view.statement_end, view.operand_index, b.partials.data(), b.adjoints.data(), output, 0);
    gather(b.adjoints.data(), first, gradient);
    value = b.values[output].value();
    return change;
  }

  // A pass recorded afresh on Dual numbers (recordings that do not replay).
  double recorded_pass(std::span<const double> x, std::size_t first, std::span<double> gradient) {
    using D = Dual<double, vector_width>;
    BasicTape<D> wide_tape;
    std::vector<WideDualVar> xs(n + parameters.size());
    std::vector<D> seeded(n);
    seed(seeded.data(), x, first, /*indexed_by_input=*/true);
    for (std::size_t i = 0; i < n; ++i) xs[i] = seeded[i];
    for (std::size_t k = 0; k < parameters.size(); ++k) xs[n + k] = D(parameters[k]);
    const WideDualVar y = wide(std::span<const WideDualVar>(xs));
    std::vector<D> adjoints(n);
    tapegrad::gradient(y, std::span<const WideDualVar>(xs), std::span<D>(adjoints));
    gather_inputs(adjoints.data(), first, gradient);
    return y.value().value();
  }

  // The inputs' Duals: x with tangent k = 1 where the input's color is first + k.
  template <class D>
  void seed(D* values, std::span<const double> x, std::size_t first, bool indexed_by_input = false) {
    const std::span<const int> color = colored().color();
    for (std::size_t i = 0; i < n; ++i) {
      std::array<double, static_cast<std::size_t>(D::width)> t{};
      const auto c = static_cast<std::size_t>(color[i]);
      if (c >= first && c < first + t.size()) t[c - first] = 1;
      values[indexed_by_input ? i : inputs[i]] = D(x[i], t);
    }
    if (!indexed_by_input)  // the parameters, constant in x
      for (std::size_t k = 0; k < parameters.size(); ++k) values[parameter_inputs[k]] = D(parameters[k]);
  }
  // Columns first … of H·S from the inputs' adjoints (indexed by statement).
  template <class D>
  void gather(const D* adjoints, std::size_t first, std::span<double> gradient) {
    const std::size_t width =
        std::min<std::size_t>(D::width, colored().colors() - std::min(first, colored().colors()));
    for (std::size_t i = 0; i < n; ++i) {
      const D& a = adjoints[inputs[i]];
      if (first == 0 && !gradient.empty()) gradient[i] = a.value();
      for (std::size_t k = 0; k < width; ++k)
        compressed[(first + k) * n + i] = a.tangent(static_cast<int>(k));
    }
  }
  template <class D>
  void gather_inputs(const D* adjoints, std::size_t first, std::span<double> gradient) {
    const std::size_t width =
        std::min<std::size_t>(D::width, colored().colors() - std::min(first, colored().colors()));
    for (std::size_t i = 0; i < n; ++i) {
      if (first == 0 && !gradient.empty()) gradient[i] = adjoints[i].value();
      for (std::size_t k = 0; k < width; ++k)
        compressed[(first + k) * n + i] = adjoints[i].tangent(static_cast<int>(k));
    }
  }

  // Every pass at x; false when a replay found a changed branch (nothing is written then).
  bool replayed_passes(std::span<const double> x, std::span<double> gradient, double& value) {
    const std::size_t colors = colored().colors();
    for (std::size_t first = 0; first == 0 || first < colors;) {
      const std::size_t left = colors - std::min(first, colors);
      ReplayChange change;
      if (left <= 2) {
        change = replayed_pass(narrow, x, first, gradient, value);
        first += 2;
      } else if (left <= 4) {
        change = replayed_pass(middle, x, first, gradient, value);
        first += 4;
      } else {
        change = replayed_pass(wide_buffers, x, first, gradient, value);
        first += vector_width;
      }
      if (change.changed) return false;
    }
    return true;
  }

  // H(x)·S into `compressed`, ∇f(x) into `gradient` (when not empty); returns f(x). A
  // branch that changed at x records f again there, which may change the pattern.
  double compute(std::span<const double> x, std::span<double> gradient) {
    if (x.size() != n)
      throw Error("SparseHessian: x has " + std::to_string(x.size()) + " entries but f has " +
                  std::to_string(n) + " unknowns");
    if (!gradient.empty() && gradient.size() != n)
      throw Error("SparseHessian: the gradient's buffer has " + std::to_string(gradient.size()) +
                  " entries for " + std::to_string(n) + " unknowns");
    if (!replayable) record(x, false);
    last_assembled = false;
    for (int recorded_here = 0;; ++recorded_here) {
      if (!assembles || output == 0) compressed.assign(n * colored().colors(), 0.0);
      if (output == 0) {  // a constant
        std::fill(gradient.begin(), gradient.end(), 0.0);
        return constant_value;
      }
      double value = 0;
      if (!replayable) {
        for (std::size_t first = 0; first == 0 || first < colored().colors(); first += vector_width)
          value = recorded_pass(x, first, first == 0 ? gradient : std::span<double>());
        return value;
      }
      if (assembles ? assembled_pass(x, gradient, value) : replayed_passes(x, gradient, value)) return value;
      // A recording made at x holds at x, unless a comparison there involves a NaN.
      if (recorded_here > 0) throw Error("SparseHessian: f's recording at this point does not replay at it");
      record(x, true);
    }
  }

  // H's nonzeros at the point of the last compute(), in the pattern's order.
  void write_nonzeros(std::span<double> nonzeros) {
    if (last_assembled)
      std::copy(assembled.begin(), assembled.end(), nonzeros.begin());
    else
      colored().recover(compressed, nonzeros);
  }
};

}  // namespace detail

SparseHessian::SparseHessian(Function f, WideFunction wide, std::span<const double> x0,
                             SparseHessianOptions options)
    : SparseHessian(std::move(f), std::move(wide), x0, {}, options) {}

SparseHessian::SparseHessian(Function f, WideFunction wide, std::span<const double> x0,
                             std::span<const double> p0, SparseHessianOptions options)
    : state_(std::make_unique<detail::SparseHessianState>()) {
  state_->f = std::move(f);
  state_->wide = std::move(wide);
  state_->options = options;
  state_->n = x0.size();
  state_->parameters.assign(p0.begin(), p0.end());
  state_->record(x0, false);
}
SparseHessian::SparseHessian(SparseHessian&&) noexcept = default;
SparseHessian& SparseHessian::operator=(SparseHessian&&) noexcept = default;
SparseHessian::~SparseHessian() = default;

std::size_t SparseHessian::size() const noexcept { return state_->n; }
const SparsityPattern& SparseHessian::pattern() const noexcept { return state_->pattern; }
const ColumnColoring& SparseHessian::coloring() const { return state_->colored(); }
std::size_t SparseHessian::colors() const { return state_->colored().colors(); }
std::size_t SparseHessian::patterns_found() const noexcept { return state_->patterns_found; }
bool SparseHessian::replays() const noexcept { return state_->replayable; }
bool SparseHessian::from_local_hessians() const noexcept { return state_->replayable && state_->assembles; }
std::size_t SparseHessian::parameter_count() const noexcept { return state_->parameters.size(); }

void SparseHessian::set_parameters(std::span<const double> p) {
  if (p.size() != state_->parameters.size())
    throw Error("SparseHessian::set_parameters: ", p.size(), " values for f's ", state_->parameters.size(),
                " parameters");
  std::copy(p.begin(), p.end(), state_->parameters.begin());
}

double SparseHessian::values(std::span<const double> x, std::vector<double>& nonzeros,
                             std::span<double> gradient) {
  const double value = state_->compute(x, gradient);
  nonzeros.resize(state_->pattern.nonzeros());
  state_->write_nonzeros(nonzeros);
  return value;
}

double SparseHessian::values(std::span<const double> x, std::span<double> nonzeros,
                             std::span<double> gradient) {
  const double value = state_->compute(x, gradient);
  if (nonzeros.size() != state_->pattern.nonzeros())
    throw Error("SparseHessian::values: the buffer has " + std::to_string(nonzeros.size()) +
                " entries but the pattern has " + std::to_string(state_->pattern.nonzeros()) +
                " nonzeros (it changes when a branch changes: pass a std::vector, which values() resizes)");
  state_->write_nonzeros(nonzeros);
  return value;
}

Eigen::SparseMatrix<double> SparseHessian::matrix(std::span<const double> nonzeros) const {
  if (nonzeros.size() != state_->pattern.nonzeros())
    throw Error("SparseHessian::matrix: ", nonzeros.size(), " values for a pattern of ",
                state_->pattern.nonzeros(), " nonzeros");
  return state_->indices.matrix(nonzeros);
}

Eigen::SparseMatrix<double> SparseHessian::at(std::span<const double> x) {
  state_->compute(x, {});
  std::vector<double> nonzeros(state_->pattern.nonzeros());
  state_->write_nonzeros(nonzeros);
  return state_->indices.matrix(nonzeros);
}

}  // namespace tapegrad
