/// \file
/// Saving a recorded function and loading it again, for tools that ship a fixed objective:
/// the tape's statements and operands, the programs, numbers, comparisons, values, and
/// which statements are the inputs and the output. One binary file, written atomically:
///
///   "tapegrad recorded function\n", format version (uint32), value size in bytes,
///   the op codes' names (so that adding a rule never breaks a saved file),
///   the arrays with their lengths, and a 64-bit FNV-1a checksum of everything before it.
///
/// Loading refuses, naming what is wrong, a file that is damaged (checksum), truncated,
/// of another version or value type, that names an operation this build does not know,
/// or whose arrays do not form a valid recording (an operand after its statement, a
/// program reading past its numbers). A recording with tensor operations cannot be saved:
/// its statements point into memory of the recording process.
#pragma once

#include <filesystem>

#include "recorded_function.hpp"

namespace tapegrad {

/// Writes `function`'s recording to `path` (atomically), to be replayed by another program with
/// load_recorded_function(). Only scalar recordings can be saved: throws tapegrad::Error naming the statement
/// when one is a tensor operation or a Parameter, or when the file cannot be written.
template <class T>
void save_recorded_function(const BasicRecordedFunction<T>& function, const std::filesystem::path& path);

/// A loaded function replays like the one saved; it cannot record again (it has no C++
/// function), so a changed comparison or kink throws BranchChanged.
template <class T = double>
BasicRecordedFunction<T> load_recorded_function(const std::filesystem::path& path);

/// \cond INTERNAL
extern template void save_recorded_function(const BasicRecordedFunction<double>&,
                                            const std::filesystem::path&);
extern template void save_recorded_function(const BasicRecordedFunction<float>&,
                                            const std::filesystem::path&);
extern template BasicRecordedFunction<double> load_recorded_function<double>(const std::filesystem::path&);
extern template BasicRecordedFunction<float> load_recorded_function<float>(const std::filesystem::path&);
/// \endcond

}  // namespace tapegrad
