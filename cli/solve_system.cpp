#include "solve_system.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

#include "../autodiff/support/atomic_file.hpp"
#include "../optim/solve.hpp"
#include "../optim/solve/incomplete_lu.hpp"
#include "arguments.hpp"
#include "expression.hpp"
#include "expression_list.hpp"
#include "limits.hpp"
#include "output.hpp"
#include "plural.hpp"
#include "relation.hpp"

namespace tapegrad::cli {

std::vector<EquationSpan> split_equations(const std::string& text) {
  std::vector<EquationSpan> out;
  const auto add = [&](std::size_t begin, std::size_t end) {
    bool blank = true;
    for (std::size_t k = begin; k < end && blank; ++k)
      blank = std::isspace(static_cast<unsigned char>(text[k]));
    if (blank) return;
    // Each equation is about a kilobyte compiled: refused by their count before that.
    if (static_cast<long long>(out.size()) == max_equations)
      throw UsageError("solve: more than " + limit_text(max_equations) +
                       " equations; at most that many are solved together");
    try {
      const SplitRelation s = split_relation(text, begin, end, false, "equation");
      out.push_back({begin, s.lhs_end, s.rhs_begin, end});
    } catch (const ExpressionError& e) {
      throw error_at(text, std::string(e.message()), e.column());
    }
  };
  // A ';' always ends an equation (as it ends an expression of a list); a line break only
  // outside parentheses and brackets, where an equation may go on over lines.
  int depth = 0;
  std::size_t begin = 0;
  for (std::size_t k = 0; k < text.size(); ++k) {
    const char c = text[k];
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') --depth;
    if (c == ';' || (c == '\n' && depth <= 0)) {
      add(begin, k);
      begin = k + 1;
      depth = 0;
    }
  }
  add(begin, text.size());
  if (out.empty()) {
    try {
      split_relation(text, 0, text.size(), false, "equation");  // says what is missing
    } catch (const ExpressionError& e) {
      throw error_at(text, std::string(e.message()), e.column());
    }
  }
  return out;
}

ExpressionError error_at(const std::string& text, const std::string& message, std::size_t column) {
  if (text.find('\n') == std::string::npos) return ExpressionError(message, text, column);
  // The line of the byte at the column (the line break itself for a column at a line's end).
  const std::size_t at = std::min(column == 0 ? 0 : column - 1, text.size());
  const std::size_t start = at == 0 ? 0 : text.rfind('\n', at - 1) + 1;  // npos + 1 is 0
  std::size_t end = std::min(text.find('\n', at), text.size());
  const long long line =
      1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(start), '\n');
  if (end > start && text[end - 1] == '\r') --end;
  return ExpressionError("line " + std::to_string(line) + ": " + message, text.substr(start, end - start),
                         column - start);
}

std::string constants_note(const std::string& text) {
  std::vector<std::string> used;
  const auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (std::size_t k = 0; k < text.size() && used.size() < 2;) {
    if (!word(text[k])) {
      ++k;
      continue;
    }
    std::size_t end = k;
    while (end < text.size() && word(text[end])) ++end;
    const std::string_view name(text.data() + k, end - k);
    // A name starts a word (1e5's e is part of a number).
    const bool in_number =
        k > 0 && (std::isdigit(static_cast<unsigned char>(text[k - 1])) || text[k - 1] == '.');
    if ((name == "e" || name == "pi") && !in_number &&
        std::find(used.begin(), used.end(), name) == used.end())
      used.emplace_back(name);
    k = end;
  }
  if (used.empty()) return "";
  const std::string names = used.size() == 2 ? "e and pi are" : used[0] + " is";
  return "; " + names + " the constant" + (used.size() == 2 ? "s" : "") +
         " of that name, not an unknown (call the unknown something else)";
}

Expression compile_side(const std::string& text, std::size_t from, std::size_t to,
                        const std::map<std::string, std::size_t>& dimensions) {
  try {
    return Expression::parse(std::string_view(text).substr(from, to - from), dimensions);
  } catch (const SyntaxError& e) {
    throw error_at(text, std::string("syntax error: ").append(e.message()), e.column() + from);
  }
}

namespace {

constexpr std::uint32_t no_expression = std::numeric_limits<std::uint32_t>::max();

// One side of an equation: a compiled expression, or a plain number (the 0 of "… = 0",
// which most equations of a large system have, and which then costs no expression).
struct SystemSide {
  std::uint32_t expression = no_expression;
  double constant = 0;
  std::size_t offset = 0;  // where the side's text starts in the whole text (0-based)
};

// A side written as a plain decimal number ("0", "2.5"): read as the parser reads it.
bool plain_number(std::string_view s, double& value) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.empty() || s.size() > 20 || !std::isdigit(static_cast<unsigned char>(s.front()))) return false;
  std::size_t points = 0;
  for (const char c : s) {
    if (c == '.')
      ++points;
    else if (!std::isdigit(static_cast<unsigned char>(c)))
      return false;
  }
  if (points > 1 || s.back() == '.') return false;
  value = std::strtod(std::string(s).c_str(), nullptr);
  return true;
}

// The equations compiled, every side rebound to `all` (join_expressions), so that one set
// of inputs per point serves them all.
struct CompiledSystem {
  Expression all;  // every unknown: its scalars, then its vectors (Point::flat() order)
  std::vector<Expression> expressions;
  std::vector<std::array<SystemSide, 2>> equations;
  std::size_t unknowns = 0;
};

CompiledSystem compile_system(const std::string& text, const std::vector<EquationSpan>& spans,
                              const std::map<std::string, std::size_t>& dimensions) {
  CompiledSystem s;
  s.equations.reserve(spans.size());
  std::vector<Expression> expressions;
  const auto side = [&](std::size_t from, std::size_t to) {
    SystemSide out;
    out.offset = from;
    if (plain_number(std::string_view(text).substr(from, to - from), out.constant)) return out;
    expressions.push_back(compile_side(text, from, to, dimensions));
    out.expression = static_cast<std::uint32_t>(expressions.size() - 1);
    return out;
  };
  for (const EquationSpan& q : spans)
    s.equations.push_back({side(q.begin, q.lhs_end), side(q.rhs_begin, q.end)});
  ExpressionList joined = join_expressions(std::move(expressions), dimensions);
  s.all = std::move(joined.all);
  s.expressions = std::move(joined.parts);
  s.unknowns = s.all.scalars().size();
  for (std::size_t v = 0; v < s.all.vectors().size(); ++v) s.unknowns += s.all.dimension(v);
  return s;
}

// The residuals LHS − RHS of a compiled system at a flat point, on doubles or Vars; its
// storage is sized once and reused from point to point.
template <class T>
class SystemEvaluator {
 public:
  explicit SystemEvaluator(const CompiledSystem& s) : s_(&s) {}

  // The point x in Point::flat() order.
  void assign(std::span<const T> x) { inputs_.assign(s_->all, x); }

  // Equation i's residual.
  T residual(std::size_t i) {
    const auto& [lhs, rhs] = s_->equations[i];
    if (lhs.expression == no_expression && rhs.expression == no_expression)
      return T(lhs.constant - rhs.constant);
    if (rhs.expression == no_expression) {
      T l = side(lhs);
      return rhs.constant == 0 ? l : l - rhs.constant;
    }
    if (lhs.expression == no_expression) return lhs.constant - side(rhs);
    T l = side(lhs);
    return l - side(rhs);
  }
  // A side's value alone; `check` reports an operation that leaves its domain (DomainError,
  // at the column in the side's text).
  T side(const SystemSide& side, bool check = false) {
    if (side.expression == no_expression) return T(side.constant);
    return evaluate_(s_->expressions[side.expression], inputs_.inputs(), check);
  }

 private:
  const CompiledSystem* s_;
  ListInputs<T> inputs_;
  Evaluator<T> evaluate_;
};

optim::SolveOptions solve_options(const SolveFlags& f, std::size_t unknowns) {
  optim::SolveOptions o;
  o.method = enum_flag<optim::SolveMethod>(f.method, "--method");
  o.jacobian = enum_flag<optim::JacobianStorage>(f.jacobian, "--jacobian");
  o.tolerance = parse_number(f.tolerance, "--tol");
  if (!(o.tolerance >= 0)) throw UsageError("--tol " + trimmed(f.tolerance) + ": must be at least 0");
  o.max_iterations = f.max_iter;  // in range: run_solve checked it
  require_in_range(f.krylov_restart, 1, max_krylov_restart, "--krylov-restart");
  require_in_range(f.krylov_max_iter, 1, max_steps, "--krylov-max-iter");
  // GMRES's basis: restart + 1 vectors of n doubles, refused before it is allocated.
  const bool may_be_krylov =
      o.method == optim::SolveMethod::NewtonKrylov || o.method == optim::SolveMethod::Auto;
  if (may_be_krylov && static_cast<double>(f.krylov_restart + 1) * static_cast<double>(unknowns) >
                           static_cast<double>(max_krylov_basis_entries))
    throw UsageError("--krylov-restart " + std::to_string(f.krylov_restart) + ": GMRES would keep " +
                     std::to_string(f.krylov_restart + 1) + " vectors of " + std::to_string(unknowns) +
                     " numbers, more than the " + limit_text(max_krylov_basis_entries) +
                     " numbers it may keep; lower it");
  o.krylov_restart = static_cast<int>(f.krylov_restart);
  o.krylov_max_iterations = f.krylov_max_iter;
  require_in_range(f.preconditioner_reuse, 1, max_steps, "--preconditioner-reuse");
  o.krylov_preconditioner_reuse = f.preconditioner_reuse;
  if (o.method == optim::SolveMethod::NewtonKrylov && o.jacobian != optim::JacobianStorage::Auto)
    throw UsageError("--jacobian " + f.jacobian +
                     ": --method newton-krylov forms no Jacobian (it solves by J·v products); leave "
                     "--jacobian out, or solve by newton or dogleg");
  if (f.preconditioner != "none" && f.preconditioner != "ilu")
    throw UsageError("--preconditioner: '" + f.preconditioner + "' (expected none or ilu)");
  if (f.preconditioner_reuse_given && f.preconditioner == "none")
    throw UsageError(
        "--preconditioner-reuse is for --preconditioner ilu (there is no preconditioner to reuse)");
  if (!f.krylov_flag.empty() &&
      (o.method == optim::SolveMethod::Newton || o.method == optim::SolveMethod::Dogleg))
    throw UsageError(f.krylov_flag + " is for --method newton-krylov (or auto), not " + f.method);
  // n² numbers: refused before they are made.
  if (o.method != optim::SolveMethod::NewtonKrylov && o.jacobian == optim::JacobianStorage::Dense &&
      static_cast<long long>(unknowns) > max_hessian_coordinates)
    throw UsageError("--jacobian dense: " + counted(static_cast<long long>(unknowns), "unknown") +
                     "; a dense Jacobian is stored for at most " + std::to_string(max_hessian_coordinates) +
                     " (--jacobian sparse stores its nonzeros, --method newton-krylov none)");
  return o;
}

// The point as JSON: a scalar by its name, a vector as the list of its entries.
Json point_json(const Expression& all, const std::vector<double>& x) {
  Json out = Json::object();
  std::size_t k = 0;
  for (const std::string& name : all.scalars()) out[name] = x[k++];
  for (std::size_t v = 0; v < all.vectors().size(); ++v) {
    Json entries = Json::array();
    for (std::size_t i = 0; i < all.dimension(v); ++i) entries.push_back(x[k++]);
    out[all.vectors()[v]] = entries;
  }
  return out;
}

}  // namespace

void solve_system(const std::string& text, const std::vector<EquationSpan>& spans,
                  const std::map<std::string, std::size_t>& dimensions, const SolveFlags& flags) {
  const CompiledSystem system = compile_system(text, spans, dimensions);
  const std::size_t m = system.equations.size(), n = system.unknowns;
  const std::string count =
      counted(static_cast<long long>(m), "equation") + " in " + counted(static_cast<long long>(n), "unknown");
  if (n > m)
    throw UsageError(count + ": solve needs as many equations as unknowns (for fewer, minimize --residuals)" +
                     constants_note(text));
  if (n < m)
    throw UsageError(count +
                     ": more equations than unknowns (for a least-squares fit, minimize --residuals)" +
                     constants_note(text));
  optim::SolveOptions options = solve_options(flags, n);
  const Point start = bind_point(system.all, flags.from, "--from");
  const std::vector<double> x0 = start.flat();

  // A start outside an equation's domain is the user's error, said where.
  {
    SystemEvaluator<double> at_start(system);
    at_start.assign(x0);
    for (const auto& sides : system.equations)
      for (const SystemSide& side : sides) {
        try {
          at_start.side(side, true);
        } catch (const DomainError& d) {
          throw error_at(text, std::string(d.message()) + " at the start", d.column() + side.offset);
        }
      }
  }

  SystemEvaluator<Var> on_tape(system);
  const auto residuals = [&](std::span<const Var> x) {
    on_tape.assign(x);
    std::vector<Var> r;
    r.reserve(m);
    for (std::size_t i = 0; i < m; ++i) r.push_back(on_tape.residual(i));
    return r;
  };
  if (flags.preconditioner == "ilu")
    options.preconditioner = optim::incomplete_lu_preconditioner(
        residuals, SparseJacobianOptions{.max_nonzeros = static_cast<std::size_t>(max_sparse_nonzeros)});
  const optim::SolveResult r = optim::solve(residuals, x0, options);

  if (flags.json) {
    print_json({{"x", point_json(system.all, r.x)},
                {"residual", r.residual_norm},
                {"iterations", r.iterations},
                {"method", r.method},
                {"linear_solver", r.linear_solver},
                {"evaluations", r.evaluations},
                {"jacobian_evaluations", r.jacobian_evaluations},
                {"linear_iterations", r.linear_iterations},
                {"preconditioner_setups", r.preconditioner_setups},
                {"converged", r.converged()}});
    if (!flags.out.empty()) write_entries(flags.out, r.x, coordinate_name_of(system.all));
  } else {
    // A screenful of entries, every one in --out's file ("name = value" a line).
    print_entries(r.x, coordinate_name_of(system.all), "", flags.out);
    std::printf("residual = %s\niterations = %ld (%s)\nlinear solver = %s\nevaluations = %ld\n",
                number(r.residual_norm).c_str(), r.iterations, r.method.c_str(), r.linear_solver.c_str(),
                r.evaluations);
    std::printf("jacobian evaluations = %ld\n", r.jacobian_evaluations);
    if (r.method == optim::to_string(optim::SolveMethod::NewtonKrylov))
      std::printf("krylov iterations = %ld\n", r.linear_iterations);
    if (r.preconditioner_setups > 0) std::printf("preconditioner setups = %ld\n", r.preconditioner_setups);
  }
  if (!r.converged())
    throw RunFailed(std::string("solve: no root found: ") + optim::to_string(r.reason) +
                    "; |F| = " + number(r.residual_norm) + " at the point above, the best found" +
                    (flags.out.empty() ? "" : " (written to " + flags.out + ")"));
}

}  // namespace tapegrad::cli
