// tapegrad grad EXPR --at x1=1,x2=1 [--dim x=N] [--json] [--out FILE]
//   [--graph FILE.svg|FILE.dot]: the value and the gradient (a long one summarized, all
// of it in --out FILE), and the expression graph with each node's value and adjoint.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "../autodiff/support/atomic_file.hpp"
#include "calculus.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace tapegrad::cli {
namespace {

struct GradOptions {
  std::string expression, at, dims, graph, out;
  bool json = false;
};

namespace fs = std::filesystem;

// DOT as SVG by Graphviz's `dot`; false when it is not installed (or fails).
bool render_with_graphviz(const std::string& dot, const fs::path& svg) {
  const fs::path scratch = fs::temp_directory_path() / ("tapegrad-graph-" + std::to_string(::getpid()));
  fs::create_directories(scratch);
  const fs::path in = scratch / "graph.dot", out = scratch / "graph.svg";
  write_file_atomically(in, dot);
  const std::string command = "dot -Tsvg '" + in.string() + "' -o '" + out.string() + "' 2>/dev/null";
  const bool drawn = std::system(command.c_str()) == 0 && fs::exists(out);
  if (drawn) {
    std::ifstream file(out, std::ios::binary);
    std::ostringstream text;
    text << file.rdbuf();
    write_file_atomically(svg, text.str());
  }
  std::error_code ignored;
  fs::remove_all(scratch, ignored);
  return drawn;
}

// --graph FILE.dot writes the DOT; FILE.svg draws it with Graphviz when installed, and
// otherwise writes FILE.dot instead and says so.
void write_graph(const std::string& file, const std::string& dot) {
  const fs::path path(file);
  if (path.extension() == ".dot") {
    write_file_atomically(path, dot);
    std::fprintf(stderr, "wrote %s\n", file.c_str());
    return;
  }
  if (render_with_graphviz(dot, path)) {
    std::fprintf(stderr, "wrote %s\n", file.c_str());
    return;
  }
  const fs::path instead = fs::path(path).replace_extension(".dot");
  write_file_atomically(instead, dot);
  std::fprintf(stderr,
               "Graphviz's dot is not installed (apt-get install graphviz): wrote %s instead; "
               "dot -Tsvg %s -o %s draws it\n",
               instead.c_str(), instead.c_str(), file.c_str());
}

void run_grad(const GradOptions& o) {
  if (!o.graph.empty() && fs::path(o.graph).extension() != ".svg" && fs::path(o.graph).extension() != ".dot")
    throw UsageError("--graph " + o.graph + ": give a file name ending in .svg or .dot");
  if (!o.out.empty()) check_writable_file(o.out, "--out");
  const Expression e = compile(expression_text(o.expression), dimensions_of(o.dims, "--dim", o.at, "--at"));
  const Point point = bind_point(e, o.at, "--at");
  std::string dot;
  const ValueAndGradient r = value_and_gradient(e, point, o.graph.empty() ? nullptr : &dot);
  if (!o.graph.empty()) write_graph(o.graph, dot);
  require_finite_gradient(e, point, r.gradient);
  if (o.json) {
    Json gradient = Json::object();
    std::size_t k = 0;
    for (const std::string& name : e.scalars()) gradient[name] = r.gradient[k++];
    for (std::size_t v = 0; v < e.vectors().size(); ++v) {
      Json entries = Json::array();
      for (std::size_t i = 0; i < e.dimension(v); ++i) entries.push_back(r.gradient[k++]);
      gradient[e.vectors()[v]] = entries;
    }
    print_json({{"value", r.value}, {"gradient", gradient}});
    // --out with --json: the file a script asked for, the same lines as without --json.
    if (!o.out.empty()) write_entries(o.out, r.gradient, coordinate_name_of(e), "df/d");
    return;
  }
  std::printf("f = %s\n", number(r.value).c_str());
  print_entries(r.gradient, coordinate_name_of(e), "df/d", o.out);
}

}  // namespace

void add_grad_command(CLI::App& app) {
  auto o = std::make_shared<GradOptions>();
  CLI::App* grad = app.add_subcommand("grad", "the value and gradient of an expression at a point");
  grad->add_option(
          "expression", o->expression,
          "e.g. \"x1*x1 + x2*x2 + abs(x1 + x2)\" or \"sum(i = 0..len(x)-2: (x[i+1] - x[i])^2)\" "
          "(tapegrad functions lists sum, prod, len and the functions); - reads it from standard "
          "input, @file from a file (up to 256 MiB; the argument itself is at most 100000 characters)")
      ->required();
  grad->add_option(
      "--at", o->at,
      "the point: x1=1,x2=1 (a vector variable takes one value for every entry, a list x=[1,2,3] "
      "or entries x[0]=1,x[1]=2); @file reads it from a file");
  grad->add_option("--dim", o->dims, "vector variables and their lengths, where no value gives one: x=1000");
  grad->add_flag("--json", o->json, "one JSON object: {\"value\": …, \"gradient\": {…}}");
  grad->add_option("--out", o->out,
                   "FILE: every entry of the gradient, one \"df/dx = …\" line each (the output lists at "
                   "most a screenful)");
  grad->add_option(
      "--graph", o->graph,
      "FILE.svg or FILE.dot: the expression graph, each node with its value and adjoint (SVG drawn "
      "by Graphviz's dot when installed, else the DOT is written and the command says so)");
  grad->callback([o] { run_grad(*o); });
}

}  // namespace tapegrad::cli
