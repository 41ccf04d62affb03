// A point at which an Expression is evaluated, built from --at/--from values: one
// value per scalar variable; for a vector variable one value that fills it, a list
// (x=[1,2,3]) or single entries (x[0]=1), or both (x=0,x[3]=1). The values may come
// from a file (@path), separated by commas or new lines. Every variable needs a value,
// and every value a variable. A vector's length comes from --dim, or else from its value:
// a list's length, or one more than the largest index its entries give.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "evaluate.hpp"
#include "expression.hpp"

namespace tapegrad::cli {

struct Point {
  std::vector<double> scalars;               // in the Expression's scalar order
  std::vector<std::vector<double>> vectors;  // in its vector order

  Inputs<double> inputs() const { return {scalars, vectors}; }
  // Scalars then every vector's entries: the coordinates an optimizer moves.
  std::vector<double> flat() const;
  // The inverse of flat() for a point shaped like this one.
  Point with_flat(std::span<const double> x) const;
};

// Throws UsageError naming `flag` and the variable.
Point bind_point(const Expression& e, const std::vector<std::pair<std::string, double>>& values,
                 const std::string& flag);
// From the text of a flag: "x1=1,x2=2", "x=[1,2,3]", "x[2]=5", "@values.txt".
Point bind_point(const Expression& e, const std::string& text, const std::string& flag);
// Every variable 0 (the shape of a point).
Point zero_point(const Expression& e);

// The vector variables' lengths: --dim's (`dims_text`, named `dims_flag`), and for a
// vector not in --dim whose value the point (--at or --from, named `point_flag`; its
// text or @file) gives as a list (x=[1,2,3]), the list's length, or given by entries
// alone (x[0]=1, x[1]=2, …), one more than the largest index. Refuses more than
// max_point_entries entries in all (cli/limits.hpp), before any is allocated.
std::map<std::string, std::size_t> dimensions_of(const std::string& dims_text, const std::string& dims_flag,
                                                 const std::string& point_text,
                                                 const std::string& point_flag);

// The whole content of a file the user names with @ (an expression, an equation list, a
// point), refused by its size before it is read when larger than max_input_file_bytes
// (cli/limits.hpp), naming the file, its size and the limit. `what` names it in
// messages ("the expression file"); `flag`, when not empty, is put before them ("--at").
std::string read_input_file(const std::string& path, const std::string& what, const std::string& flag = "");

}  // namespace tapegrad::cli
