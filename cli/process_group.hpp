// The processes this run of `tapegrad` is one of: under mpirun (and a build with
// Open MPI), main() starts MPI and sets the group; train shares each minibatch's shards
// among them. Run on its own, there is no group (nullptr).
#pragma once

#include "../autodiff/parallel/communicator.hpp"

namespace tapegrad::cli {

inline Communicator*& process_group() {
  static Communicator* group = nullptr;
  return group;
}

// Whether this process writes files and prints results: the only one, or rank 0.
inline bool lead_process() { return process_group() == nullptr || process_group()->rank() == 0; }

}  // namespace tapegrad::cli
