/// \file
/// A part of a computation recorded on the caller's tape as one operation with several
/// outputs, whose backward recomputes what it needs (checkpoint, checkpointed_loop).
///
/// On the caller's tape it is a statement with a backward of its own (a hook) followed
/// by one statement per output, without operands. The sweep reaches the outputs first
/// and the hook only after them, when every output's adjoint is complete (whatever used
/// an output was recorded after it); the hook hands those adjoints to the Region, which
/// returns the inputs' adjoints. On a replay tape the hook is also the operation's
/// forward: a replay that reaches it runs the Region again at the inputs' new values and
/// sets the outputs' values, so a RecordedFunction replays through it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "../../scalar/custom_op.hpp"
#include "../../scalar/tape.hpp"
#include "../../scalar/var.hpp"

namespace tapegrad::detail {

template <class T>
class Region {
 public:
  virtual ~Region();
  // The outputs at `inputs` (the inputs' values), when recorded and again at each replay;
  // keeps what backward() needs. Must give as many outputs every time.
  virtual void forward(std::span<const T> inputs, std::vector<T>& outputs) = 0;
  // Writes d(Σᵢ output_adjoints[i]·outputᵢ)/d(input j) into input_adjoints[j], at the
  // inputs of the last forward().
  virtual void backward(std::span<const T> output_adjoints, std::span<T> input_adjoints) = 0;
  // Bytes held between forward() and backward() (snapshots), counted by the tape.
  virtual std::size_t bytes() const noexcept = 0;
};

// Defaulted here, not in the class: see "Virtual destructors" in docs/architecture.md.
template <class T>
Region<T>::~Region() = default;

// What the hook and the replay's forward reach the Region through.
template <class T>
struct RecordedRegion {
  std::unique_ptr<Region<T>> region;
  BasicTape<T>* tape;
  std::vector<std::uint32_t> inputs;  // statements (0 for a constant)
  std::vector<T> input_values;        // a constant's is kept; the others are read at each replay
  std::uint32_t first_output = 0;
  std::vector<T> outputs, output_adjoints;

  void backward(std::span<T> input_adjoints) {
    output_adjoints.resize(outputs.size());
    for (std::size_t i = 0; i < outputs.size(); ++i)
      output_adjoints[i] = tape->adjoint_at(first_output + static_cast<std::uint32_t>(i));
    region->backward(output_adjoints, input_adjoints);
  }
};

// A replay reached the region: its inputs have new values.
template <class T>
void replay_region(BasicTape<T>& tape, std::uint32_t, const void* data) {
  auto& r = *static_cast<RecordedRegion<T>*>(const_cast<void*>(data));
  RecordingObserver<T>& observer = *tape.observer();
  for (std::size_t j = 0; j < r.inputs.size(); ++j)
    if (r.inputs[j] != 0) r.input_values[j] = observer.value(r.inputs[j]);
  const std::size_t count = r.outputs.size();
  r.region->forward(r.input_values, r.outputs);
  if (r.outputs.size() != count)
    throw Error("replaying a checkpointed part: it gave ", r.outputs.size(), " outputs, not the ", count,
                " it gave when recorded");
  for (std::size_t i = 0; i < count; ++i)
    observer.set_value(r.first_output + static_cast<std::uint32_t>(i), r.outputs[i]);
}

// Runs `region` at the inputs' values and records it on the active tape; returns its
// outputs as Vars. If the region throws, nothing is recorded.
template <class T>
std::vector<BasicVar<T>> record_region(std::span<const BasicVar<T>> inputs, std::unique_ptr<Region<T>> region,
                                       const char* operation) {
  BasicTape<T>& tape = BasicTape<T>::active_or_throw(operation);
  auto r = std::make_shared<RecordedRegion<T>>();
  std::vector<std::uint32_t> generations;
  split_inputs(inputs, r->inputs, generations);
  for (std::size_t j = 0; j < inputs.size(); ++j) {
    tape.check_var(r->inputs[j], generations[j], operation);
    if (generations[j] == 0) r->inputs[j] = 0;
    r->input_values.push_back(inputs[j].value());
  }
  region->forward(r->input_values, r->outputs);
  r->region = std::move(region);
  r->tape = &tape;
  RecordedRegion<T>* const data = r.get();
  const std::size_t held = r->region->bytes() + (r->input_values.size() + 2 * r->outputs.size()) * sizeof(T);
  const std::size_t position = tape.custom_functions().add(
      r->inputs, [r](const T&, std::span<T> input_adjoints) { r->backward(input_adjoints); }, held);
  const std::uint32_t statement = tape.record_hook(
      &run_custom_function<T>, reinterpret_cast<const void*>(static_cast<std::uintptr_t>(position)));
  data->first_output = statement + 1;
  if (RecordingObserver<T>* observer = tape.observer())
    observer->forward(statement, &replay_region<T>, data, T(0));
  if (tape.annotating()) tape.annotations().annotate(statement, T(0), operation);
  std::vector<BasicVar<T>> outputs;
  outputs.reserve(data->outputs.size());
  for (const T& value : data->outputs) {
    const std::uint32_t s = tape.record_operands({}, {}, {});
    if (RecordingObserver<T>* observer = tape.observer()) observer->set_value(s, value);
    if (tape.annotating()) tape.annotations().annotate(s, value, operation);
    outputs.emplace_back(typename BasicVar<T>::Recorded{}, value, s, tape.generation());
  }
  return outputs;
}

}  // namespace tapegrad::detail
