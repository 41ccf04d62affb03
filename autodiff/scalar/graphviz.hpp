/// \file
/// Graphviz export of a recording: one node per statement (its expression and value
/// when the tape annotates, its adjoint after a sweep), one edge per operand labelled
/// with the local partial. `dot -Tsvg graph.dot > graph.svg` draws it.
#pragma once

#include <ostream>
#include <string>

#include "tape.hpp"

namespace tapegrad {

/// Writes the tape's recording as a Graphviz DOT graph to `out`: one node per statement (with its value and
/// expression on an annotating tape), one edge per operand with its local partial.
template <class T>
void write_dot(const BasicTape<T>& tape, std::ostream& out);

/// The DOT graph of write_dot() as a string.
template <class T>
std::string to_dot(const BasicTape<T>& tape);

/// \cond INTERNAL
extern template void write_dot(const BasicTape<double>&, std::ostream&);
extern template void write_dot(const BasicTape<float>&, std::ostream&);
extern template std::string to_dot(const BasicTape<double>&);
extern template std::string to_dot(const BasicTape<float>&);
/// \endcond

}  // namespace tapegrad
