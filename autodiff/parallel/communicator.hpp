/// \file
/// What data-parallel training needs from a group of processes (MPI ranks): who this
/// process is, an all-gather of bytes in rank order, and a way to end the whole job.
/// The sum of the shard gradients is then computed by every process from the gathered
/// tree nodes, in the tree's fixed order (shard_tree.hpp), never by the library's own
/// reduction, whose order may change with the algorithm it picks. MpiCommunicator
/// (mpi_communicator.hpp, in the tapegrad::mpi library when Open MPI is installed) is
/// the implementation; tests may provide others.
#pragma once

#include <cstddef>
#include <span>

namespace tapegrad {

/// The processes that share a data-parallel gradient (MPI ranks, or threads standing in for them in tests):
/// all_gather() moves bytes, and the sums are the fixed tree's (sharded_gradient.hpp), so the result does not
/// depend on the process count. MpiCommunicator is the MPI one.
class Communicator {
 public:
  virtual ~Communicator();
  /// This process's number, 0 … size() − 1.
  virtual int rank() const = 0;
  /// The number of processes.
  virtual int size() const = 0;
  /// Every process passes `mine` (counts[rank()] bytes); `all` receives every process's
  /// bytes one after another in rank order (the sum of counts). Collective: every process
  /// calls it with the same counts.
  virtual void all_gather(std::span<const std::byte> mine, std::span<std::byte> all,
                          std::span<const std::size_t> counts) = 0;
  /// Ends every process of the job with this exit code: after a failure on one process,
  /// which the others, waiting in a collective, would never learn of.
  [[noreturn]] virtual void abort(int code) = 0;
};

// Defaulted here, not in the class: see "Virtual destructors" in docs/architecture.md.
inline Communicator::~Communicator() = default;

}  // namespace tapegrad
