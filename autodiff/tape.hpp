// The tape: where a recording lives. Each assignment of an expression to a Var is one
// *statement*; its *operands* are the (index, local partial) pairs of the Vars it
// read. Both live in flat arrays, so the reverse sweep is one tight loop:
//
//     for each statement s, last to first:  for each operand (i, d) of s:  adj[i] += d * adj[s]
//
// A Tape is the active tape of its thread from construction to destruction (tapes
// nest like scopes). Every Var carries the tape *generation* it was recorded in;
// clear() and rewind() start a new generation, so a stale Var is caught by one integer
// comparison, cheap enough to stay on in release builds.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "arena.hpp"
#include "error.hpp"
#include "flat_array.hpp"
#include "generation.hpp"
#include "tape_check.hpp"

namespace tapegrad {

namespace detail {

[[noreturn]] void throw_no_active_tape(const char* operation);
[[noreturn]] void throw_stale_var(const char* operation, std::uint32_t index, std::uint32_t var_generation,
                                  bool from_this_tape);
[[noreturn]] void throw_too_large(const char* what);

}  // namespace detail

// A point in a recording, to return to with rewind().
struct TapePosition {
  std::uint32_t statements = 0;
  std::uint32_t operands = 0;
  std::uint32_t hooks = 0;
  std::uint32_t custom_functions = 0;
  std::uint32_t custom_inputs = 0;
  std::uint32_t tensor_adjoints = 0;
  std::uint32_t generation = 0;
  detail::Arena::Mark arena;
};

template <class T>
class BasicTape;

// Receives the operands of the statement being recorded. Every leaf of an expression
// tree has a fixed slot known at compile time (its position among the leaves), so
// writing an operand is two stores and one generation comparison.
template <class T>
struct OperandSink {
  T* partials;
  std::uint32_t* indices;
  std::uint32_t generation;
  const BasicTape<T>* tape;

  void write(std::size_t slot, std::uint32_t index, std::uint32_t var_generation, const T& partial) const {
    if (var_generation != generation) [[unlikely]]
      tape->check_operand(index, var_generation);
    partials[slot] = partial;
    indices[slot] = index;
  }
};

// The backward function of a user-defined operation: receives the adjoint of the
// operation's output and adds the adjoint contribution of each input into `inputs`
// (which starts zeroed, one entry per input).
template <class T>
using CustomBackward = std::function<void(const T& output_adjoint, std::span<T> input_adjoints)>;

// What the reverse sweep runs at a statement with its own backward (a tensor operation,
// a user-defined backward, a scalar Parameter): a plain function and a pointer to its
// data, so recording one allocates nothing.
template <class T>
using HookBackward = void (*)(BasicTape<T>& tape, std::uint32_t statement, const void* data);

template <class T>
class BasicTape {
 public:
  using value_type = T;

  struct Options {
    // Also keep each statement's value and a text form of its expression, for to_dot.
    // Off by default: it costs a string per statement.
    bool annotate = false;
    // Stop at the first operation whose value or local derivative is NaN or infinite as
    // it is recorded, and at the first adjoint that becomes so in backward(), with a
    // NonFiniteError naming the operation, its inputs and (for tensors) the shapes and
    // the first bad entry (see finite_check.hpp). For finding where a NaN comes from:
    // it annotates too, and checks every value recorded.
    bool check_finite = false;
  };

  BasicTape() : BasicTape(Options{}) {}
  explicit BasicTape(Options options)
      : annotate_(options.annotate || options.check_finite),
        check_finite_(options.check_finite),
        previous_(active_) {
    active_ = this;
    reset();
  }
  ~BasicTape() {
    if (active_ == this) {
      active_ = previous_;
      return;
    }
    // Destroyed out of scope order: unlink from the chain of enclosing tapes.
    for (BasicTape* t = active_; t != nullptr; t = t->previous_) {
      if (t->previous_ == this) {
        t->previous_ = previous_;
        break;
      }
    }
  }
  BasicTape(const BasicTape&) = delete;
  BasicTape& operator=(const BasicTape&) = delete;

  // The tape that records on this thread, or nullptr.
  static BasicTape* active() noexcept { return active_; }
  static BasicTape& active_or_throw(const char* operation) {
    if (active_ == nullptr) [[unlikely]]
      detail::throw_no_active_tape(operation);
    return *active_;
  }

  // Forgets the recording, keeps the memory. Every Var recorded so far becomes invalid.
  void clear() { reset(); }

  TapePosition position() const {
    return {static_cast<std::uint32_t>(statement_end_.size()),
            static_cast<std::uint32_t>(operand_count_),
            static_cast<std::uint32_t>(hooks_.size()),
            static_cast<std::uint32_t>(custom_functions_.size()),
            static_cast<std::uint32_t>(custom_inputs_.size()),
            static_cast<std::uint32_t>(tensor_adjoints_.size()),
            generation_,
            arena_.mark()};
  }

  // Drops everything recorded after `position`. Vars recorded before it stay valid;
  // Vars recorded after it become invalid (and are reported as such if used).
  void rewind(const TapePosition& position) {
    if (position.statements == 0 || !is_valid_index(position.statements - 1, position.generation) ||
        position.statements > statement_end_.size())
      throw Error(
          "tapegrad: Tape::rewind: the position is not in this tape's current recording "
          "(taken on another tape, or before a clear() or an earlier rewind() past it)");
    // The current generation joins the history; every epoch keeps only Vars below the
    // rewind point, and an epoch with none left is dropped.
    epochs_.push_back({generation_, generation_start_, std::numeric_limits<std::uint32_t>::max()});
    std::erase_if(epochs_, [&](Epoch& e) {
      e.limit = std::min(e.limit, position.statements);
      return e.start >= e.limit;
    });
    statement_end_.truncate(position.statements);
    operand_count_ = position.operands;
    hooks_.truncate(position.hooks);
    custom_functions_.resize(position.custom_functions);
    custom_inputs_.resize(position.custom_inputs);
    tensor_adjoints_.truncate(position.tensor_adjoints);
    checked_tensors_.drop_from(position.statements);
    arena_.release_to(position.arena);
    adjoints_.truncate(position.statements);
    if (annotate_) {
      values_.resize(std::min<std::size_t>(values_.size(), position.statements));
      labels_.resize(std::min<std::size_t>(labels_.size(), position.statements));
    }
    generation_ = detail::next_generation();
    generation_start_ = position.statements;
  }

  // ------------------------------------------------------------------ gradients

  // Zeroes every adjoint, sets f's adjoint to `seed` and sweeps back from f; afterwards
  // x.adjoint() is d(seed·f)/dx for every Var x on the tape.
  template <class V>
  void backward(const V& f, const T& seed = T(1)) {
    check_var(f.index(), f.generation(), "Tape::backward");
    if (f.generation() == 0)
      throw Error("tapegrad: Tape::backward: the output is a constant, not on the tape");
    zero_adjoints(0, static_cast<std::uint32_t>(statement_end_.size() - 1));
    adjoints_[f.index()] = seed;
    sweep(f.index(), 0);
  }

  // Adjoint of a Var after backward(); zero for Vars recorded after that sweep.
  T adjoint(std::uint32_t index, std::uint32_t var_generation) const {
    check_var(index, var_generation, "Var::adjoint");
    return index < adjoints_.size() ? adjoints_[index] : T(0);
  }

  // Sweeps statements hi, hi-1, …, lo+1. Operands of a statement always have smaller
  // indices than the statement, so when the sweep passes x every contribution to x's
  // adjoint from statements after x has been added.
  void sweep(std::uint32_t hi, std::uint32_t lo) {
    if (check_finite_) [[unlikely]] {
      sweep_checked(hi, lo);
      return;
    }
    const Hook* first_hook = hooks_.data();
    const Hook* next_hook = std::upper_bound(first_hook, first_hook + hooks_.size(), hi,
                                             [](std::uint32_t s, const Hook& h) { return s < h.statement; });
    std::uint32_t s = hi;
    while (true) {
      const bool hook_ahead = next_hook != first_hook && next_hook[-1].statement > lo;
      const std::uint32_t stop = hook_ahead ? next_hook[-1].statement : lo;
      sweep_plain(s, stop);
      if (!hook_ahead) return;
      --next_hook;
      next_hook->backward(*this, next_hook->statement, next_hook->data);
      s = stop - 1;
    }
  }

  // Sets adjoints of statements lo..hi to zero, growing the adjoint array if needed,
  // and the adjoint buffers of the tensors recorded by those statements.
  // Adjoints outside lo..hi keep what an earlier sweep left (newly covered ones are 0).
  void zero_adjoints(std::uint32_t lo, std::uint32_t hi) {
    const std::size_t old_size = adjoints_.size();
    if (old_size <= hi) {
      adjoints_.resize_uninitialized(statement_end_.size());
      std::fill(adjoints_.data() + old_size, adjoints_.data() + adjoints_.size(), T(0));
    }
    std::fill(adjoints_.data() + lo, adjoints_.data() + hi + 1, T(0));
    for (std::size_t t = 0; t < tensor_adjoints_.size(); ++t) {
      const TensorAdjoint& a = tensor_adjoints_[t];
      if (a.statement >= lo && a.statement <= hi) std::fill(a.data, a.data + a.size, T(0));
    }
  }
  T* adjoint_data() noexcept { return adjoints_.data(); }

  // ---------------------------------------------------------------- recording

  // Records one statement with exactly NumOperands operands, written by `write(sink)`.
  // Returns the new statement's index, which is also the index of the Var it defines.
  template <std::size_t NumOperands, class WriteOperands>
  std::uint32_t record(WriteOperands&& write) {
    if (operand_count_ + NumOperands > operand_capacity_) [[unlikely]]
      grow_operands(NumOperands);
    T* partials = partials_.get() + operand_count_;
    std::uint32_t* indices = indices_.get() + operand_count_;
    write(OperandSink<T>{partials, indices, generation_, this});
    operand_count_ += NumOperands;
    const std::size_t index = statement_end_.size();
    if (index == max_statements) [[unlikely]]
      detail::throw_too_large("statements");
    statement_end_.push_back(static_cast<std::uint32_t>(operand_count_));
    return static_cast<std::uint32_t>(index);
  }

  // Records a statement with explicit operands (user-defined ops, custom partials).
  std::uint32_t record_operands(std::span<const std::uint32_t> indices,
                                std::span<const std::uint32_t> generations, std::span<const T> partials) {
    for (std::size_t i = 0; i < indices.size(); ++i) check_var(indices[i], generations[i], "custom_op");
    if (operand_count_ + indices.size() > operand_capacity_) grow_operands(indices.size());
    std::copy(indices.begin(), indices.end(), indices_.get() + operand_count_);
    std::copy(partials.begin(), partials.end(), partials_.get() + operand_count_);
    operand_count_ += indices.size();
    if (statement_end_.size() == max_statements) detail::throw_too_large("statements");
    statement_end_.push_back(static_cast<std::uint32_t>(operand_count_));
    return static_cast<std::uint32_t>(statement_end_.size() - 1);
  }

  // Records a statement whose adjoint is distributed by `backward` during the sweep.
  std::uint32_t record_custom(std::span<const std::uint32_t> indices,
                              std::span<const std::uint32_t> generations, CustomBackward<T> backward) {
    for (std::size_t i = 0; i < indices.size(); ++i) check_var(indices[i], generations[i], "custom_op");
    if (!backward) throw Error("tapegrad: custom_op: the backward function is empty");
    custom_functions_.push_back({static_cast<std::uint32_t>(custom_inputs_.size()),
                                 static_cast<std::uint32_t>(indices.size()), std::move(backward)});
    custom_inputs_.insert(custom_inputs_.end(), indices.begin(), indices.end());
    return record_hook(&run_custom_function, reinterpret_cast<const void*>(
                                                 static_cast<std::uintptr_t>(custom_functions_.size() - 1)));
  }

  // Records a statement with no operands whose adjoint `backward(tape, statement, data)`
  // distributes during the sweep. `data` must stay valid as long as the statement does
  // (allocate it from arena()).
  std::uint32_t record_hook(HookBackward<T> run_backward, const void* data) {
    const std::uint32_t statement = record_operands({}, {}, {});
    hooks_.push_back({statement, run_backward, data});
    return statement;
  }

  // Registers a tensor's adjoint buffer, owned by statement `statement`, so that
  // backward() and gradient() zero it along with the scalar adjoints.
  void track_tensor_adjoint(std::uint32_t statement, T* data, std::size_t size) {
    tensor_adjoints_.push_back({statement, data, size});
  }

  // Memory for tensor values, adjoints and backward data; see arena.hpp.
  detail::Arena& arena() noexcept { return arena_; }

  // Adjoint of statement s, for hooks: read their output's, add into their inputs'.
  T& adjoint_at(std::uint32_t s) noexcept { return adjoints_[s]; }

  // ----------------------------------------------------------------- validity

  std::uint32_t generation() const noexcept { return generation_; }

  // True if (index, generation) names a Var recorded on this tape and not discarded.
  bool is_valid_index(std::uint32_t index, std::uint32_t var_generation) const noexcept {
    if (var_generation == generation_) return index < statement_end_.size();
    return is_valid_in_earlier_epoch(index, var_generation);
  }
  // Throws unless the Var is on this tape or a constant (generation 0). A Var of the
  // current recording, by far the common case, passes with two inline comparisons.
  void check_var(std::uint32_t index, std::uint32_t var_generation, const char* operation) const {
    if (var_generation == generation_ && index < statement_end_.size()) [[likely]]
      return;
    if (var_generation != 0 && !is_valid_in_earlier_epoch(index, var_generation)) [[unlikely]]
      detail::throw_stale_var(operation, index, var_generation, var_generation >= first_generation_);
  }
  // The slow path of OperandSink::write. A constant's operand lands on statement 0,
  // which is never swept, so it is harmless.
  void check_operand(std::uint32_t index, std::uint32_t var_generation) const {
    check_var(index, var_generation, "an expression");
  }

  // ------------------------------------------------------------ introspection

  // Recorded Vars (statements), not counting the reserved slot 0.
  std::size_t num_nodes() const noexcept { return statement_end_.size() - 1; }
  std::size_t num_operands() const noexcept { return operand_count_; }
  // Bytes the current recording occupies: 4 per statement, 4 + sizeof(T) per operand.
  std::size_t bytes_in_use() const noexcept {
    return statement_end_.size() * sizeof(std::uint32_t) +
           operand_count_ * (sizeof(std::uint32_t) + sizeof(T)) +
           custom_inputs_.size() * sizeof(std::uint32_t) + hooks_.size() * sizeof(Hook) +
           arena_.bytes_in_use();
  }
  // Bytes held by the arena, including capacity kept from earlier recordings.
  std::size_t bytes_reserved() const noexcept {
    return statement_end_.capacity() * sizeof(std::uint32_t) +
           operand_capacity_ * (sizeof(std::uint32_t) + sizeof(T)) + adjoints_.capacity() * sizeof(T) +
           custom_inputs_.capacity() * sizeof(std::uint32_t) + hooks_.capacity() * sizeof(Hook) +
           arena_.bytes_reserved();
  }

  // Operands of statement s, for graph export and inspection.
  std::span<const std::uint32_t> operand_indices(std::uint32_t s) const {
    return {indices_.get() + begin_of(s), indices_.get() + statement_end_[s]};
  }
  std::span<const T> operand_partials(std::uint32_t s) const {
    return {partials_.get() + begin_of(s), partials_.get() + statement_end_[s]};
  }
  bool is_custom(std::uint32_t s) const {
    return std::binary_search(hooks_.data(), hooks_.data() + hooks_.size(), s,
                              [](const auto& a, const auto& b) { return statement_of(a) < statement_of(b); });
  }
  std::size_t adjoints_size() const noexcept { return adjoints_.size(); }
  const T* adjoints() const noexcept { return adjoints_.data(); }

  bool annotating() const noexcept { return annotate_; }
  bool checking_finite() const noexcept { return check_finite_; }

  // check_finite mode: a tensor statement's operation, shape and adjoint buffer, for
  // reports from the backward pass.
  void describe_tensor(std::uint32_t statement, const char* operation, std::uint32_t rows, std::uint32_t cols,
                       const T* adjoint) {
    checked_tensors_.add(statement, operation, rows, cols, adjoint);
  }

  void annotate(std::uint32_t s, const T& value, std::string label) {
    if (values_.size() <= s) {
      values_.resize(s + 1, T(0));
      labels_.resize(s + 1);
    }
    values_[s] = value;
    labels_[s] = std::move(label);
  }
  // Empty when the tape was not annotating as statement s was recorded.
  const std::string* label(std::uint32_t s) const { return s < labels_.size() ? &labels_[s] : nullptr; }
  const T* value(std::uint32_t s) const { return s < values_.size() ? &values_[s] : nullptr; }

 private:
  struct Epoch {
    std::uint32_t generation;
    std::uint32_t start;  // first statement recorded in this generation
    std::uint32_t limit;  // statements at or past it were discarded by a rewind
  };
  struct Hook {
    std::uint32_t statement;
    HookBackward<T> backward;
    const void* data;
  };
  struct CustomFunction {
    std::uint32_t first_input;
    std::uint32_t num_inputs;
    CustomBackward<T> backward;
  };
  struct TensorAdjoint {
    std::uint32_t statement;
    T* data;
    std::size_t size;
  };
  static std::uint32_t statement_of(std::uint32_t s) { return s; }
  static std::uint32_t statement_of(const Hook& h) { return h.statement; }

  // Statement indices must fit in 32 bits, with 0 reserved.
  static constexpr std::size_t max_statements = std::numeric_limits<std::uint32_t>::max();

  // Vars recorded before a rewind() stay valid below its position (epochs_).
  [[gnu::noinline]] bool is_valid_in_earlier_epoch(std::uint32_t index,
                                                   std::uint32_t var_generation) const noexcept {
    for (const Epoch& e : epochs_)
      if (e.generation == var_generation) return index < e.limit;
    return false;
  }

  std::uint32_t begin_of(std::uint32_t s) const { return s == 0 ? 0 : statement_end_[s - 1]; }

  void reset() {
    statement_end_.truncate(0);
    statement_end_.push_back(0);  // slot 0: never a real Var, target of constants
    operand_count_ = 0;
    adjoints_.truncate(0);
    hooks_.truncate(0);
    custom_functions_.clear();
    custom_inputs_.clear();
    tensor_adjoints_.truncate(0);
    checked_tensors_.clear();
    arena_.clear();
    values_.clear();
    labels_.clear();
    epochs_.clear();
    generation_ = detail::next_generation();
    if (first_generation_ == 0) first_generation_ = generation_;
    generation_start_ = 1;
  }

  // The hot loop: statements s..stop+1 with no user-defined backward among them.
  //
  // Each operand adds partial·adj[s] into its Var's adjoint. Done naively in memory,
  // two common patterns put a store-to-load round trip (several cycles) on the critical
  // path of every statement:
  //  - chains, where each statement is an operand of the next (`sum += …`): the
  //    contribution to adj[s - 1] is read back one statement later;
  //  - a Var used by many consecutive statements (a parameter such as `mu` in every
  //    term of a sum, or x[i] shared by neighbouring terms): every statement updates the
  //    same address.
  // So two contributions stay in registers: `carry` for statement s - 1 and `hot_sum`
  // for the most recently updated other Var (`hot`). Both are folded in when the sweep
  // reaches their statement, and each adjoint is stored once when its statement is
  // swept, so every adjoint is complete in memory afterwards. Statement 0 is the unused
  // slot that constants point at, so `hot = 0` means "none" and flushing into it is
  // harmless.
  void sweep_plain(std::uint32_t s, std::uint32_t stop) {
    const std::uint32_t* end = statement_end_.data();
    const std::uint32_t* index = indices_.get();
    const T* partial = partials_.get();
    T* adj = adjoints_.data();
    std::uint32_t operand_end = end[s];
    T carry = T(0);
    std::uint32_t hot = 0;
    T hot_sum = T(0);
    for (; s > stop; --s) {
      const std::uint32_t operand_begin = end[s - 1];
      T a = adj[s] + carry;
      carry = T(0);
      if (hot == s) {
        a += hot_sum;
        hot = 0;
        hot_sum = T(0);
      }
      adj[s] = a;
      const std::uint32_t previous = s - 1;
      for (std::uint32_t o = operand_begin; o < operand_end; ++o) {
        const std::uint32_t i = index[o];
        const T d = partial[o] * a;
        if (i == previous) {
          carry += d;
        } else if (i == hot) {
          hot_sum += d;
        } else {
          adj[hot] += hot_sum;
          hot = i;
          hot_sum = d;
        }
      }
      operand_end = operand_begin;
    }
    adj[s] += carry;
    adj[hot] += hot_sum;
  }

  // The sweep of check_finite mode: statement by statement, and before a statement
  // passes its adjoint on, that adjoint (and its tensor's adjoint buffer) must be finite.
  // Its adjoint is complete then, so the first bad one found is where the backward pass
  // first went wrong.
  void sweep_checked(std::uint32_t hi, std::uint32_t lo) {
    const Hook* first_hook = hooks_.data();
    const Hook* next_hook = std::upper_bound(first_hook, first_hook + hooks_.size(), hi,
                                             [](std::uint32_t s, const Hook& h) { return s < h.statement; });
    for (std::uint32_t s = hi; s > lo; --s) {
      T* adj = adjoints_.data();
      using std::isfinite;
      const auto* tensor = checked_tensors_.find(s);
      if (!isfinite(adj[s])) [[unlikely]]
        detail::throw_non_finite_adjoint<T>(s, tensor, label(s), adj[s], -1);
      if (tensor != nullptr && tensor->adjoint != nullptr)
        for (std::size_t k = 0; k < std::size_t{tensor->rows} * tensor->cols; ++k)
          if (!isfinite(tensor->adjoint[k])) [[unlikely]]
            detail::throw_non_finite_adjoint<T>(s, tensor, nullptr, tensor->adjoint[k],
                                                static_cast<std::ptrdiff_t>(k));
      if (next_hook != first_hook && next_hook[-1].statement == s) {
        --next_hook;
        next_hook->backward(*this, s, next_hook->data);
        continue;
      }
      for (std::uint32_t o = begin_of(s); o < statement_end_[s]; ++o)
        adj[indices_[o]] += partials_[o] * adj[s];
    }
  }

  // A user-defined backward function: `data` is its position in custom_functions_.
  static void run_custom_function(BasicTape& tape, std::uint32_t statement, const void* data) {
    tape.run_custom_backward(statement, tape.custom_functions_[reinterpret_cast<std::uintptr_t>(data)]);
  }
  void run_custom_backward(std::uint32_t statement, const CustomFunction& op) {
    scratch_.assign(op.num_inputs, T(0));
    const std::size_t statements_before = statement_end_.size();
    op.backward(adjoints_[statement], std::span<T>(scratch_));
    if (statement_end_.size() != statements_before)
      throw Error("tapegrad: a custom_op backward function recorded on the tape during the reverse sweep");
    T* adj = adjoints_.data();
    for (std::uint32_t i = 0; i < op.num_inputs; ++i) adj[custom_inputs_[op.first_input + i]] += scratch_[i];
  }

  [[gnu::noinline]] void grow_operands(std::size_t extra) {
    const std::size_t needed = operand_count_ + extra;
    if (needed > max_statements) detail::throw_too_large("operands");
    const std::size_t capacity =
        std::min(std::max({needed, 2 * operand_capacity_, std::size_t{256}}), max_statements);
    std::unique_ptr<T[]> partials(new T[capacity]);
    std::unique_ptr<std::uint32_t[]> indices(new std::uint32_t[capacity]);
    std::copy_n(partials_.get(), operand_count_, partials.get());
    std::copy_n(indices_.get(), operand_count_, indices.get());
    partials_ = std::move(partials);
    indices_ = std::move(indices);
    operand_capacity_ = capacity;
  }

  // Operand arrays are kept side by side (structure of arrays) so the sweep streams them.
  std::unique_ptr<T[]> partials_;
  std::unique_ptr<std::uint32_t[]> indices_;
  std::size_t operand_count_ = 0;
  std::size_t operand_capacity_ = 0;
  detail::FlatArray<std::uint32_t> statement_end_;  // end of each statement's operands
  detail::FlatArray<T> adjoints_;
  detail::FlatArray<Hook> hooks_;  // sorted by statement
  std::vector<CustomFunction> custom_functions_;
  std::vector<std::uint32_t> custom_inputs_;
  detail::FlatArray<TensorAdjoint> tensor_adjoints_;
  detail::Arena arena_;
  std::vector<T> scratch_;
  std::vector<Epoch> epochs_;  // earlier generations still partly valid after rewind()

  std::uint32_t generation_ = 0;
  std::uint32_t generation_start_ = 1;
  std::uint32_t first_generation_ = 0;

  bool annotate_;
  bool check_finite_;
  detail::CheckedTensors<T> checked_tensors_;  // check_finite mode only
  std::vector<T> values_;
  std::vector<std::string> labels_;

  BasicTape* previous_;  // the tape that was active when this one was created
  static inline thread_local BasicTape* active_ = nullptr;
};

using Tape = BasicTape<double>;
using FloatTape = BasicTape<float>;

}  // namespace tapegrad
