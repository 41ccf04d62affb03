// Collects the median of every benchmark's repetitions, and writes the sections of
// bench/RESULTS.md: tables of medians and the ratios computed from them in one run.
#pragma once

#include <benchmark/benchmark.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace bench {

struct Median {
  // The median time per iteration: the CPU time of the benchmark's thread, or the
  // wall-clock time for a variant registered with Clock::wall (one that uses threads
  // of its own, whose work the thread's CPU time would not count) or timing itself
  // (UseManualTime).
  double ns = 0;
  std::map<std::string, double> counters;
  long repetitions = 0;  // how many runs the median is of
};

// Keyed by "problem/N" then variant ("f", "tapegrad", "hand", "adolc_record", …).
using Medians = std::map<std::string, std::map<std::string, Median>>;

class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override;
  const Medians& medians() const { return medians_; }

 private:
  Medians medians_;
};

// Helpers for the report writers.
std::string format(const char* pattern, double value);
const Median* find(const Medians& medians, const std::string& problem, const std::string& variant);
// t_variant / t_base as text ("–" when either is missing), and as a number (−1 then).
std::string ratio(const Medians& medians, const std::string& problem, const std::string& variant,
                  const std::string& base = "f");
double ratio_value(const Medians& medians, const std::string& problem, const std::string& variant,
                   const std::string& base = "f");
// The command, machine, compiler, date and repetitions, as a Markdown list.
std::string run_description(const std::string& command, const Medians& medians);

// Replaces the section `section` of the Markdown file at `path` (between its begin and
// end markers), or appends it; the file is replaced atomically.
void write_section(const std::string& path, const std::string& section, const std::string& markdown);

// The main() of every benchmark binary: parses the command line (harness.hpp), calls
// register_all, runs, and hands the medians to write_report when --report=PATH was given.
using ReportWriter = std::function<void(const std::string& path, const Medians&, const std::string& command)>;
int run_benchmarks(int argc, char** argv, const std::function<void()>& register_all,
                   const ReportWriter& write_report);

// The sections of bench/RESULTS.md, one per benchmark binary.
void write_scalar_report(const std::string& path, const Medians& medians, const std::string& command);
void write_tensor_report(const std::string& path, const Medians& medians, const std::string& command);

}  // namespace bench
