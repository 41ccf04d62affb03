/// \file
/// The exception types tapegrad throws. Error is for misuse (a stale or foreign Var, a
/// gradient with respect to something not on the tape, bad arguments) and bad input;
/// NonFiniteError, one kind of Error, comes from a tape in check_finite mode;
/// BranchChanged from a replay whose recorded branch no longer holds. Messages
/// name the operation and the values involved so the caller can find the mistake.
#pragma once

#include <stdexcept>
#include <string>

namespace tapegrad {

/// Every error tapegrad throws: a message that starts with "tapegrad: " and names what was wrong and where
/// (the operation, the shapes, the file and line, the option).
class Error : public std::runtime_error {
 public:
  /// An error with the message `what`.
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

/// A tape in check_finite mode met a NaN or an infinity: `pass()` says whether in
/// recording ("forward", naming the operation that produced it and its inputs) or in
/// the reverse sweep ("backward", naming the result whose adjoint went bad).
class NonFiniteError : public Error {
 public:
  /// An error with the message `what`, found in `pass` ("forward" or "backward").
  NonFiniteError(const std::string& what, std::string pass) : Error(what), pass_(std::move(pass)) {}
  /// Where the non-finite number appeared: "forward" (while recording) or "backward" (in a sweep).
  const std::string& pass() const { return pass_; }

 private:
  std::string pass_;
};

/// Replaying a recording (Tape::replay, RecordedFunction) at an input where a comparison
/// of Vars or a kink (abs, relu, max, …) comes out differently from when it was
/// recorded: the recording no longer describes the function there. The message names
/// the comparison or kink, its recorded and its new outcome.
class BranchChanged : public Error {
 public:
  /// An error with the message `what`.
  using Error::Error;
};

/// A recording that cannot be replayed: it holds a statement whose value and partials
/// came from the caller's code (a custom_op), so nothing could recompute them.
class NotReplayable : public Error {
 public:
  /// An error with the message `what`.
  using Error::Error;
};

}  // namespace tapegrad
