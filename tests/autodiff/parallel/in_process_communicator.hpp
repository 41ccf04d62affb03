// A Communicator among threads of one process: each thread plays one process of a
// job, with its own model, so the multi-process reduction (gather the tree nodes, sum
// them up the tree) is tested without MPI, and under ThreadSanitizer.
#pragma once

#include <algorithm>
#include <barrier>
#include <cstdlib>
#include <span>
#include <tapegrad/autodiff/parallel/communicator.hpp>
#include <thread>
#include <utility>
#include <vector>

namespace parallel_test {

class InProcessGroup {
 public:
  explicit InProcessGroup(int processes)
      : contributions_(static_cast<std::size_t>(processes)), barrier_(processes) {}
  int size() const { return static_cast<int>(contributions_.size()); }

  void all_gather(int rank, std::span<const std::byte> mine, std::span<std::byte> all,
                  std::span<const std::size_t> counts) {
    contributions_[static_cast<std::size_t>(rank)] = mine;
    barrier_.arrive_and_wait();
    std::size_t offset = 0;
    for (std::size_t r = 0; r < contributions_.size(); ++r) {
      if (contributions_[r].size() != counts[r]) std::abort();  // a caller's bug: fail loudly
      std::copy(contributions_[r].begin(), contributions_[r].end(),
                all.begin() + static_cast<std::ptrdiff_t>(offset));
      offset += counts[r];
    }
    barrier_.arrive_and_wait();  // nobody changes its contribution before all have copied
  }

 private:
  std::vector<std::span<const std::byte>> contributions_;
  std::barrier<> barrier_;
};

class InProcessCommunicator final : public tapegrad::Communicator {
 public:
  InProcessCommunicator(InProcessGroup& group, int rank) : group_(group), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return group_.size(); }
  void all_gather(std::span<const std::byte> mine, std::span<std::byte> all,
                  std::span<const std::size_t> counts) override {
    group_.all_gather(rank_, mine, all, counts);
  }
  [[noreturn]] void abort(int) override { std::abort(); }

 private:
  InProcessGroup& group_;
  int rank_;
};

// Runs `processes` processes of a job, each run(communicator) on a thread of its own,
// and returns what each returned, by rank.
template <class Run>
auto run_processes(int processes, Run run) {
  InProcessGroup group(processes);
  std::vector<decltype(run(std::declval<tapegrad::Communicator*>()))> results(
      static_cast<std::size_t>(processes));
  std::vector<std::thread> ranks;
  for (int r = 0; r < processes; ++r)
    ranks.emplace_back([&, r] {
      InProcessCommunicator communicator(group, r);
      results[static_cast<std::size_t>(r)] = run(&communicator);
    });
  for (std::thread& t : ranks) t.join();
  return results;
}

}  // namespace parallel_test
