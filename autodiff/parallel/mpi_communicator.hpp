/// \file
/// The Communicator of the processes an `mpirun` started (MPI_COMM_WORLD), and the
/// MPI start-up and shut-down around a program. In the tapegrad::mpi library, built
/// when Open MPI is installed (Debian: libopenmpi-dev, openmpi-bin); this header does not
/// include <mpi.h>, so a program needs MPI's headers only to build that library.
#pragma once

#include <vector>

#include "communicator.hpp"

namespace tapegrad {

/// Whether this process was started by mpirun (or another MPI launcher): then MPI is
/// started; a program run on its own stays a single process without MPI's start-up.
bool launched_by_mpi();

/// MPI_Init_thread in the constructor (only the calling thread makes MPI calls: the
/// shard workers never do), MPI_Finalize in the destructor. One per program.
class MpiSession {
 public:
  /// Starts MPI with `argc` and `argv` (which MPI may change); throws tapegrad::Error when MPI cannot start.
  MpiSession(int& argc, char**& argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

/// All the processes of the job. Gathers with MPI_Allgatherv, which only moves bytes:
/// the sums are the tree's (sharded_gradient.hpp). Needs a live MpiSession.
class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator();
  /// \copydoc tapegrad::Communicator::rank
  int rank() const override { return rank_; }
  /// \copydoc tapegrad::Communicator::size
  int size() const override { return size_; }
  void all_gather(std::span<const std::byte> mine, std::span<std::byte> all,
                  std::span<const std::size_t> counts) override;
  [[noreturn]] void abort(int code) override;

 private:
  int rank_ = 0, size_ = 1;
  std::vector<int> byte_counts_, displacements_;  // kept: a step allocates nothing
};

}  // namespace tapegrad
