/// \file
/// Writing a file so that a crash or a full disk never leaves it half-written: the
/// content goes to a temporary file in the same folder, is flushed to disk, and is then
/// renamed over the target, which POSIX makes atomic. A reader sees the old file or the
/// new one, never a mix; and where the file system allows, the temporary file has no
/// name until it is complete, so even a killed process leaves no partial file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace tapegrad {

/// Throws tapegrad::Error naming the path and the system's reason; on failure the
/// target is untouched and the temporary file removed.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

/// 64-bit FNV-1a of the text as 16 hex digits: the checksum model files and checkpoints
/// carry (and saved recordings), so that any changed byte of content is found.
std::string content_checksum(std::string_view text);
/// The same hash as a number (saved recordings store it in binary).
std::uint64_t fnv1a_64(std::string_view text);

}  // namespace tapegrad
