/// \file
/// What every tapegrad file format shares: its identity (what it holds, the name its files
/// carry, the version written and the oldest version read), one way of refusing a file
/// ("tapegrad: <what> file <path>: <why>") and the rule for versions. Binary files build on
/// it in binary_file.hpp, JSON documents (model files, checkpoints) in json_document.hpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "atomic_file.hpp"
#include "error.hpp"

namespace tapegrad::detail {

/// A file format's identity. Its files carry `name` and the version they were written in;
/// a reader takes versions `oldest_readable` … `version`, converting the older ones on
/// reading (so that a file stays usable after the format grows), and refuses the rest
/// naming the file's version and the versions it reads. Checksums are FNV-1a 64
/// (fnv1a_64() and content_checksum() in atomic_file.hpp) in every format and version.
struct FileFormat {
  std::string_view what;  ///< what a file holds, in messages: "model", "checkpoint", "recorded function"
  std::string_view name;  ///< written in every file: "tapegrad-model", "tapegrad recorded function"
  std::uint32_t version;  ///< the version this build writes, the newest it reads
  std::uint32_t oldest_readable;  ///< the oldest version this build reads (and converts)
  /// Put before every reason a file is refused, where a format's loaders have always said
  /// it ("not a valid recording"); empty for most.
  std::string_view refusal = {};

  /// The versions this build reads, for messages: "version 2" or "versions 1 to 2".
  std::string readable_versions() const {
    return oldest_readable == version
               ? "version " + std::to_string(version)
               : "versions " + std::to_string(oldest_readable) + " to " + std::to_string(version);
  }
};

/// One file of a format being read, to refuse it by: every error names the format, the
/// file and the reason in one style, "tapegrad: <what> file <source>: <why>", where the
/// reason names the field (and the position) at fault.
class FileContext {
 public:
  /// A file of `format` known to the user as `source` (its path, or a name for text that
  /// came from elsewhere).
  FileContext(const FileFormat& format, std::string source) : format_(format), source_(std::move(source)) {}

  /// Throws tapegrad::Error "tapegrad: <what> file <source>: <why>".
  [[noreturn]] void fail(std::string_view why) const {
    std::string message;
    message.append(format_.what).append(" file ").append(source_).append(": ");
    if (!format_.refusal.empty()) message.append(format_.refusal).append(": ");
    message.append(why);
    throw Error(message);
  }

  /// Refuses a file of a version this build does not read, naming both: a newer one (from
  /// a later tapegrad) and one older than the oldest it converts.
  void check_version(std::uint64_t found) const {
    if (found > format_.version)
      fail("format version " + std::to_string(found) + " is newer than this tapegrad reads (" +
           format_.readable_versions() + "); it was written by a later tapegrad");
    if (found < format_.oldest_readable)
      fail("format version " + std::to_string(found) + " is older than this tapegrad reads (" +
           format_.readable_versions() + ")");
  }

  /// The format being read.
  const FileFormat& format() const noexcept { return format_; }
  /// The file, as messages name it.
  const std::string& source() const noexcept { return source_; }

 private:
  FileFormat format_;
  std::string source_;
};

/// The whole content of the file at `path`, read as bytes; refuses through `file` a file
/// that cannot be read.
inline std::string read_whole_file(const FileContext& file, const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) file.fail("cannot be opened");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) file.fail("cannot be read");
  return content;
}

}  // namespace tapegrad::detail
