#include "harness.hpp"

#include <cstring>
#include <filesystem>
#include <map>

#include "report.hpp"

namespace bench {

namespace {
std::map<std::string, std::vector<double>>& reference_gradients() {
  static std::map<std::string, std::vector<double>> gradients;
  return gradients;
}
}  // namespace

std::vector<double> reference_gradient(const std::string& problem_label) {
  return reference_gradients().at(problem_label);
}
void set_reference_gradient(const std::string& problem_label, std::vector<double> gradient) {
  reference_gradients()[problem_label] = std::move(gradient);
}

Arguments parse_arguments(int argc, char** argv) {
  Arguments parsed;
  for (int i = 0; i < argc; ++i) {
    if (i > 0) parsed.command += ' ';
    parsed.command += argv[i];
  }
  // Repetitions interleaved at random, so that a noisy moment of a shared machine hits
  // every variant alike; each applies unless the caller sets that flag.
  std::vector<std::string> defaults = {"--benchmark_repetitions=5", "--benchmark_min_time=0.1",
                                       "--benchmark_enable_random_interleaving=true",
                                       "--benchmark_report_aggregates_only=true"};
  parsed.storage.emplace_back(argv[0]);
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--report=", 9) == 0) {
      // Absolute now: a peer may change the working directory (see peer_adolc.cpp).
      parsed.report_path = std::filesystem::absolute(argv[i] + 9).string();
      continue;
    }
    std::erase_if(defaults,
                  [&](const std::string& d) { return std::strncmp(argv[i], d.c_str(), d.find('=')) == 0; });
    parsed.storage.emplace_back(argv[i]);
  }
  parsed.storage.insert(parsed.storage.end(), defaults.begin(), defaults.end());
  for (std::string& s : parsed.storage) parsed.args.push_back(s.data());
  return parsed;
}

int run_benchmarks(int argc, char** argv, const std::function<void()>& register_all,
                   const ReportWriter& write_report) {
  Arguments arguments = parse_arguments(argc, argv);
  int n = static_cast<int>(arguments.args.size());
  benchmark::Initialize(&n, arguments.args.data());
  if (benchmark::ReportUnrecognizedArguments(n, arguments.args.data())) return 1;
  register_all();
  CollectingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  if (!arguments.report_path.empty())
    write_report(arguments.report_path, reporter.medians(), arguments.command);
  return 0;
}

}  // namespace bench
