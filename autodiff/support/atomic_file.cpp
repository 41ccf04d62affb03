#include "atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "error.hpp"

namespace tapegrad {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const char* step, int error) {
  throw Error("cannot write " + path.string() + ": " + step + ": " + std::strerror(error));
}

// Writes all of `content` to fd and flushes it to disk; the failing step, or null.
const char* write_and_flush(int fd, std::string_view content) {
  for (std::size_t written = 0; written < content.size();) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return "writing";
    written += static_cast<std::size_t>(n);
  }
  // mkstemp creates the file 0600; a model or chart is an ordinary file.
  if (::fchmod(fd, 0644) != 0) return "setting permissions";
  if (::fsync(fd) != 0) return "flushing to disk";
  return nullptr;
}

// An unnamed file (O_TMPFILE) in `folder`, written, flushed, and only then linked under
// the free name `temp` (a template that mkstemp completes). False where the file system
// or a missing /proc does not allow it; throws on a failure to write.
bool write_unnamed_then_link(const std::filesystem::path& path, const std::filesystem::path& folder,
                             std::string& temp, std::string_view content) {
  const int fd = ::open(folder.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  if (const char* step = write_and_flush(fd, content)) {
    const int error = errno;
    ::close(fd);
    fail(path, step, error);
  }
  // linkat needs a name nobody has: mkstemp finds one, and its empty file goes again.
  const int placeholder = ::mkstemp(temp.data());
  bool linked = false;
  if (placeholder >= 0) {
    ::close(placeholder);
    ::unlink(temp.c_str());
    const std::string self = "/proc/self/fd/" + std::to_string(fd);
    linked = ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, temp.c_str(), AT_SYMLINK_FOLLOW) == 0;
  }
  ::close(fd);
  return linked;
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  if (path.filename().empty()) throw Error("cannot write '" + path.string() + "': it names a folder");
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
  std::string name = ".";
  name += path.filename().string();
  name += ".tmp-XXXXXX";
  const std::string pattern = (folder / name).string();
  std::string temp = pattern;
  // The temporary file gets a name only once it is complete where the file system
  // allows, so a process killed while writing (a signal, mpirun ending a job) leaves
  // nothing behind; elsewhere it is a named file from the start.
  if (!write_unnamed_then_link(path, folder, temp, content)) {
    temp = pattern;
    const int fd = ::mkstemp(temp.data());
    if (fd < 0) fail(path, "creating a temporary file in its folder", errno);
    if (const char* step = write_and_flush(fd, content)) {
      const int error = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      fail(path, step, error);
    }
    if (::close(fd) != 0) {
      const int error = errno;
      ::unlink(temp.c_str());
      fail(path, "closing", error);
    }
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    fail(path, "renaming the temporary file over it", error);
  }
  // The rename itself reaches the disk when the folder is flushed.
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace tapegrad

namespace tapegrad {

std::uint64_t fnv1a_64(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string content_checksum(std::string_view text) {
  const std::uint64_t h = fnv1a_64(text);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

}  // namespace tapegrad
