// tapegrad jacobian "F1; F2; …" --at x=1,y=2 [--dim x=N] [--sparse] [--out J.mtx] [--json]:
// the values of a list of expressions and their Jacobian (one row per expression, one
// column per coordinate of all their variables). The pattern is found from the
// recording and its columns colored (ColPack), so the nonzeros come from one forward
// sweep carrying every color (autodiff/sparse/sparse_jacobian.hpp); dense by default,
// only the nonzeros with --sparse.
#include <memory>

#include "../autodiff/sparse/sparse_jacobian.hpp"
#include "arguments.hpp"
#include "calculus.hpp"
#include "commands.hpp"
#include "expression_list.hpp"
#include "limits.hpp"
#include "matrix_market.hpp"
#include "output.hpp"

namespace tapegrad::cli {
namespace {

struct JacobianOptions {
  std::string expressions, at, dims, out;
  bool json = false, sparse = false;
};

// Each expression's value at x, with domain checks: an operation that leaves its domain
// is reported at its column in the whole text.
std::vector<double> checked_values(const ExpressionList& list, const std::string& text,
                                   std::span<const double> x) {
  ListInputs<double> in;
  in.assign(list.all, x);
  Evaluator<double> evaluate;
  std::vector<double> values;
  for (std::size_t i = 0; i < list.parts.size(); ++i) {
    try {
      values.push_back(evaluate(list.parts[i], in.inputs(), true));
    } catch (const DomainError& d) {
      throw ExpressionError(d.what(), text, d.column() + list.offsets[i]);
    }
  }
  return values;
}

void run_jacobian(const JacobianOptions& o) {
  if (!o.out.empty()) check_writable_file(o.out, "--out");
  const std::string text = expression_text(o.expressions);
  const ExpressionList list = compile_list(text, dimensions_of(o.dims, "--dim", o.at, "--at"), "jacobian");
  const Point point = bind_point(list.all, o.at, "--at");
  const std::vector<double> x = point.flat();
  const std::size_t m = list.parts.size(), n = x.size();
  if (!o.sparse && static_cast<double>(m) * static_cast<double>(n) >
                       static_cast<double>(max_hessian_coordinates * max_hessian_coordinates))
    throw UsageError("jacobian: " + std::to_string(m) + " expressions of " + std::to_string(n) +
                     " coordinates; a dense Jacobian is printed for at most " +
                     std::to_string(max_hessian_coordinates * max_hessian_coordinates) +
                     " entries (--sparse prints only its nonzeros)");
  const std::vector<double> values = checked_values(list, text, x);
  SparseJacobian j(
      [&list](std::span<const Var> v) {
        ListInputs<Var> in;
        in.assign(list.all, v);
        Evaluator<Var> evaluate;
        std::vector<Var> out;
        out.reserve(list.parts.size());
        for (const Expression& part : list.parts) out.push_back(evaluate(part, in.inputs()));
        return out;
      },
      x,
      {.max_nonzeros = o.sparse
                           ? static_cast<std::size_t>(max_sparse_nonzeros)
                           : static_cast<std::size_t>(max_hessian_coordinates * max_hessian_coordinates)});
  std::vector<double> nonzeros(j.pattern().nonzeros());
  j.values(x, nonzeros);
  const SparsityPattern& p = j.pattern();
  // Appended rather than `"F" + std::to_string(…)`, where g++ 12 can warn of an overlapping copy that cannot
  // happen (-Wrestrict, GCC bug 105651) depending on what was inlined around it.
  const auto row_name = [](std::size_t i) {
    std::string name = "F";
    name += std::to_string(i + 1);
    return name;
  };
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t k = p.row_begin[i]; k < p.row_begin[i + 1]; ++k)
      if (!std::isfinite(nonzeros[k]))
        throw ExpressionError("d" + row_name(i) + "/d" + coordinate_name(list.all, p.columns[k]) + " is " +
                                  (std::isnan(nonzeros[k]) ? "NaN" : "infinite") +
                                  " at this point: the expression is not differentiable there",
                              text, list.offsets[i] + 1);
  const Eigen::SparseMatrix<double> matrix = j.matrix(nonzeros);
  if (!o.out.empty()) {
    write_matrix_market(o.out, matrix, MatrixSymmetry::General,
                        "the Jacobian of " + std::to_string(m) + " expressions in " + std::to_string(n) +
                            " coordinates\n" + std::to_string(j.colors()) + " colors (tapegrad jacobian)");
    std::fprintf(stderr, "wrote %s\n", o.out.c_str());
  }
  if (o.json) {
    Json out = {{"values", values}, {"coordinates", coordinate_names(list.all)}};
    if (o.sparse) {
      out["jacobian"] = sparse_matrix_json(p, nonzeros, j.colors());
    } else {
      const Eigen::MatrixXd dense = Eigen::MatrixXd(matrix);
      Json rows = Json::array();
      for (Eigen::Index i = 0; i < dense.rows(); ++i) {
        Json row = Json::array();
        for (Eigen::Index c = 0; c < dense.cols(); ++c) row.push_back(dense(i, c));
        rows.push_back(row);
      }
      out["jacobian"] = rows;
    }
    print_json(out);
    return;
  }
  print_entries(values, row_name, "", "");
  std::vector<std::pair<std::size_t, std::size_t>> entries;  // (row, column), named when printed
  std::vector<double> entry_values;
  if (o.sparse) {
    std::printf("nonzeros = %zu\ncolors = %zu\n", p.nonzeros(), j.colors());
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t k = p.row_begin[i]; k < p.row_begin[i + 1]; ++k) {
        entries.emplace_back(i, p.columns[k]);
        entry_values.push_back(nonzeros[k]);
      }
    print_entries(
        entry_values,
        [&](std::size_t k) {
          return row_name(entries[k].first) + "/d" + coordinate_name(list.all, entries[k].second);
        },
        "d", "");
    return;
  }
  const Eigen::MatrixXd dense = Eigen::MatrixXd(matrix);
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t c = 0; c < n; ++c)
      std::printf("d%s/d%s = %s\n", row_name(i).c_str(), coordinate_name(list.all, c).c_str(),
                  number(dense(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(c))).c_str());
}

}  // namespace

void add_jacobian_command(CLI::App& app) {
  auto o = std::make_shared<JacobianOptions>();
  CLI::App* cmd = app.add_subcommand(
      "jacobian", "the values of a list of expressions and their Jacobian (one row per expression)");
  cmd->add_option(
         "expressions", o->expressions,
         "\"F1; F2; …\", e.g. \"x*y - 1; x + sin(y)\"; - reads them from standard input, @file from a "
         "file")
      ->required();
  cmd->add_option(
      "--at", o->at,
      "the point: x=1,y=2 (a vector variable takes one value for every entry, or a list x=[1,2,3]); "
      "@file reads it from a file");
  cmd->add_option("--dim", o->dims, "vector variables and their lengths, where no value gives one: x=10");
  cmd->add_flag("--sparse", o->sparse,
                "print only the nonzeros, with the number of colors (the columns that one forward sweep "
                "carries together); for many unknowns");
  cmd->add_option(
      "--out", o->out,
      "write the Jacobian to FILE in Matrix Market format (coordinate real general, 1-based), which "
      "scipy.io.mmread, MATLAB, Julia and SuiteSparse read");
  cmd->add_flag(
      "--json", o->json,
      "one JSON object: {\"values\": […], \"coordinates\": […], \"jacobian\": [[…], …]}; with --sparse "
      "\"jacobian\" is {\"rows\", \"columns\", \"nonzeros\", \"colors\", \"row\": […], \"column\": […], "
      "\"values\": […]} (0-based)");
  cmd->callback([o] { run_jacobian(*o); });
}

}  // namespace tapegrad::cli
