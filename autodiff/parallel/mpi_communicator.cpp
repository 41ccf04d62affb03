#include "mpi_communicator.hpp"

#include <mpi.h>

#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

#include "../support/error.hpp"

namespace tapegrad {

bool launched_by_mpi() {
  // Open MPI's mpirun, and the PMI/PMIx launchers (srun, hydra) that others use.
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"})
    if (std::getenv(variable) != nullptr) return true;
  return false;
}

MpiSession::MpiSession(int& argc, char**& argv) {
  int provided = 0;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    throw Error("MPI_Init_thread failed");
}

MpiSession::~MpiSession() { MPI_Finalize(); }

MpiCommunicator::MpiCommunicator() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) throw Error("MpiCommunicator: MPI is not started (make an MpiSession first)");
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

void MpiCommunicator::all_gather(std::span<const std::byte> mine, std::span<std::byte> all,
                                 std::span<const std::size_t> counts) {
  if (counts.size() != static_cast<std::size_t>(size_))
    throw Error("MpiCommunicator::all_gather: " + std::to_string(counts.size()) + " counts for " +
                std::to_string(size_) + " processes");
  // MPI's counts and displacements are ints: bytes beyond 2 GiB per step would need a
  // larger datatype, far past the gradients this is for.
  std::vector<int>& byte_counts = byte_counts_;
  std::vector<int>& displacements = displacements_;
  byte_counts.resize(counts.size());
  displacements.resize(counts.size());
  std::size_t total = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    if (counts[r] > static_cast<std::size_t>(INT_MAX) || total > static_cast<std::size_t>(INT_MAX))
      throw Error("MpiCommunicator::all_gather: more than 2 GiB to gather");
    byte_counts[r] = static_cast<int>(counts[r]);
    displacements[r] = static_cast<int>(total);
    total += counts[r];
  }
  if (mine.size() != counts[static_cast<std::size_t>(rank_)] || all.size() != total)
    throw Error("MpiCommunicator::all_gather: buffer sizes do not match the counts");
  MPI_Allgatherv(mine.data(), byte_counts[static_cast<std::size_t>(rank_)], MPI_BYTE, all.data(),
                 byte_counts.data(), displacements.data(), MPI_BYTE, MPI_COMM_WORLD);
}

void MpiCommunicator::abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; this is for the compiler
}

}  // namespace tapegrad
