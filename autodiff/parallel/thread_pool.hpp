/// \file
/// A fixed set of threads, started once and kept across steps, that run one task on
/// every thread at a time: run(task) calls task(w) for each worker w in [0, size()) —
/// worker 0 on the calling thread — and returns when all have finished. The task is
/// passed by reference and called through a function pointer, so a step allocates
/// nothing. Data-parallel gradients (sharded_gradient.hpp) decide which shards each
/// worker computes; the pool only provides the threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace tapegrad {

/// A fixed set of worker threads, started once, the calling thread being worker 0: run(task) calls task(w) on
/// every worker at once and waits. Waiting workers spin briefly before they block, since a training step
/// hands them work every few milliseconds.
class ThreadPool {
 public:
  /// `threads` workers in all, the calling thread among them (so threads − 1 are
  /// started). Throws tapegrad::Error for threads < 1, for more than max_threads(), and
  /// when the system refuses to start a thread (the ones started are stopped first).
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// The most workers a pool takes: 4 per hardware thread, and never fewer than 8. More only
  /// wait for a core and slow every step; a count from a user's typo (100000) would
  /// otherwise exhaust the machine's process limit.
  static int max_threads() noexcept;

  /// The number of workers, the calling thread included.
  int size() const noexcept { return static_cast<int>(threads_.size()) + 1; }

  /// Calls task(w) on worker w, for every worker at once, and waits for all of them. If
  /// tasks throw, the exception of the lowest-numbered worker that threw is rethrown
  /// (after every worker has finished). Not reentrant: a task must not call run().
  template <class Task>
  void run(Task& task) {
    static_assert(std::is_invocable_v<Task&, int>, "ThreadPool::run: the task is called as task(worker)");
    run_erased(&call<Task>, &task);
  }

 private:
  using Erased = void (*)(void*, int);
  template <class Task>
  static void call(void* task, int worker) {
    (*static_cast<Task*>(task))(worker);
  }

  void run_erased(Erased function, void* task);
  void stop_workers() noexcept;
  void work(int worker);
  void run_one(int worker) noexcept;

  // A round of a training step is a millisecond or less: a thread that blocks at once
  // costs a wake-up (tens of µs) on every round. So waiting threads first poll for
  // about this long, then block.
  static constexpr int spins_before_blocking = 20000;

  std::vector<std::thread> threads_;
  std::vector<std::exception_ptr> errors_;  // one per worker, set when its task threw
  std::mutex mutex_;
  std::condition_variable start_, done_;
  Erased function_ = nullptr;
  void* task_ = nullptr;
  std::atomic<std::uint64_t> round_{0};  // counts run() calls; a worker runs each round once
  std::atomic<int> running_{0};          // workers (other than the caller) still in this round
  std::atomic<bool> stopping_{false};
};

}  // namespace tapegrad
