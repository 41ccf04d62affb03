// Graphviz export of a recording: one node per statement (its expression and value
// when the tape annotates, its adjoint after a sweep), one edge per operand labelled
// with the local partial. `dot -Tsvg graph.dot > graph.svg` draws it.
#pragma once

#include <ostream>
#include <string>

#include "tape.hpp"

namespace tapegrad {

template <class T>
void write_dot(const BasicTape<T>& tape, std::ostream& out);

template <class T>
std::string to_dot(const BasicTape<T>& tape);

extern template void write_dot(const BasicTape<double>&, std::ostream&);
extern template void write_dot(const BasicTape<float>&, std::ostream&);
extern template std::string to_dot(const BasicTape<double>&);
extern template std::string to_dot(const BasicTape<float>&);

}  // namespace tapegrad
