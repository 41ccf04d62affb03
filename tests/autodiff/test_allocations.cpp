// Once a tape has grown to the size of a recording, recording it again (clear, record,
// gradient) allocates nothing. Counted by replacing the global operator new in this
// test binary.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <tapegrad/tapegrad.hpp>

namespace {
std::atomic<long> allocations{0};
}

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// g++ cannot see that the replaced operator new above is the matching allocator.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace tg = tapegrad;
using tg::Var;

namespace {

TEST(Allocations, NoneAfterTheFirstGradient) {
  tg::Tape tape;
  const Var* inputs = nullptr;
  double gradient[3];
  long after_first = 0;
  for (int step = 0; step < 50; ++step) {
    tape.clear();
    Var x[3] = {0.5, -1.0, 2.0};
    inputs = x;
    Var f;
    for (int i = 0; i < 100; ++i) f += tg::sin(x[0] * i) * x[1] + tg::exp(-tg::square(x[2] - i));
    tg::gradient(f, std::span<const Var>(inputs, 3), std::span<double>(gradient));
    tape.backward(f);
    if (step == 0) after_first = allocations.load();
  }
  EXPECT_EQ(allocations.load(), after_first);
  EXPECT_NE(gradient[0], 0.0);
}

}  // namespace
