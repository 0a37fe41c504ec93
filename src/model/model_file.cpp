#include "model_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "attn/errors.h"

namespace attn {
namespace {

constexpr auto kTimestampSettles = std::chrono::seconds(1);

FileStamp stamp_from(const struct stat& st) {
  return FileStamp{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                   static_cast<uint64_t>(st.st_size),
                   static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                   static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec};
}

std::string too_large(const std::string& path) {
  return path + ": larger than " + std::to_string(kMaxModelFileBytes >> 20) + " MiB, the largest model file attn reads";
}

}  // namespace

std::optional<FileStamp> stamp_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return stamp_from(st);
}

ModelFile::ModelFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw ModelError(path + ": cannot open model file (" + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd_);
    throw ModelError(path + ": is a directory, expected a model file");
  }
}

ModelFile::~ModelFile() { ::close(fd_); }

std::optional<FileStamp> ModelFile::stamp() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return stamp_from(st);
}

std::string ModelFile::read_all() {
  const std::optional<FileStamp> before = stamp();
  if (before && before->size > kMaxModelFileBytes) throw ModelError(too_large(path_));
  std::string text;
  if (before) text.reserve(static_cast<size_t>(before->size));
  char chunk[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw ModelError(path_ + ": read error (" + std::strerror(errno) + ")");
    if (n == 0) return text;
    if (text.size() + static_cast<size_t>(n) > kMaxModelFileBytes) throw ModelError(too_large(path_));
    text.append(chunk, static_cast<size_t>(n));
  }
}

bool ModelFile::settled(const FileStamp& stamp) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto newest = std::chrono::nanoseconds(std::max(stamp.mtime_ns, stamp.ctime_ns));
  return now - newest >= kTimestampSettles;
}

}  // namespace attn
