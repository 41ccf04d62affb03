// Once a tape has grown to the size of a recording, recording it again (clear, record,
// gradient) allocates nothing. Counted by replacing the global operator new in this
// test binary and, outside the sanitizer build (whose runtime owns malloc), malloc
// itself, which is where Eigen's temporaries would come from.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <new>
#include <tapegrad/tapegrad.hpp>

namespace {
std::atomic<long> allocations{0};
}

// g++ says __SANITIZE_ADDRESS__, clang says __has_feature(address_sanitizer).
#if defined(__SANITIZE_ADDRESS__)
#define TAPEGRAD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TAPEGRAD_ASAN 1
#endif
#endif

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

#if !defined(TAPEGRAD_ASAN)
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void* malloc(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(size);
}
void* calloc(std::size_t n, std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, size);
}
int posix_memalign(void** p, std::size_t alignment, std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  *p = __libc_memalign(alignment, size);
  return *p == nullptr ? ENOMEM : 0;
}
void* aligned_alloc(std::size_t alignment, std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_memalign(alignment, size);
}
}
#endif

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

// One training step of a small sigmoid network on a minibatch: clear, forward
// (gather, two products, broadcast bias, sigmoid, fused softmax cross-entropy),
// zero_grad, backward, SGD update. From the second step on, nothing is allocated.
TEST(Allocations, NoneAfterTheFirstTensorTrainingStep) {
  using Eigen::MatrixXd;
  auto spread = [](Eigen::Index rows, Eigen::Index cols, double phase) {
    MatrixXd m(rows, cols);
    for (Eigen::Index k = 0; k < m.size(); ++k) m(k) = 0.5 * std::sin(phase + 1.7 * static_cast<double>(k));
    return m;
  };
  tg::Parameter w1(spread(8, 4, 0.0)), b1(MatrixXd::Zero(1, 8));
  tg::Parameter w2(spread(3, 8, 1.0)), b2(MatrixXd::Zero(1, 3));
  const MatrixXd data = spread(32, 4, 2.0) * 2;
  std::vector<int> labels(32), batch(16), batch_labels(16);
  for (Eigen::Index i = 0; i < 32; ++i)  // a class the inputs determine: learnable
    labels[static_cast<std::size_t>(i)] = (data(i, 0) > 0 ? 1 : 0) + (data(i, 1) > 0.3 ? 1 : 0);
  tg::Parameter* parameters[] = {&w1, &b1, &w2, &b2};

  tg::Tape tape;
  long after_first = 0;
  double first_loss = 0, last_loss = 0;
  for (int step = 0; step < 40; ++step) {
    for (std::size_t k = 0; k < batch.size(); ++k) {
      batch[k] = static_cast<int>((static_cast<std::size_t>(step) * 16 + k) % 32);
      batch_labels[k] = labels[static_cast<std::size_t>(batch[k])];
    }
    tape.clear();
    const tg::Tensor x = tg::rows(tg::constant(data), batch);
    const tg::Tensor h = tg::sigmoid(tg::matmul(x, tg::transposed(w1.tensor())) + b1.tensor());
    const tg::Tensor logits = tg::matmul(h, tg::transposed(w2.tensor())) + b2.tensor();
    const Var loss = tg::softmax_cross_entropy(logits, batch_labels);
    for (tg::Parameter* p : parameters) p->zero_grad();
    tape.backward(loss);
    for (tg::Parameter* p : parameters) p->value() -= 0.5 * p->grad();
    if (step == 0) {
      after_first = allocations.load();
      first_loss = loss.value();
    }
    if (step % 2 == 0) last_loss = loss.value();  // the same minibatch as step 0
  }
  EXPECT_EQ(allocations.load(), after_first);
  EXPECT_LT(last_loss, first_loss);  // and it trains
}

}  // namespace
