// tapegrad cost EXPR --at … [--dim x=N] [--json]: what a gradient of this expression
// costs. Times the value alone (doubles), value plus gradient recorded afresh (record on
// the tape, sweep back) and replayed (recorded once, replayed and swept), each as the
// median of repeated batches, and reports their ratios to the value and the tape's
// size: its recording, its peak with the sweep's adjoints, and the replayed tape's. The value and the fresh
// gradient run the same interpreted program, so their ratio is the tape's price, not the parser's; the replay
// runs no parser at all.
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "../autodiff/cost/median_time.hpp"
#include "../autodiff/replay/recorded_function.hpp"
#include "../autodiff/scalar/tape.hpp"
#include "calculus.hpp"
#include "commands.hpp"
#include "limits.hpp"
#include "output.hpp"

namespace tapegrad::cli {
namespace {

struct CostCommandOptions {
  std::string expression, at, dims;
  long samples = 15;
  bool json = false;
};

void run_cost(const CostCommandOptions& o) {
  require_in_range(o.samples, 1, max_samples, "--samples");
  const Expression e = compile(expression_text(o.expression), dimensions_of(o.dims, "--dim", o.at, "--at"));
  const Point point = bind_point(e, o.at, "--at");
  const ValueAndGradient once = value_and_gradient(e, point);  // checks the domain, sizes the tape
  require_finite_gradient(e, point, once.gradient);  // a gradient that is no number has no cost to state

  Evaluator<double> plain;
  volatile double sink = 0;
  const double value_seconds =
      median_seconds([&] { sink = plain(e, point.inputs()); }, static_cast<int>(o.samples));

  Tape tape;
  Evaluator<Var> recorder;
  TapePoint vars(point);
  const double gradient_seconds = median_seconds(
      [&] {
        tape.clear();
        vars.assign(point);
        const Var f = recorder(e, vars.inputs());
        if (f.is_recorded()) tape.backward(f);
        sink = f.value();
      },
      static_cast<int>(o.samples));

  // The same gradient, recorded once and replayed: none when f depends on no variable.
  std::optional<double> replay_seconds;
  std::optional<std::size_t> replay_bytes;
  const std::vector<double> flat = point.flat();
  if (!flat.empty()) {
    RecordedFunction replayed([&e](std::span<const Var> x) { return evaluate_flat(e, x); },
                              std::span<const double>(flat));
    std::vector<double> g(flat.size());
    replay_seconds =
        median_seconds([&] { sink = replayed.gradient(std::span<const double>(flat), std::span<double>(g)); },
                       static_cast<int>(o.samples));
    replay_bytes = replayed.tape().bytes_in_use();
  }
  (void)sink;

  const double ratio = gradient_seconds / value_seconds;
  if (o.json) {
    Json out = {{"value", once.value},
                {"value_seconds", value_seconds},
                {"gradient_seconds", gradient_seconds},
                {"ratio", ratio},
                {"replay_seconds", nullptr},
                {"replay_ratio", nullptr},
                {"tape_nodes", once.tape_statements},
                {"tape_bytes", once.tape_bytes},
                {"tape_peak_bytes", once.tape_peak_bytes},
                {"replay_tape_bytes", nullptr},
                {"samples", o.samples}};
    if (replay_seconds) {
      out["replay_seconds"] = *replay_seconds;
      out["replay_ratio"] = *replay_seconds / value_seconds;
      out["replay_tape_bytes"] = *replay_bytes;
    }
    print_json(out);
    return;
  }
  std::printf("f = %s\n", number(once.value).c_str());
  std::printf("value alone:       %.4g s (median of %ld batches)\n", value_seconds, o.samples);
  std::printf("value + gradient:  %.4g s (recorded afresh)\n", gradient_seconds);
  if (replay_seconds) std::printf("value + gradient:  %.4g s (recorded once, replayed)\n", *replay_seconds);
  std::printf("gradient / value:  %.2f\n", ratio);
  if (replay_seconds) std::printf("replayed / value:  %.2f\n", *replay_seconds / value_seconds);
  std::printf(
      "tape:              %zu nodes, %zu bytes recorded, %zu at its peak (with the sweep's adjoints)\n",
      once.tape_statements, once.tape_bytes, once.tape_peak_bytes);
  if (replay_bytes)
    std::printf("replayed tape:     %zu bytes (the recording, what replaying it keeps, the adjoints)\n",
                *replay_bytes);
}

}  // namespace

void add_cost_command(CLI::App& app) {
  auto o = std::make_shared<CostCommandOptions>();
  CLI::App* cmd = app.add_subcommand("cost", "the time of a gradient against the time of the value");
  cmd->add_option(
         "expression", o->expression,
         "e.g. \"sum(x^2 * sin(x))\" with --dim x=1000, or \"sum(i = 0..len(x)-2: (x[i+1] - x[i])^2)\"; - "
         "reads it from standard input, @file from a file (up to 256 MiB)")
      ->required();
  cmd->add_option("--at", o->at,
                  "the point: x=0.5 (a vector variable takes one value for every entry, a list x=[1,2,3] or "
                  "entries); @file reads it from a file");
  cmd->add_option("--dim", o->dims, "vector variables and their lengths, where no value gives one: x=1000");
  cmd->add_option("--samples", o->samples, "timed batches per median")->capture_default_str();
  cmd->add_flag("--json", o->json, "one JSON object with the medians, ratio and tape size");
  cmd->callback([o] { run_cost(*o); });
}

}  // namespace tapegrad::cli
