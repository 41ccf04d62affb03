#include "thread_pool.hpp"

#include <algorithm>
#include <string>
#include <system_error>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "../support/error.hpp"

namespace tapegrad {
namespace {

// Polls `ready` for a while (ThreadPool::spins_before_blocking); whether it became true.
template <class Ready>
bool spin_until(Ready ready, int spins) {
  for (int i = 0; i < spins; ++i) {
    if (ready()) return true;
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
  }
  return ready();
}

}  // namespace

int ThreadPool::max_threads() noexcept {
  const unsigned hardware = std::thread::hardware_concurrency();  // 0 when unknown
  return static_cast<int>(std::max(4U * hardware, 8U));
}

ThreadPool::ThreadPool(int threads) {
  if (threads < 1) throw Error("ThreadPool: " + std::to_string(threads) + " threads (must be ≥ 1)");
  if (threads > max_threads())
    throw Error("ThreadPool: " + std::to_string(threads) +
                " threads is more than this machine can use (at most " + std::to_string(max_threads()) +
                ": 4 per hardware thread, and never fewer than 8)");
  errors_.resize(static_cast<std::size_t>(threads));
  threads_.reserve(static_cast<std::size_t>(threads - 1));
  for (int w = 1; w < threads; ++w) {
    try {
      threads_.emplace_back([this, w] { work(w); });
    } catch (const std::exception& e) {  // std::system_error, or std::bad_alloc for the thread's state
      // The destructor does not run for a constructor that throws: stop the started ones here.
      stop_workers();
      throw Error("ThreadPool: could not start thread " + std::to_string(w + 1) + " of " +
                  std::to_string(threads) + " (" + e.what() + ")");
    }
  }
}

ThreadPool::~ThreadPool() { stop_workers(); }

void ThreadPool::stop_workers() noexcept {
  {
    std::lock_guard lock(mutex_);
    stopping_.store(true);
  }
  start_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void ThreadPool::run_one(int worker) noexcept {
  try {
    function_(task_, worker);
  } catch (...) {
    errors_[static_cast<std::size_t>(worker)] = std::current_exception();
  }
}

void ThreadPool::run_erased(Erased function, void* task) {
  function_ = function;
  task_ = task;
  running_.store(static_cast<int>(threads_.size()), std::memory_order_relaxed);
  {
    // Under the lock, so that a worker about to block cannot miss the new round.
    std::lock_guard lock(mutex_);
    round_.fetch_add(1, std::memory_order_release);
  }
  start_.notify_all();
  run_one(0);
  const auto all_done = [this] { return running_.load(std::memory_order_acquire) == 0; };
  if (!spin_until(all_done, spins_before_blocking)) {
    std::unique_lock lock(mutex_);
    done_.wait(lock, all_done);
  }
  for (std::exception_ptr& error : errors_)
    if (error) {
      std::exception_ptr first = error;
      for (std::exception_ptr& e : errors_) e = nullptr;
      std::rethrow_exception(first);
    }
}

void ThreadPool::work(int worker) {
  std::uint64_t seen = 0;
  for (;;) {
    const auto started = [&] {
      return stopping_.load(std::memory_order_acquire) || round_.load(std::memory_order_acquire) != seen;
    };
    if (!spin_until(started, spins_before_blocking)) {
      std::unique_lock lock(mutex_);
      start_.wait(lock, started);
    }
    if (stopping_.load(std::memory_order_acquire)) return;
    seen = round_.load(std::memory_order_acquire);
    run_one(worker);
    if (running_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // Under the lock, so that the caller about to block cannot miss it.
      std::lock_guard lock(mutex_);
      done_.notify_one();
    }
  }
}

}  // namespace tapegrad
