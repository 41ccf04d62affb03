/// \file
/// The matrix products of tensors: C = op(A)·op(B), or C += op(A)·op(B), on column-major
/// buffers. Float and double products go to one function compiled in the library
/// (gemm.cpp), which sends each product to OpenBLAS or to Eigen's own kernels, whichever is
/// faster for its size on the instruction set the library was built for:
///  - the portable build (SSE2 only) runs Eigen's kernels at about a third of the speed
///    of OpenBLAS, which picks AVX2 or AVX-512 kernels at run time; so every product but
///    the tiniest goes to OpenBLAS;
///  - a build for this CPU (-march=native) runs Eigen's kernels faster than one OpenBLAS
///    thread; OpenBLAS is used only where its second thread pays (large products).
/// Other scalar types (Dual, for Hessians) stay on Eigen, inline.
///
/// Threads: large products (from about 100×100×100) use every core unless told otherwise
/// (set_matmul_threads, or the environment variable OPENBLAS_NUM_THREADS); smaller ones
/// run on the calling thread, where waking a second thread costs more than it gives. How
/// OpenBLAS splits a product among threads changes the last bits of its result, so the
/// thread count each product gets depends only on its size and the count set here: with
/// a fixed count, every run gives the same bits. Set 1 when the cores are busy with
/// something else (data-parallel workers, several processes).
#pragma once

#include <Eigen/Core>
#include <type_traits>

namespace tapegrad {

/// The number of threads large float and double matrix products use (1 without OpenBLAS).
int matmul_threads();
/// Sets it; 1 keeps every product on the calling thread. Not a per-thread setting: set it
/// once, before products run. Throws for threads < 1.
void set_matmul_threads(int threads);
/// Whether this build of the library sends products to OpenBLAS.
bool matmul_uses_openblas();

namespace detail {

// While alive, the products of the calling thread run on that thread alone, whatever
// their size (data-parallel workers: the cores are theirs, and a shard's bits must not
// depend on how busy OpenBLAS's own threads were told to be). OpenBLAS's thread count
// is one global setting, so the thread that starts the workers first calls
// prepare_one_thread_products(), and no worker ever changes it.
class OneThreadProducts {
 public:
  OneThreadProducts() noexcept;
  ~OneThreadProducts();
  OneThreadProducts(const OneThreadProducts&) = delete;
  OneThreadProducts& operator=(const OneThreadProducts&) = delete;

 private:
  bool previous_;
};
void prepare_one_thread_products();

// A stored column-major matrix, used as itself or transposed.
template <class T>
struct GemmOperand {
  const T* data;
  Eigen::Index rows, cols;  // as stored
  bool transposed;

  Eigen::Index used_rows() const { return transposed ? cols : rows; }
  Eigen::Index used_cols() const { return transposed ? rows : cols; }
};

// Eigen's product; C is op(A).rows × op(B).cols.
template <class T>
void eigen_gemm(const GemmOperand<T>& a, const GemmOperand<T>& b, T* c, bool accumulate) {
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  const Eigen::Map<const Matrix> A(a.data, a.rows, a.cols), B(b.data, b.rows, b.cols);
  Eigen::Map<Matrix> C(c, a.used_rows(), b.used_cols());
  const auto product = [&](const auto& left, const auto& right) {
    if (accumulate)
      C.noalias() += left * right;
    else
      C.noalias() = left * right;
  };
  if (!a.transposed && !b.transposed) product(A, B);
  if (a.transposed && !b.transposed) product(A.transpose(), B);
  if (!a.transposed && b.transposed) product(A, B.transpose());
  if (a.transposed && b.transposed) product(A.transpose(), B.transpose());
}

void gemm(const GemmOperand<float>& a, const GemmOperand<float>& b, float* c, bool accumulate);
void gemm(const GemmOperand<double>& a, const GemmOperand<double>& b, double* c, bool accumulate);

template <class T>
requires(!std::is_same_v<T, float> && !std::is_same_v<T, double>) void gemm(const GemmOperand<T>& a,
                                                                            const GemmOperand<T>& b, T* c,
                                                                            bool accumulate) {
  eigen_gemm(a, b, c, accumulate);
}

}  // namespace detail
}  // namespace tapegrad
