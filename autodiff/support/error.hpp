/// \file
/// The exception types tapegrad throws. Error is for misuse (a stale or foreign Var, a
/// gradient with respect to something not on the tape, bad arguments) and bad input;
/// three kinds of Error say more: NonFiniteError comes from a tape in check_finite mode,
/// BranchChanged from a replay whose recorded branch no longer holds, NotReplayable from
/// a recording that holds what nothing can recompute. Messages name the operation and
/// the values involved so the caller can find the mistake.
#pragma once

#include <charconv>
#include <concepts>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace tapegrad {

namespace detail {

inline constexpr std::string_view error_prefix = "tapegrad: ";

inline void append_part(std::string& out, std::string_view text) { out += text; }
inline void append_part(std::string& out, char c) { out += c; }
// A template, so that a string literal (which converts to bool without a user-defined
// conversion) never picks it over string_view.
template <class B>
requires std::same_as<B, bool>
void append_part(std::string& out, B b) { out += b ? "true" : "false"; }
// Numbers as the shortest text that reads back as the same number.
template <class N>
requires(std::is_arithmetic_v<N> && !std::same_as<N, char> &&
         !std::same_as<N, bool>) void append_part(std::string& out, N n) {
  char buffer[64];
  const std::to_chars_result r = std::to_chars(buffer, buffer + sizeof buffer, n);
  out.append(buffer, r.ec == std::errc() ? r.ptr : buffer);
}

template <class... Parts>
std::string error_message(const Parts&... parts) {
  std::string message;
  (append_part(message, parts), ...);
  // A message made from another Error's what() keeps its one prefix.
  if (!std::string_view(message).starts_with(error_prefix)) message.insert(0, error_prefix);
  return message;
}

}  // namespace detail

/// Every error tapegrad throws: a message that starts with "tapegrad: " and names what was wrong and where
/// (the operation, the shapes, the file and line, the option).
class Error : public std::runtime_error {
 public:
  /// An error whose message is "tapegrad: " followed by `parts` one after another: text
  /// as it is, numbers as the shortest text that reads back as the same number, so that
  /// `Error("Linear: in = ", n, " (must be ≥ 1)")` needs no std::to_string. A message
  /// that already starts with "tapegrad: " (another error's) is not prefixed again.
  template <class... Parts>
  requires(sizeof...(Parts) > 0) explicit Error(const Parts&... parts)
      : std::runtime_error(detail::error_message(parts...)) {}
  /// The message without its "tapegrad: " prefix, for a program that adds its own.
  std::string_view message() const noexcept {
    return std::string_view(what()).substr(detail::error_prefix.size());
  }
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

/// Replaying a recording (ReplayTape::replay, RecordedFunction) at an input where a comparison
/// of Vars or a kink (abs, relu, max, …) comes out differently from when it was
/// recorded: the recording no longer describes the function there. The message names
/// the comparison or kink, its recorded and its new outcome.
class BranchChanged : public Error {
 public:
  /// An error whose message is made of `parts`, as Error's.
  using Error::Error;
};

/// A recording that cannot be replayed: it holds a statement whose value and partials
/// came from the caller's code (a custom_op), so nothing could recompute them.
class NotReplayable : public Error {
 public:
  /// An error whose message is made of `parts`, as Error's.
  using Error::Error;
};

}  // namespace tapegrad
