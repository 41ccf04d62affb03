// The one exception type tapegrad throws for misuse: a stale or foreign Var, a
// gradient with respect to something not on the tape, bad arguments. Messages name
// the operation and the values involved so the caller can find the mistake.
#pragma once

#include <stdexcept>
#include <string>

namespace tapegrad {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace tapegrad
