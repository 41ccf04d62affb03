/// \file
/// A recorded function: f recorded once on a replayable tape, then evaluated, differentiated
/// and given Hessian-vector products at any number of new inputs without recording again.
///
///   auto fn = tg::record_function([](auto x) { return tg::square(x[0]) * x[1]; }, {1.0, 2.0});
///   std::vector<double> g = fn.gradient({0.5, 0.5});      // replay, then one reverse sweep
///
/// A replay recomputes every value and local partial with the same rules in the same
/// order as recording did, so its value and gradient are bit-identical to a fresh
/// recording at the same input. Where f's control flow depends on its inputs (`if (x > 0)`,
/// a loop until convergence, max, abs, relu), the recording holds only where every
/// comparison and kink comes out as it did when recorded; a replay that finds one
/// different records f again at the new input (OnBranchChange::Rerecord, the default) or
/// throws BranchChanged naming it (OnBranchChange::Throw).
///
/// f is written generically (`[](auto x) { … }`) or for BasicVar<T>: it receives the
/// inputs as a std::span of Vars (or a const std::vector of them) and returns one Var or
/// expression. It may use tensors and Parameters (Parameters are read as they are at each
/// replay); Hessian-vector products need a scalar recording.
///
/// A RecordedFunction owns its tape, which records nothing after construction; it is not
/// safe to use from two threads at once.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "../scalar/dual.hpp"
#include "../scalar/forward_mode.hpp"
#include "../scalar/sweep.hpp"
#include "../scalar/tape.hpp"
#include "../scalar/var.hpp"

namespace tapegrad {

/// What a RecordedFunction does when a replay finds a comparison or kink that comes out differently from the
/// recording.
enum class OnBranchChange {
  Rerecord,  ///< record f again at the new input and go on (the function is kept for that)
  Throw,     ///< throw BranchChanged naming the comparison or kink that changed
};

/// The options of a RecordedFunction.
struct RecordOptions {
  /// What happens when a replay's branch changes.
  OnBranchChange on_branch_change = OnBranchChange::Rerecord;
  /// Replay accumulation loops (`f += term(x[i])`, the recording's sum runs) as one sum
  /// each: the terms are computed independently and added in another order, and each
  /// parameter's partials are summed instead of swept one by one (scalar/sum_runs.hpp).
  /// 2.4–11 times faster on the benchmarks' long sums (bench/RESULTS.md, `sums /
  /// replay`; slower on many short sums in a very long recording); values and gradients
  /// then equal a fresh recording's up to rounding rather than bit for bit. value() and
  /// gradient() use it; hvp() does not.
  bool reassociate_sums = false;
};

/// A function of n scalars recorded once and replayed at new inputs: value(), gradient() and hvp() run the
/// recording again (each operation recomputed, no recording made) and sweep it, with the same bits as
/// recording again, and several times faster for long scalar functions. A comparison or kink that comes out
/// differently at the new input is caught, and the function recorded again there (or BranchChanged thrown, by
/// RecordOptions). See recorded_function.hpp.
///
/// \snippet test_doc_examples.cpp recorded_function
template <class T = double>
class BasicRecordedFunction {
 public:
  /// The function type: a span of Vars to one Var.
  using Function = std::function<BasicVar<T>(std::span<const BasicVar<T>>)>;

  /// Records f at x0.
  template <class F>
  BasicRecordedFunction(F f, std::span<const T> x0, RecordOptions options = {})
      : function_([f = std::move(f)](std::span<const BasicVar<T>> x) mutable -> BasicVar<T> {
          if constexpr (std::is_invocable_v<F&, std::span<const BasicVar<T>>>)
            return BasicVar<T>(f(x));
          else
            return BasicVar<T>(f(std::vector<BasicVar<T>>(x.begin(), x.end())));
        }),
        options_(options) {
    record(x0);
  }

  /// A recording made by hand: `tape` (made with Options{.replayable = true}) holds the
  /// function from the leaf Vars `inputs` to `output`. The tape is taken over and stops
  /// recording. With no function to record again, a changed branch always throws.
  BasicRecordedFunction(std::unique_ptr<BasicTape<T>> tape, std::span<const BasicVar<T>> inputs,
                        const BasicVar<T>& output)
      : options_{OnBranchChange::Throw} {
    adopt(std::move(tape), inputs, output);
  }

  /// The number of inputs.
  std::size_t num_inputs() const noexcept { return inputs_.size(); }

  /// f(x), by replaying.
  ///@{
  T value(std::span<const T> x) {
    replay_at(x);
    return tape_->replayed_value(output_);
  }
  T value(const std::vector<T>& x) { return value(std::span<const T>(x)); }
  ///@}

  /// f(x), with ∇f(x) written into g (x's size): a replay and one reverse sweep.
  ///@{
  T gradient(std::span<const T> x, std::span<T> g) {
    check_size(g.size(), "gradient", "g");
    replay_at(x);
    if (sums_.empty()) {
      tape_->backward(output_var());
      gather(tape_->adjoint_data(), g);
    } else {
      adjoints_.resize(output_ + 1);
      detail::clear_adjoints_for_sum_runs(adjoints_.data(), output_ + 1, sums_);
      adjoints_[output_] = T(1);
      detail::ReplayRecord<T>& record = tape_->replay_record();
      detail::sweep_with_sum_runs(
          record.kernel_args(tape_->statement_ends(), tape_->operand_index_data(), record.values(),
                             tape_->operand_partial_data(), tape_->generation()),
          adjoints_.data(), output_, sums_);
      gather(adjoints_.data(), g);
    }
    return tape_->replayed_value(output_);
  }
  std::vector<T> gradient(std::span<const T> x) {
    std::vector<T> g(inputs_.size());
    gradient(x, std::span<T>(g));
    return g;
  }
  std::vector<T> gradient(const std::vector<T>& x) { return gradient(std::span<const T>(x)); }
  ///@}

  /// f(x), with ∇f(x) in g and H(x)·v in hv: the recording replayed on Dual numbers whose
  /// tangents are v (forward over reverse), then one reverse sweep on Duals. Bit-identical
  /// to tg::hvp on the same function. A recording with tensor operations or custom
  /// backward functions is refused.
  ///@{
  T hvp(std::span<const T> x, std::span<const T> v, std::span<T> g, std::span<T> hv) {
    check_size(v.size(), "hvp", "v");
    check_size(g.size(), "hvp", "g");
    check_size(hv.size(), "hvp", "hv");
    using D = Dual<T>;
    while (true) {
      set_inputs(x);
      const std::uint32_t end = static_cast<std::uint32_t>(tape_->num_nodes() + 1);
      const detail::ReplayRecord<T>& record = tape_->replay_record();
      dual_values_.assign(record.values(), record.values() + end);
      for (std::size_t i = 0; i < inputs_.size(); ++i) dual_values_[inputs_[i]] = D(x[i], v[i]);
      dual_partials_.resize(tape_->num_operands());
      const detail::ReplayChange change =
          record.run(tape_.get(), tape_->statement_ends(), tape_->operand_index_data(), dual_values_.data(),
                     dual_partials_.data(), end);
      if (!change.changed) break;
      on_change(change, x);
    }
    dual_adjoints_.assign(tape_->num_nodes() + 1, D(0));
    dual_adjoints_[output_] = D(1);
    detail::sweep_plain(tape_->statement_ends(), tape_->operand_index_data(), dual_partials_.data(),
                        dual_adjoints_.data(), output_, 0);
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      g[i] = dual_adjoints_[inputs_[i]].value();
      hv[i] = dual_adjoints_[inputs_[i]].tangent();
    }
    return dual_values_[output_].value();
  }
  std::vector<T> hvp(const std::vector<T>& x, const std::vector<T>& v) {
    std::vector<T> g(inputs_.size()), hv(inputs_.size());
    hvp(std::span<const T>(x), std::span<const T>(v), std::span<T>(g), std::span<T>(hv));
    return hv;
  }
  ///@}

  /// How often a changed comparison or kink made it record again, and the last one, in
  /// words (empty if none).
  std::size_t rerecordings() const noexcept { return rerecordings_; }
  /// What changed at the last re-recording (empty if none happened).
  const std::string& last_change() const noexcept { return last_change_; }

  /// The recording, for inspection and for saving (recorded_function_file.hpp).
  const BasicTape<T>& tape() const noexcept { return *tape_; }
  /// The input statements of the recording.
  std::span<const std::uint32_t> input_statements() const noexcept { return inputs_; }
  /// The output statement of the recording.
  std::uint32_t output_statement() const noexcept { return output_; }
  /// The comparisons and kinds of kink the recording guards.
  std::size_t num_comparisons() const noexcept { return tape_->replay_record().num_guards(); }
  /// RecordOptions::reassociate_sums: how many sum runs the recording has.
  std::size_t num_sum_runs() const noexcept { return sums_.runs.size(); }

 private:
  void record(std::span<const T> x) {
    auto tape = std::make_unique<BasicTape<T>>(typename BasicTape<T>::Options{.replayable = true});
    std::vector<BasicVar<T>> xs(x.begin(), x.end());
    const BasicVar<T> y = function_(std::span<const BasicVar<T>>(xs));
    adopt(std::move(tape), xs, y);
  }

  void adopt(std::unique_ptr<BasicTape<T>> tape, std::span<const BasicVar<T>> inputs,
             const BasicVar<T>& output) {
    tape->release();
    if (!tape->replayable())
      throw Error("RecordedFunction: the tape was not made replayable (Tape({.replayable = true}))");
    if (!output.is_recorded() || !tape->is_valid_index(output.index(), output.generation()))
      throw Error("RecordedFunction: the output is not on the tape (a constant, or from another tape)");
    std::vector<std::uint32_t> indices;
    std::vector<bool> seen(tape->num_nodes() + 1, false);
    for (const BasicVar<T>& x : inputs) {
      if (!tape->is_valid_index(x.index(), x.generation()) ||
          tape->replay_record().kind(x.index()) != detail::StatementKind::Input)
        throw Error("RecordedFunction: input v" + std::to_string(x.index()) +
                    " is not a leaf of the tape (inputs are Vars made from numbers)");
      if (seen[x.index()])
        throw Error("RecordedFunction: input v" + std::to_string(x.index()) + " is given twice");
      seen[x.index()] = true;
      indices.push_back(x.index());
    }
    const detail::ReplayRecord<T>& record = tape->replay_record();
    for (std::uint32_t s = 1; s < record.statements(); ++s)
      if (record.kind(s) == detail::StatementKind::Opaque)
        throw NotReplayable("RecordedFunction: statement " + std::to_string(s) + " was recorded by " +
                            record.opaque_what(s) +
                            ", whose value and partials cannot be recomputed at new inputs");
    tape_ = std::move(tape);
    inputs_ = std::move(indices);
    output_ = output.index();
    contiguous_inputs_ = !inputs_.empty() && inputs_.back() - inputs_.front() + 1 == inputs_.size();
    for (std::size_t i = 1; i < inputs_.size() && contiguous_inputs_; ++i)
      contiguous_inputs_ = inputs_[i] == inputs_[i - 1] + 1;
    sums_ = {};
    if (options_.reassociate_sums)
      sums_ = detail::plan_sum_runs<T>(record, tape_->statement_ends(), tape_->operand_index_data(),
                                       static_cast<std::uint32_t>(tape_->num_nodes() + 1), output_);
  }

  BasicVar<T> output_var() const {
    return BasicVar<T>(typename BasicVar<T>::Recorded{}, tape_->replayed_value(output_), output_,
                       tape_->generation());
  }

  void check_size(std::size_t n, const char* operation, const char* what) const {
    if (n != inputs_.size())
      throw Error(std::string("RecordedFunction::") + operation + ": " + what + " has " + std::to_string(n) +
                  " entries but the function has " + std::to_string(inputs_.size()) + " inputs");
  }

  // The inputs were checked to be leaves when the recording was adopted.
  void set_inputs(std::span<const T> x) {
    check_size(x.size(), "value", "x");
    T* values = tape_->replay_record().values();
    if (contiguous_inputs_)
      std::copy(x.begin(), x.end(), values + inputs_.front());
    else
      for (std::size_t i = 0; i < inputs_.size(); ++i) values[inputs_[i]] = x[i];
  }
  // g[i] = from[input i].
  void gather(const T* from, std::span<T> g) const {
    if (contiguous_inputs_)
      std::copy_n(from + inputs_.front(), g.size(), g.begin());
    else
      for (std::size_t i = 0; i < inputs_.size(); ++i) g[i] = from[inputs_[i]];
  }

  void replay_at(std::span<const T> x) {
    if (sums_.empty()) {
      set_inputs(x);
      const detail::ReplayChange change = tape_->try_replay();
      if (change.changed) on_change(change, x);
      return;
    }
    // A recording made again at x by on_change has its partials stored statement by
    // statement, not summed over its sum runs: so it is replayed too.
    while (true) {
      set_inputs(x);
      const detail::ReplayChange change = tape_->replay_record().run(
          tape_.get(), tape_->statement_ends(), tape_->operand_index_data(), tape_->replay_record().values(),
          tape_->operand_partial_data(), static_cast<std::uint32_t>(tape_->num_nodes() + 1),
          tape_->generation(), &sums_);
      if (!change.changed) return;
      on_change(change, x);
    }
  }

  // A comparison or kink came out differently: throw, or record again at x (whose
  // values and partials are then those of x, so nothing needs replaying).
  void on_change(const detail::ReplayChange& change, std::span<const T> x) {
    if (options_.on_branch_change == OnBranchChange::Throw || !function_) tape_->throw_branch_changed(change);
    last_change_ =
        tape_->replay_record().describe(change, tape_->statement_ends(), tape_->operand_index_data());
    record(x);
    ++rerecordings_;
  }

  Function function_;
  RecordOptions options_;
  std::unique_ptr<BasicTape<T>> tape_;
  std::vector<std::uint32_t> inputs_;
  std::uint32_t output_ = 0;
  bool contiguous_inputs_ = false;  // inputs_ are consecutive statements, in order
  std::size_t rerecordings_ = 0;
  std::string last_change_;
  std::vector<Dual<T>> dual_values_, dual_partials_, dual_adjoints_;
  detail::SumRunPlan<T> sums_;  // RecordOptions::reassociate_sums: the recording's sum runs
  std::vector<T> adjoints_;     // the sweep through sum runs
};

/// A recorded function of doubles.
using RecordedFunction = BasicRecordedFunction<double>;

/// Records f at x0 (see BasicRecordedFunction).
template <class F>
RecordedFunction record_function(F&& f, const std::vector<double>& x0, RecordOptions options = {}) {
  return RecordedFunction(std::forward<F>(f), std::span<const double>(x0), options);
}

}  // namespace tapegrad
