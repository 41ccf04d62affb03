/// \file
/// A recorded function: f recorded once on a replay tape, then evaluated, differentiated
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
#include "../scalar/var.hpp"
#include "detail/local_hessians.hpp"
#include "recording.hpp"
#include "replay_tape.hpp"

namespace tapegrad {

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
      : function_(wrapped(std::move(f))), recording_("RecordedFunction", options) {
    recording_.record(body(x0));
  }

  /// A recording made by hand: `tape` (a ReplayTape) holds the
  /// function from the leaf Vars `inputs` to `output`. The tape is taken over and stops
  /// recording. With no function to record again, a changed branch always throws.
  BasicRecordedFunction(std::unique_ptr<BasicReplayTape<T>> tape, std::span<const BasicVar<T>> inputs,
                        const BasicVar<T>& output)
      : recording_("RecordedFunction", {.on_branch_change = OnBranchChange::Throw}) {
    recording_.adopt(std::move(tape), output);
    const BasicReplayTape<T>& adopted = recording_.tape();
    std::vector<bool> seen(adopted.num_nodes() + 1, false);
    for (const BasicVar<T>& x : inputs) {
      if (!adopted.is_valid_index(x.index(), x.generation()) ||
          adopted.record().kind(x.index()) != detail::StatementKind::Input)
        throw Error("RecordedFunction: input v", x.index(),
                    " is not a leaf of the tape (inputs are Vars made from numbers)");
      if (seen[x.index()]) throw Error("RecordedFunction: input v", x.index(), " is given twice");
      seen[x.index()] = true;
    }
    set_input_statements(inputs);
  }

  /// Gives a recording that has no function (loaded from a file, or made by hand) the
  /// function f it was recorded from: a comparison or kink that comes out differently at
  /// a new input then records f again there, as for a function recorded here, instead of
  /// throwing BranchChanged. f must take the recording's inputs in their order.
  template <class F>
  void record_again_with(F f) {
    function_ = wrapped(std::move(f));
    recording_.set_on_branch_change(OnBranchChange::Rerecord);
  }

  /// The number of inputs.
  std::size_t num_inputs() const noexcept { return inputs_.size(); }

  /// f(x), by replaying.
  ///@{
  T value(std::span<const T> x) {
    swept_ = false;
    replay_at(x);
    return recording_.value();
  }
  T value(const std::vector<T>& x) { return value(std::span<const T>(x)); }
  ///@}

  /// f(x), with ∇f(x) written into g (x's size): a replay and one reverse sweep.
  ///@{
  T gradient(std::span<const T> x, std::span<T> g) {
    check_size(g.size(), "gradient", "g");
    swept_ = false;
    replay_at(x);
    gather(recording_.backward(), g);
    if (recording_.num_sum_runs() == 0) remember_sweep(x);  // through sum runs, not every partial is kept
    return recording_.value();
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
    check_size(x.size(), "value", "x");
    check_size(v.size(), "hvp", "v");
    check_size(g.size(), "hvp", "g");
    check_size(hv.size(), "hvp", "hv");
    swept_ = false;  // the inputs' values are written
    using D = Dual<T>;
    while (true) {
      BasicReplayTape<T>& tape = recording_.tape();
      detail::ReplayRecord<T>& record = tape.record();
      write_inputs(x, record.values());
      const std::uint32_t end = recording_.end();
      dual_values_.assign(record.values(), record.values() + end);
      for (std::size_t i = 0; i < inputs_.size(); ++i) dual_values_[inputs_[i]] = D(x[i], v[i]);
      dual_partials_.resize(tape.num_operands());
      const detail::ReplayChange change =
          record.run(&tape, tape.view().statement_end, tape.view().operand_index, dual_values_.data(),
                     dual_partials_.data(), end);
      if (!change.changed) break;
      recording_.record_again(change, body(x));
    }
    const BasicReplayTape<T>& tape = recording_.tape();
    const std::uint32_t output = recording_.output();
    dual_adjoints_.assign(tape.num_nodes() + 1, D(0));
    dual_adjoints_[output] = D(1);
    detail::sweep_plain(tape.view().statement_end, tape.view().operand_index, dual_partials_.data(),
                        dual_adjoints_.data(), output, 0);
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      g[i] = dual_adjoints_[inputs_[i]].value();
      hv[i] = dual_adjoints_[inputs_[i]].tangent();
    }
    return dual_values_[output].value();
  }
  std::vector<T> hvp(const std::vector<T>& x, const std::vector<T>& v) {
    std::vector<T> g(inputs_.size()), hv(inputs_.size());
    hvp(std::span<const T>(x), std::span<const T>(v), std::span<T>(g), std::span<T>(hv));
    return hv;
  }
  ///@}

  /// f(x), with ∇f(x) in g, and the gradient linearized at x for hessian_product(): one replay, one reverse
  /// sweep, and the local Hessian of each statement in the operands it is nonlinear in
  /// (replay/detail/local_hessians.hpp). Each product after it reads those blocks and sweeps at most the
  /// recording's operands twice (only the statements below a block's operands that are not inputs), where
  /// hvp() records every expression again on Dual numbers: worth it from about two products at one point (a
  /// Newton–CG step, a sparse Hessian's colors). A recording with tensor operations or Parameters is refused,
  /// as hvp() refuses it. Right after gradient() at the same x (as minimize() calls it), the replay and the
  /// sweep that gradient() made are used again.
  T linearize(std::span<const T> x, std::span<T> g) {
    check_size(x.size(), "linearize", "x");
    check_size(g.size(), "linearize", "g");
    const bool swept_here = swept_ && swept_recording_ == recording_.rerecordings() &&
                            std::equal(x.begin(), x.end(), swept_at_.begin(), swept_at_.end());
    swept_ = false;
    if (!swept_here) {
      while (true) {  // without sum runs, so that every partial is kept
        BasicReplayTape<T>& tape = recording_.tape();
        write_inputs(x, tape.record().values());
        const detail::ReplayChange change = tape.try_replay();
        if (!change.changed) break;
        recording_.record_again(change, body(x));
      }
    }
    BasicReplayTape<T>& tape = recording_.tape();
    if (tape.record().num_forwards() > 0)
      throw Error(
          "RecordedFunction::linearize: the recording holds tensor operations or Parameters, whose second "
          "derivatives it does not keep (tg::hvp on the function written generically takes them)");
    const std::uint32_t output = recording_.output();
    const T value = recording_.value();
    if (!swept_here)
      tape.backward(BasicVar<T>(typename BasicVar<T>::Recorded{}, value, output, tape.generation()));
    const detail::KernelArgs<T> a = tape.kernel_args();
    local_hessians_.prepare(tape.record(), recording_.rerecordings(), a.statement_end, a.operand_index,
                            a.values, a.partials, tape.adjoint_data(), recording_.end());
    linearized_ = recording_.rerecordings();
    gather(tape.adjoint_data(), g);
    remember_sweep(x);
    return value;
  }
  /// H·v at the point of the last linearize(), into hv (both of x's size). Throws tapegrad::Error when
  /// linearize() was not called, or the recording was made again since (a comparison or kink that changed at
  /// a later value() or gradient()).
  void hessian_product(std::span<const T> v, std::span<T> hv) {
    check_size(v.size(), "hessian_product", "v");
    check_size(hv.size(), "hessian_product", "hv");
    if (linearized_ != recording_.rerecordings())
      throw Error("RecordedFunction::hessian_product: ",
                  linearized_ == not_linearized
                      ? "linearize(x) was not called"
                      : "the recording was made again since linearize(x): call it again");
    local_hessians_.product(recording_.tape().record(), inputs_, v.data(), hv.data());
  }

  /// How often a changed comparison or kink made it record again, and the last one, in
  /// words (empty if none).
  std::size_t rerecordings() const noexcept { return recording_.rerecordings(); }
  /// What changed at the last re-recording (empty if none happened).
  const std::string& last_change() const noexcept { return recording_.last_change(); }

  /// The recording, for inspection and for saving (recorded_function_file.hpp).
  const BasicReplayTape<T>& tape() const noexcept { return recording_.tape(); }
  /// The input statements of the recording.
  std::span<const std::uint32_t> input_statements() const noexcept { return inputs_; }
  /// The output statement of the recording.
  std::uint32_t output_statement() const noexcept { return recording_.output(); }
  /// The comparisons and kinds of kink the recording guards.
  std::size_t num_comparisons() const noexcept { return recording_.tape().record().num_guards(); }
  /// RecordOptions::reassociate_sums: how many sum runs the recording has.
  std::size_t num_sum_runs() const noexcept { return recording_.num_sum_runs(); }
  /// How many loops of the recording value() and gradient() replay one statement shape at a time across
  /// all their iterations (a loop body of several statements, named temporaries:
  /// replay/detail/periodic_blocks.hpp).
  std::size_t num_periodic_blocks() const {
    const BasicReplayTape<T>& tape = recording_.tape();
    return tape.record().periodic_blocks(tape.view().statement_end, tape.view().operand_index).size();
  }

 private:
  // f as a Function: called with a span of Vars, or with a vector of them.
  template <class F>
  static Function wrapped(F f) {
    return [f = std::move(f)](std::span<const BasicVar<T>> x) mutable -> BasicVar<T> {
      if constexpr (std::is_invocable_v<F&, std::span<const BasicVar<T>>>)
        return BasicVar<T>(f(x));
      else
        return BasicVar<T>(f(std::vector<BasicVar<T>>(x.begin(), x.end())));
    };
  }

  // What records f at x: its inputs as new leaves, then f.
  auto body(std::span<const T> x) {
    return [this, x] {
      std::vector<BasicVar<T>> xs(x.begin(), x.end());
      const BasicVar<T> y = function_(std::span<const BasicVar<T>>(xs));
      set_input_statements(xs);
      return y;
    };
  }

  void set_input_statements(std::span<const BasicVar<T>> inputs) {
    inputs_.clear();
    for (const BasicVar<T>& x : inputs) inputs_.push_back(x.index());
    contiguous_inputs_ = !inputs_.empty() && inputs_.back() - inputs_.front() + 1 == inputs_.size();
    for (std::size_t i = 1; i < inputs_.size() && contiguous_inputs_; ++i)
      contiguous_inputs_ = inputs_[i] == inputs_[i - 1] + 1;
  }

  void check_size(std::size_t n, const char* operation, const char* what) const {
    if (n != inputs_.size())
      throw Error("RecordedFunction::", operation, ": ", what, " has ", n, " entries but the function has ",
                  inputs_.size(), " inputs");
  }

  // The inputs were checked to be leaves when the recording was adopted.
  void write_inputs(std::span<const T> x, T* values) const {
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

  void remember_sweep(std::span<const T> x) {
    swept_at_.assign(x.begin(), x.end());
    swept_recording_ = recording_.rerecordings();
    swept_ = true;
  }

  void replay_at(std::span<const T> x) {
    check_size(x.size(), "value", "x");
    recording_.evaluate([&](T* values) { write_inputs(x, values); }, body(x));
  }

  Function function_;
  detail::Recording<T> recording_;
  std::vector<std::uint32_t> inputs_;
  bool contiguous_inputs_ = false;  // inputs_ are consecutive statements, in order
  std::vector<Dual<T>> dual_values_, dual_partials_, dual_adjoints_;
  detail::LocalHessians<T> local_hessians_;
  static constexpr std::size_t not_linearized = static_cast<std::size_t>(-1);
  std::size_t linearized_ = not_linearized;  // rerecordings() when linearize() last ran
  // The point whose replay and reverse sweep the tape holds, every partial kept (no sum runs), while swept_:
  // linearize() there replays and sweeps nothing again.
  std::vector<T> swept_at_;
  std::size_t swept_recording_ = 0;
  bool swept_ = false;
};

/// A recorded function of doubles.
using RecordedFunction = BasicRecordedFunction<double>;

/// Records f at x0 (see BasicRecordedFunction).
template <class F>
RecordedFunction record_function(F&& f, const std::vector<double>& x0, RecordOptions options = {}) {
  return RecordedFunction(std::forward<F>(f), std::span<const double>(x0), options);
}

}  // namespace tapegrad
