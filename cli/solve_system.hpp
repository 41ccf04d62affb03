// The equations of `tapegrad solve` and a system of them: the text split into equations
// (at ';' and line breaks) and each at its '=' (relation.hpp); for a system, each side
// compiled once and rebound to the variables of all of them (expression_list.hpp), so that
// F at a point is one pass over the equations on one set of inputs, for 10⁶ equations as
// for two; then optim::solve by the method and Jacobian storage the flags ask, and the
// root printed (a screenful for many unknowns) and written to --out as a point file.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "calculus.hpp"

namespace tapegrad::cli {

// The flags of `tapegrad solve`.
struct SolveFlags {
  std::string equations, from, dims, out;
  std::string method = "auto", jacobian = "auto", tolerance = "1e-12", preconditioner = "none";
  long max_iter = 100;
  long krylov_restart = 30, krylov_max_iter = 1000, preconditioner_reuse = 10;
  bool json = false;
  bool preconditioner_reuse_given = false;
  // --method, --jacobian, --tol or a Krylov flag given: a single equation in one unknown then goes to
  // optim::solve too, rather than to the bracketing Newton search that takes none of them.
  bool system_flags_given = false;
  // The first Newton–Krylov flag given (--krylov-restart, --krylov-max-iter, --preconditioner,
  // --preconditioner-reuse), or "".
  std::string krylov_flag;
};

// Where one equation lies in the whole text: [begin, end), its sides [begin, lhs_end)
// and [rhs_begin, end).
struct EquationSpan {
  std::size_t begin = 0, lhs_end = 0, rhs_begin = 0, end = 0;
};

// The equations of `text`: separated by ';' and by line breaks outside parentheses and
// brackets (so that an equation may go on over lines inside them), blank ones skipped,
// each split at its '='. Throws ExpressionError (error_at) for an equation without '=',
// with two, with '==' or an inequality, and for a text with no equation at all.
std::vector<EquationSpan> split_equations(const std::string& text);

// An error at the 1-based `column` of the whole text. In a text of several lines (an
// equation file) the message starts with the line ("line 37: …") and the column counts
// in that line, whose text is what the error shows: a column deep in a large file says
// nothing by itself.
ExpressionError error_at(const std::string& text, const std::string& message, std::size_t column);

// The side [from, to) of the whole text compiled alone, a syntax error reported at its
// column in the whole text (error_at).
Expression compile_side(const std::string& text, std::size_t from, std::size_t to,
                        const std::map<std::string, std::size_t>& dimensions);

// When the text uses e or pi as a name, the note that they are the constants, not
// unknowns (why a count of unknowns may be one short of what the user meant); else "".
std::string constants_note(const std::string& text);

// Solves the system of `equations` in `text` (any number, scalar and vector unknowns) by
// optim::solve and prints the result. Throws UsageError or ExpressionError for bad input
// (exit code 2), RunFailed when no root is found (exit code 1).
void solve_system(const std::string& text, const std::vector<EquationSpan>& equations,
                  const std::map<std::string, std::size_t>& dimensions, const SolveFlags& flags);

}  // namespace tapegrad::cli
