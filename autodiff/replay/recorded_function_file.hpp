/// \file
/// Saving a recorded function and loading it again, for tools that ship a fixed objective:
/// the tape's statements and operands, the programs, numbers, comparisons, values, and
/// which statements are the inputs and the output. One binary file of named fields
/// (support/binary_file.hpp), written atomically: "tapegrad recorded function" and a
/// newline, the format version (2), the byte-order mark, then the value size, the op codes'
/// names (so that adding a rule never breaks a saved file), each array under its own name
/// (program nodes and comparisons member by member), the inputs and the output, and a
/// 64-bit FNV-1a checksum of everything before it. Files of version 1 (the arrays by
/// position, as the first release wrote them) are read and converted.
///
/// Loading refuses, naming what is wrong, a file that is damaged (checksum), truncated,
/// of a newer version (naming it and the versions this build reads) or another value type,
/// whose fields are not this build's (naming the field), that names an operation this
/// build does not know, or whose arrays do not form a valid recording (an operand after
/// its statement, a program reading past its numbers). A recording with tensor operations
/// cannot be saved: its statements point into memory of the recording process.
#pragma once

#include <filesystem>

#include "recorded_function.hpp"

namespace tapegrad {

/// Writes `function`'s recording to `path` (atomically, in format version 2), to be replayed by another
/// program with load_recorded_function(). Only scalar recordings can be saved: throws tapegrad::Error naming
/// the statement when one is a tensor operation or a Parameter, or when the file cannot be written.
template <class T>
void save_recorded_function(const BasicRecordedFunction<T>& function, const std::filesystem::path& path);

/// A loaded function replays like the one saved; without its C++ function it cannot record
/// again, so a changed comparison or kink throws BranchChanged (the overload below takes
/// the function and records it again instead). Reads format versions 1
/// and 2; throws tapegrad::Error "tapegrad: recorded function file <path>: not a valid
/// recording: <why>" for any other file.
template <class T = double>
BasicRecordedFunction<T> load_recorded_function(const std::filesystem::path& path);

/// A loaded function that records `f` again where a comparison or kink comes out
/// differently (BasicRecordedFunction::record_again_with()), instead of throwing
/// BranchChanged. `f` must be the function the file was recorded from.
template <class T = double, class F>
BasicRecordedFunction<T> load_recorded_function(const std::filesystem::path& path, F f) {
  BasicRecordedFunction<T> loaded = load_recorded_function<T>(path);
  loaded.record_again_with(std::move(f));
  return loaded;
}

/// \cond INTERNAL
extern template void save_recorded_function(const BasicRecordedFunction<double>&,
                                            const std::filesystem::path&);
extern template void save_recorded_function(const BasicRecordedFunction<float>&,
                                            const std::filesystem::path&);
extern template BasicRecordedFunction<double> load_recorded_function<double>(const std::filesystem::path&);
extern template BasicRecordedFunction<float> load_recorded_function<float>(const std::filesystem::path&);
/// \endcond

}  // namespace tapegrad
