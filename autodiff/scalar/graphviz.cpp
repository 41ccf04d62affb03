#include "graphviz.hpp"

#include <sstream>

namespace tapegrad {

namespace {
// Escapes a label for a double-quoted DOT string.
std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}
}  // namespace

template <class T>
void write_dot(const BasicTape<T>& tape, std::ostream& out) {
  out.precision(6);
  out << "digraph tape {\n  rankdir=BT;\n  node [shape=box, fontname=\"monospace\"];\n";
  const auto statements = static_cast<std::uint32_t>(tape.num_nodes() + 1);
  for (std::uint32_t s = 1; s < statements; ++s) {
    out << "  v" << s << " [label=\"v" << s;
    if (const std::string* label = tape.annotations().label(s); label != nullptr && !label->empty())
      out << " = " << escape(*label);
    else if (tape.is_custom(s))
      out << " = custom_op";
    else if (tape.operand_indices(s).empty())
      out << " (input)";
    if (const T* value = tape.annotations().value(s)) out << "\\nvalue = " << *value;
    if (s < tape.adjoints_size()) out << "\\nadjoint = " << tape.adjoint_data()[s];
    out << "\"];\n";
    const auto indices = tape.operand_indices(s);
    const auto partials = tape.operand_partials(s);
    for (std::size_t o = 0; o < indices.size(); ++o) {
      if (indices[o] == 0) continue;  // a constant's operand: not part of the graph
      out << "  v" << indices[o] << " -> v" << s << " [label=\"" << partials[o] << "\"];\n";
    }
  }
  out << "}\n";
}

template <class T>
std::string to_dot(const BasicTape<T>& tape) {
  std::ostringstream out;
  write_dot(tape, out);
  return out.str();
}

template void write_dot(const BasicTape<double>&, std::ostream&);
template void write_dot(const BasicTape<float>&, std::ostream&);
template std::string to_dot(const BasicTape<double>&);
template std::string to_dot(const BasicTape<float>&);

}  // namespace tapegrad
