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
  throw Error("tapegrad: cannot write " + path.string() + ": " + step + ": " + std::strerror(error));
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  if (path.filename().empty())
    throw Error("tapegrad: cannot write '" + path.string() + "': it names a folder");
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
  std::string name = ".";
  name += path.filename().string();
  name += ".tmp-XXXXXX";
  std::string temp = (folder / name).string();
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) fail(path, "creating a temporary file in its folder", errno);
  auto abandon = [&](const char* step) {
    const int error = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    fail(path, step, error);
  };
  for (std::size_t written = 0; written < content.size();) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) abandon("writing");
    written += static_cast<std::size_t>(n);
  }
  // mkstemp creates the file 0600; a model or chart is an ordinary file.
  if (::fchmod(fd, 0644) != 0) abandon("setting permissions");
  if (::fsync(fd) != 0) abandon("flushing to disk");
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    fail(path, "closing", error);
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
