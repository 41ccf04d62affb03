/// \file
/// The statements whose adjoint is distributed by a function of their own (a tensor
/// operation, a user-defined backward, a scalar Parameter) rather than by operands:
/// a plain function and a pointer to its data each, so recording one allocates nothing.
/// Kept sorted by statement; the sweep stops at each.
#pragma once

#include <algorithm>
#include <cstdint>

#include "../support/flat_array.hpp"
#include "tensor_adjoints.hpp"

namespace tapegrad {

template <class T>
class BasicTape;

/// What the reverse sweep runs at a statement with its own backward (a tensor operation,
/// a user-defined backward, a scalar Parameter): a plain function and a pointer to its
/// data, so recording one allocates nothing.
template <class T>
using HookBackward = void (*)(BasicTape<T>& tape, std::uint32_t statement, const void* data);

/// A statement with its own backward: a tensor operation, a user-defined backward or a scalar Parameter.
template <class T>
struct Hook {
  /// The statement's index.
  std::uint32_t statement;
  /// The function the sweep calls.
  HookBackward<T> backward;
  /// The function's data.
  const void* data;
  /// A tensor operation's own adjoint buffer: the sweep skips the hook when no one wrote
  /// it (tensor_adjoints.hpp). Null for a hook with a scalar adjoint.
  const detail::AdjointState* output;
};

namespace detail {

template <class T>
class HookList : public FlatArray<Hook<T>> {
 public:
  // One past the last hook at or before statement `s`.
  const Hook<T>* after(std::uint32_t s) const {
    return std::upper_bound(this->data(), this->data() + this->size(), s,
                            [](std::uint32_t x, const Hook<T>& h) { return x < h.statement; });
  }
  bool contains(std::uint32_t s) const {
    const Hook<T>* h = after(s);
    return h != this->data() && h[-1].statement == s;
  }
};

}  // namespace detail
}  // namespace tapegrad
