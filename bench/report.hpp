// Collects the median of every benchmark's repetitions and writes bench/RESULTS.md:
// the table of medians and the ratios computed from them in the same run.
#pragma once

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

namespace bench {

struct Median {
  double cpu_ns = 0;
  std::map<std::string, double> counters;
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

void write_report(const std::string& path, const Medians& medians, const std::string& command);

}  // namespace bench
