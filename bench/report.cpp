#include "report.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace bench {

void CollectingReporter::ReportRuns(const std::vector<Run>& runs) {
  ConsoleReporter::ReportRuns(runs);
  for (const Run& run : runs) {
    if (run.error_occurred || run.run_type != Run::RT_Aggregate || run.aggregate_name != "median") continue;
    const std::string name = run.run_name.function_name;  // "problem/N/variant"
    // Wall-clock for a variant that uses other threads, or that times itself (manual).
    const bool wall = run.run_name.time_type == "real_time" || run.run_name.time_type == "manual_time";
    const std::size_t cut = name.rfind('/');
    Median& m = medians_[name.substr(0, cut)][name.substr(cut + 1)];
    m.ns = (wall ? run.GetAdjustedRealTime() : run.GetAdjustedCPUTime()) * 1e9 /
           benchmark::GetTimeUnitMultiplier(run.time_unit);
    m.repetitions = static_cast<long>(run.repetitions);
    for (const auto& [key, counter] : run.counters) m.counters[key] = counter.value;
  }
}

std::string format(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, value);
  return buffer;
}

const Median* find(const Medians& medians, const std::string& problem, const std::string& variant) {
  auto p = medians.find(problem);
  if (p == medians.end()) return nullptr;
  auto v = p->second.find(variant);
  return v == p->second.end() ? nullptr : &v->second;
}

std::string ratio(const Medians& medians, const std::string& problem, const std::string& variant,
                  const std::string& base) {
  const Median* a = find(medians, problem, variant);
  const Median* b = find(medians, problem, base);
  if (a == nullptr || b == nullptr || b->ns <= 0) return "–";
  return format("%.2f", a->ns / b->ns);
}

double ratio_value(const Medians& medians, const std::string& problem, const std::string& variant,
                   const std::string& base) {
  const Median* a = find(medians, problem, variant);
  const Median* b = find(medians, problem, base);
  return (a && b && b->ns > 0) ? a->ns / b->ns : -1;
}

namespace {
std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}
}  // namespace

std::string run_description(const std::string& command, const Medians& medians) {
  const std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
  std::ostringstream out;
  out << "Produced by `make bench`, which runs\n\n    " << command << "\n\n";
  out << "- Machine: " << cpu_model() << ", " << std::thread::hardware_concurrency() << " hardware threads\n";
  out << "- Compiler: " << __VERSION__ << ", -O3 -march=native\n";
  out << "- Date: " << date << "\n";
  long repetitions = 0;
  for (const auto& [problem, variants] : medians)
    for (const auto& [variant, median] : variants) repetitions = std::max(repetitions, median.repetitions);
  out << "- Each figure is the median of " << repetitions
      << " repetitions interleaved at random (CPU time of the\n"
         "  benchmark's thread, or wall-clock time where a variant's work runs on other threads\n"
         "  too), and every ratio divides two medians of this run.\n";
  return out.str();
}

void write_section(const std::string& path, const std::string& section, const std::string& markdown) {
  const std::string begin = "<!-- " + section + ": begin -->\n", end = "<!-- " + section + ": end -->\n";
  std::string document;
  if (std::ifstream existing(path); existing) {
    std::ostringstream text;
    text << existing.rdbuf();
    document = text.str();
  } else {
    document =
        "# Benchmarks\n\nEach section is written by one benchmark binary; `make bench` runs them all.\n\n";
  }
  const std::string block = begin + markdown + end;
  const std::size_t from = document.find(begin);
  const std::size_t to = from == std::string::npos ? std::string::npos : document.find(end, from);
  if (from != std::string::npos && to != std::string::npos)
    document.replace(from, to + end.size() - from, block);
  else
    document += (document.empty() || document.back() == '\n' ? "" : "\n") + block;

  // Written next to the destination and renamed, so a crash never leaves half a report.
  const std::string temporary = path + ".tmp";
  {
    std::ofstream file(temporary);
    file << document;
    if (!file) {
      std::fprintf(stderr, "could not write %s\n", temporary.c_str());
      return;
    }
  }
  std::filesystem::rename(temporary, path);
  std::printf("wrote the %s section of %s\n", section.c_str(), path.c_str());
}

}  // namespace bench
