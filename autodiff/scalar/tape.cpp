// The cold paths of the tape: building error messages.
#include "tape.hpp"

namespace tapegrad::detail {

void throw_no_active_tape(const char* operation) {
  throw Error(std::string("") + operation +
              ": no Tape is active on this thread; create a tapegrad::Tape (it stays active while it lives)");
}

void throw_stale_var(const char* operation, std::uint32_t index, std::uint32_t var_generation,
                     bool from_this_tape) {
  std::string message = std::string(operation) + ": Var v" + std::to_string(index) + " (tape generation " +
                        std::to_string(var_generation) + ") is not on the active tape: ";
  message += from_this_tape
                 ? "it was recorded before a clear() or a rewind() that discarded it, or on another tape"
                 : "it was recorded on another tape (one that was destroyed, or another thread's)";
  throw Error(message);
}

void throw_too_large(const char* what) {
  throw Error(std::string("the tape is full: more than 2^32 - 1 ") + what +
              " in one recording; clear() or rewind() the tape, or split the computation");
}

void throw_over_budget(std::size_t statement, std::size_t bytes_after, std::size_t max_bytes) {
  throw Error(
      "the tape's memory budget is spent: statement ", statement, " would take it to ", bytes_after,
      " bytes, past its max_bytes of ", max_bytes,
      " (Tape::Options); record less at once: tg::checkpointed_loop keeps a long loop's memory to a few "
      "of its states, tg::checkpoint and tg::preaccumulate store a part's inputs or Jacobian instead of "
      "its operations. The tape is usable again after clear() or rewind()");
}

}  // namespace tapegrad::detail
