// Where each float and double matrix product runs, and on how many threads; see
// gemm.hpp for why.
#include "gemm.hpp"

#include <atomic>
#include <limits>
#include <string>

#include "../support/error.hpp"

#if TAPEGRAD_WITH_OPENBLAS
#include <cblas.h>
#endif

namespace tapegrad {
namespace detail {

thread_local bool products_on_calling_thread = false;

namespace {

#if TAPEGRAD_WITH_OPENBLAS
// The thread count set_matmul_threads asked for; OpenBLAS's own setting is changed
// per product below, so it cannot be the record. Starts at OpenBLAS's (every core, or
// OPENBLAS_NUM_THREADS).
std::atomic<int>& requested_threads() {
  static std::atomic<int> threads{openblas_get_num_threads()};
  return threads;
}

// Thresholds in multiply-adds (m·n·k), from timing Eigen's product against cblas_sgemm
// (medians of 7, shapes from 4×4×2 to 128×1024×1024, -O3 with and without
// -march=native) on this project's 2-core machine with Debian's OpenBLAS 0.3.21; the
// tensor section of bench/RESULTS.md has the resulting steps and the 1024³ rate:
//  - compiled for SSE2 only, Eigen's kernels reach ~45 GFLOP/s and one OpenBLAS thread
//    ~100–120 from 16×16×16 up; below that the call costs more than it saves;
//  - with AVX2 and FMA, Eigen's kernels reach ~180, more than one OpenBLAS thread
//    (~125), so OpenBLAS is used only where a second thread pays;
//  - a second OpenBLAS thread pays from about 96×96×96 (~190 against ~125), but below
//    that it can cost more than it gives (200×64×32 ran at 48 GFLOP/s on two threads
//    against 105 on one), so smaller products run on one.
constexpr double threaded_min_work = 1 << 20;
#if defined(__AVX2__) && defined(__FMA__)
constexpr bool eigen_beats_one_openblas_thread = true;
constexpr double openblas_min_work = threaded_min_work;
#else
constexpr bool eigen_beats_one_openblas_thread = false;
constexpr double openblas_min_work = 16.0 * 16.0 * 16.0;
#endif

// How many OpenBLAS threads a product of this much work gets; 0 for Eigen's kernels.
int openblas_threads_for(double work) {
  if (work < openblas_min_work) return 0;
  if (work < threaded_min_work) return 1;
  const int requested = products_on_calling_thread ? 1 : requested_threads().load(std::memory_order_relaxed);
  return requested == 1 && eigen_beats_one_openblas_thread ? 0 : requested;
}

// The thread count decides how OpenBLAS splits a product, and so the last bits of its
// result: it is set from the product's size alone, so the same product always gives the
// same bits.
void use_openblas_threads(int threads) {
  if (openblas_get_num_threads() != threads) openblas_set_num_threads(threads);
}

CBLAS_TRANSPOSE cblas_transpose(bool transposed) { return transposed ? CblasTrans : CblasNoTrans; }

// Eigen's indices are 64-bit and OpenBLAS's (LP64 build) 32-bit; dispatch_gemm checks.
blasint blas_size(Eigen::Index n) { return static_cast<blasint>(n); }

void openblas_gemm(const GemmOperand<float>& a, const GemmOperand<float>& b, float* c, bool accumulate) {
  cblas_sgemm(CblasColMajor, cblas_transpose(a.transposed), cblas_transpose(b.transposed),
              blas_size(a.used_rows()), blas_size(b.used_cols()), blas_size(a.used_cols()), 1.0f, a.data,
              blas_size(a.rows), b.data, blas_size(b.rows), accumulate ? 1.0f : 0.0f, c,
              blas_size(a.used_rows()));
}
void openblas_gemm(const GemmOperand<double>& a, const GemmOperand<double>& b, double* c, bool accumulate) {
  cblas_dgemm(CblasColMajor, cblas_transpose(a.transposed), cblas_transpose(b.transposed),
              blas_size(a.used_rows()), blas_size(b.used_cols()), blas_size(a.used_cols()), 1.0, a.data,
              blas_size(a.rows), b.data, blas_size(b.rows), accumulate ? 1.0 : 0.0, c,
              blas_size(a.used_rows()));
}
#endif

template <class T>
void dispatch_gemm(const GemmOperand<T>& a, const GemmOperand<T>& b, T* c, bool accumulate) {
#if TAPEGRAD_WITH_OPENBLAS
  const double work = static_cast<double>(a.used_rows()) * static_cast<double>(a.used_cols()) *
                      static_cast<double>(b.used_cols());
  // An empty product is Eigen's to handle (BLAS rejects a leading dimension of 0), and so
  // is one with a dimension beyond OpenBLAS's 32-bit sizes.
  const auto fits = [](Eigen::Index n) { return n > 0 && n <= std::numeric_limits<blasint>::max(); };
  if (const int threads = openblas_threads_for(work);
      threads > 0 && fits(a.rows) && fits(a.cols) && fits(b.rows) && fits(b.cols)) {
    use_openblas_threads(threads);
    return openblas_gemm(a, b, c, accumulate);
  }
#endif
  eigen_gemm(a, b, c, accumulate);
}

}  // namespace

void gemm(const GemmOperand<float>& a, const GemmOperand<float>& b, float* c, bool accumulate) {
  dispatch_gemm(a, b, c, accumulate);
}
void gemm(const GemmOperand<double>& a, const GemmOperand<double>& b, double* c, bool accumulate) {
  dispatch_gemm(a, b, c, accumulate);
}

OneThreadProducts::OneThreadProducts() noexcept : previous_(products_on_calling_thread) {
  products_on_calling_thread = true;
}
OneThreadProducts::~OneThreadProducts() { products_on_calling_thread = previous_; }

void prepare_one_thread_products() {
#if TAPEGRAD_WITH_OPENBLAS
  use_openblas_threads(1);
#endif
}

}  // namespace detail

bool matmul_uses_openblas() { return TAPEGRAD_WITH_OPENBLAS != 0; }

int matmul_threads() {
#if TAPEGRAD_WITH_OPENBLAS
  return detail::requested_threads().load(std::memory_order_relaxed);
#else
  return 1;
#endif
}

void set_matmul_threads(int threads) {
  if (threads < 1)
    throw Error("set_matmul_threads: " + std::to_string(threads) + " threads; give at least 1");
#if TAPEGRAD_WITH_OPENBLAS
  detail::requested_threads().store(threads, std::memory_order_relaxed);
#endif
}

}  // namespace tapegrad
