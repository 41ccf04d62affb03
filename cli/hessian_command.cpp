// tapegrad hessian EXPR --at x=1,y=2 [--dim x=N] [--sparse] [--out H.mtx] [--json]: the
// value, the gradient and the Hessian. Dense from the expression recorded once and
// linearized at the point (RecordedFunction::linearize), one column per product; with
// --sparse, the Hessian's pattern is found from the recording, colored with ColPack, and
// its nonzeros recovered from one sweep per vector_width colors
// (autodiff/sparse/sparse_hessian.hpp), for any number of unknowns.
#include <memory>

#include "../autodiff/sparse/sparse_hessian.hpp"
#include "arguments.hpp"
#include "calculus.hpp"
#include "commands.hpp"
#include "limits.hpp"
#include "matrix_market.hpp"
#include "output.hpp"

namespace tapegrad::cli {
namespace {

struct HessianOptions {
  std::string expression, at, dims, out;
  bool json = false, sparse = false;
};

std::size_t coordinates_of(const Expression& e) {
  std::size_t n = e.scalars().size();
  for (std::size_t v = 0; v < e.vectors().size(); ++v) n += e.dimension(v);
  return n;
}

void run_dense(const HessianOptions& o, const Expression& e, const Point& point) {
  // n² entries: refused before they are made.
  const std::size_t coordinates = coordinates_of(e);
  if (static_cast<long long>(coordinates) > max_hessian_coordinates)
    throw UsageError("hessian: the expression has " + std::to_string(coordinates) +
                     " coordinates; a dense Hessian is computed for at most " +
                     std::to_string(max_hessian_coordinates) + " (--sparse computes only its nonzeros)");
  const ValueGradientHessian r = value_gradient_hessian(e, point);
  require_finite_gradient(e, point, r.gradient);
  require_finite_hessian(e, point, r.hessian);
  if (!o.out.empty()) {
    write_matrix_market(o.out, Eigen::SparseMatrix<double>(r.hessian.sparseView()), MatrixSymmetry::Symmetric,
                        "the Hessian of " + e.text().substr(0, 200));
    std::fprintf(stderr, "wrote %s\n", o.out.c_str());
  }
  const std::vector<std::string> names = coordinate_names(e);
  if (o.json) {
    // Keyed by coordinate name (x, or x[3] for a vector entry) at both levels.
    Json gradient = Json::object(), hessian = Json::object();
    for (std::size_t i = 0; i < names.size(); ++i) {
      gradient[names[i]] = r.gradient[i];
      Json row = Json::object();
      for (std::size_t j = 0; j < names.size(); ++j)
        row[names[j]] = r.hessian(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
      hessian[names[i]] = row;
    }
    print_json({{"value", r.value}, {"gradient", gradient}, {"hessian", hessian}});
    return;
  }
  std::printf("f = %s\n", number(r.value).c_str());
  for (std::size_t k = 0; k < names.size(); ++k)
    std::printf("df/d%s = %s\n", names[k].c_str(), number(r.gradient[k]).c_str());
  for (std::size_t i = 0; i < names.size(); ++i)
    for (std::size_t j = 0; j < names.size(); ++j)
      std::printf("d2f/d%s d%s = %s\n", names[i].c_str(), names[j].c_str(),
                  number(r.hessian(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j))).c_str());
}

void run_sparse(const HessianOptions& o, const Expression& e, const Point& point) {
  checked_value(e, point);  // a domain error, at its column, before any derivative
  const std::vector<double> x = point.flat();
  SparseHessian h([&e](std::span<const Var> v) { return evaluate_flat(e, v); }, {}, x,
                  {.max_nonzeros = static_cast<std::size_t>(max_sparse_nonzeros)});
  std::vector<double> gradient(x.size()), nonzeros(h.pattern().nonzeros());
  const double value = h.values(x, nonzeros, gradient);
  require_finite_gradient(e, point, gradient);
  const SparsityPattern& p = h.pattern();
  for (std::size_t i = 0; i < p.rows; ++i)
    for (std::size_t k = p.row_begin[i]; k < p.row_begin[i + 1]; ++k)
      require_finite_second_derivative(e, point, i, p.columns[k], nonzeros[k]);
  if (!o.out.empty()) {
    write_matrix_market(o.out, h.matrix(nonzeros), MatrixSymmetry::Symmetric,
                        "the Hessian of " + e.text().substr(0, 200) + "\n" + std::to_string(h.colors()) +
                            " colors (tapegrad hessian --sparse)");
    std::fprintf(stderr, "wrote %s\n", o.out.c_str());
  }
  if (o.json) {
    Json g = Json::object();
    for (std::size_t i = 0; i < gradient.size(); ++i) g[coordinate_name(e, i)] = gradient[i];
    print_json({{"value", value}, {"gradient", g}, {"hessian", sparse_matrix_json(p, nonzeros, h.colors())}});
    return;
  }
  std::printf("f = %s\n", number(value).c_str());
  print_entries(gradient, coordinate_name_of(e), "df/d", "");
  std::printf("nonzeros = %zu (both triangles)\ncolors = %zu\n", p.nonzeros(), h.colors());
  // The lower triangle, row by row: a screenful of it (--out writes every entry).
  std::vector<std::pair<std::size_t, std::size_t>> entries;  // (row, column), named when printed
  std::vector<double> entry_values;
  for (std::size_t i = 0; i < p.rows; ++i)
    for (std::size_t k = p.row_begin[i]; k < p.row_begin[i + 1] && p.columns[k] <= i; ++k) {
      entries.emplace_back(i, p.columns[k]);
      entry_values.push_back(nonzeros[k]);
    }
  print_entries(
      entry_values,
      [&](std::size_t k) {
        return coordinate_name(e, entries[k].first) + " d" + coordinate_name(e, entries[k].second);
      },
      "d2f/d", "");
}

void run_hessian(const HessianOptions& o) {
  if (!o.out.empty()) check_writable_file(o.out, "--out");
  const Expression e = compile(expression_text(o.expression), dimensions_of(o.dims, "--dim", o.at, "--at"));
  const Point point = bind_point(e, o.at, "--at");
  if (o.sparse)
    run_sparse(o, e, point);
  else
    run_dense(o, e, point);
}

}  // namespace

void add_hessian_command(CLI::App& app) {
  auto o = std::make_shared<HessianOptions>();
  CLI::App* cmd =
      app.add_subcommand("hessian", "the value, gradient and Hessian of an expression at a point");
  cmd->add_option("expression", o->expression,
                  "e.g. \"100*(y - x^2)^2 + (1 - x)^2\"; - reads it from standard input, @file from a file")
      ->required();
  cmd->add_option(
      "--at", o->at,
      "the point: x=1,y=2 (a vector variable takes one value for every entry, or a list x=[1,2,3]); "
      "@file reads it from a file");
  cmd->add_option("--dim", o->dims, "vector variables and their lengths, where no value gives one: x=10");
  cmd->add_flag("--sparse", o->sparse,
                "only the nonzeros: the pattern found from the recording, its columns colored (ColPack), "
                "one sweep per 8 colors; for many unknowns");
  cmd->add_option("--out", o->out,
                  "write the Hessian to FILE in Matrix Market format (coordinate real symmetric: the lower "
                  "triangle, 1-based), which scipy.io.mmread, MATLAB, Julia and SuiteSparse read");
  cmd->add_flag(
      "--json", o->json,
      "one JSON object: {\"value\": …, \"gradient\": {\"x\": …}, \"hessian\": {\"x\": {\"x\": …}}}; "
      "with --sparse \"hessian\" is {\"rows\", \"columns\", \"nonzeros\", \"colors\", \"row\": […], "
      "\"column\": […], \"values\": […]} (0-based, both triangles)");
  cmd->callback([o] { run_hessian(*o); });
}

}  // namespace tapegrad::cli
