/// \file
/// Which tape records on this thread: a tape is active from its construction to its
/// destruction, and tapes nest like scopes (the innermost one records). BasicTape
/// derives from ActiveScope, so this file is the whole of that bookkeeping.
#pragma once

namespace tapegrad::detail {

[[noreturn]] void throw_no_active_tape(const char* operation);

template <class Tape>
class ActiveScope {
 public:
  ActiveScope() : previous_(active_) { active_ = static_cast<Tape*>(this); }
  ~ActiveScope() { release(); }

  // Stops being active (and being an enclosing scope) before being destroyed: a tape that
  // outlives the code that recorded on it (a RecordedFunction's) must not record what
  // the thread does next.
  void release() noexcept {
    if (!linked_) return;
    linked_ = false;
    if (active_ == this) {
      active_ = previous_;
      return;
    }
    // Released out of scope order: unlink from the chain of enclosing tapes.
    for (ActiveScope* t = active_; t != nullptr; t = t->previous_) {
      if (t->previous_ == this) {
        t->previous_ = previous_;
        break;
      }
    }
  }
  // Becomes the active tape of the calling thread again after release(), until the next
  // release(): a tape kept across steps and recorded on by whichever worker thread
  // takes the step (autodiff/parallel/). Releasing it on that thread is the caller's part.
  void activate() noexcept {
    if (linked_) return;
    previous_ = active_;
    active_ = static_cast<Tape*>(this);
    linked_ = true;
  }
  ActiveScope(const ActiveScope&) = delete;
  ActiveScope& operator=(const ActiveScope&) = delete;

  // The tape that records on this thread, or nullptr.
  static Tape* active() noexcept { return active_; }
  // The active tape; throws tapegrad::Error naming `operation` when there is none.
  static Tape& active_or_throw(const char* operation) {
    if (active_ == nullptr) [[unlikely]]
      throw_no_active_tape(operation);
    return *active_;
  }

 private:
  Tape* previous_;  // the tape that was active when this one was created
  bool linked_ = true;
  static inline thread_local Tape* active_ = nullptr;
};

}  // namespace tapegrad::detail
