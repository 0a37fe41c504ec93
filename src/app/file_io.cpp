#include "file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace attn::app {
namespace {

std::string reason() { return std::strerror(errno); }

thread_local const std::atomic<bool>* t_reads_cancelled = nullptr;

}  // namespace

void OutputSink::flush() {
  size_t written = 0;
  while (written < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + written, buffer_.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) throw BrokenPipe(name_);
      throw IoError(name_ + ": write failed (" + reason() + ")");
    }
    written += static_cast<size_t>(n);
  }
  buffer_.clear();
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), target_(resolve_output(path_)), sink_(-1, path_) {
  if (target_.kind == OutputTarget::Kind::Descriptor) {
    const int fd = ::fcntl(target_.descriptor, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) {
      throw IoError(path_ + ": cannot write to descriptor " + std::to_string(target_.descriptor) + " (" + reason() +
                    ")");
    }
    sink_ = OutputSink(fd, path_);
    return;
  }
  if (target_.kind == OutputTarget::Kind::InPlace) {
    const int fd = ::open(target_.path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw IoError(path_ + ": cannot open for writing (" + reason() + ")");
    sink_ = OutputSink(fd, path_);
    return;
  }
  std::string pattern = target_.path + ".tmp-XXXXXX";
  int fd = -1;
  {
    const InterruptionsBlocked blocked;  // no interruption between creating the file and registering it
    fd = mkstemp(pattern.data());
    if (fd >= 0) registered_.emplace(pattern);
  }
  if (fd < 0) throw IoError(path_ + ": cannot create a temporary file beside it (" + reason() + ")");
  temp_path_ = pattern;
  sink_ = OutputSink(fd, path_);
  // mkstemp creates the file 0600, owned by whoever runs attn; the result should get the mode any new file gets
  // (0666 less the umask), or keep the mode and owner of the file it replaces, so that a report or a results
  // file can be read by whoever could before.
  mode_t mode = 0;
  if (target_.exists) {
    mode = target_.existing.st_mode & 07777;
    if (::geteuid() == 0 && ::fchown(fd, target_.existing.st_uid, target_.existing.st_gid) != 0) {
      // best effort, as the mode: the content is what matters
    }
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  ::fchmod(fd, mode);
}

AtomicFile::~AtomicFile() {
  if (open_) {
    const InterruptionsBlocked blocked;
    ::close(sink_.fd());
    if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
    registered_.reset();
  }
}

void AtomicFile::commit() {
  sink_.flush();
  // From here the temporary file is renamed or copied into place and removed: an interruption waits until
  // that is done, so that it never leaves a half-copied file, nor removes a file already renamed.
  const InterruptionsBlocked blocked;
  open_ = false;
  struct Unregister {
    std::optional<RemovedOnInterruption>& registered;
    ~Unregister() { registered.reset(); }
  } unregister{registered_};
  if (temp_path_.empty()) {  // in place or a descriptor: nothing to fsync or rename
    if (::close(sink_.fd()) != 0) throw IoError(path_ + ": write failed (" + reason() + ")");
    return;
  }
  const bool synced = ::fsync(sink_.fd()) == 0;
  const std::string sync_reason = synced ? "" : reason();
  if (!synced) {
    ::close(sink_.fd());
    ::unlink(temp_path_.c_str());
    throw IoError(path_ + ": write failed (" + sync_reason + ")");
  }
  if (target_.kind == OutputTarget::Kind::CopyIn) {
    copy_into_target();
    return;
  }
  if (::close(sink_.fd()) != 0) {
    const std::string why = reason();
    ::unlink(temp_path_.c_str());
    throw IoError(path_ + ": write failed (" + why + ")");
  }
  if (std::rename(temp_path_.c_str(), target_.path.c_str()) != 0) {
    const std::string why = reason();
    ::unlink(temp_path_.c_str());
    throw IoError(path_ + ": cannot rename the temporary file into place (" + why + ")");
  }
}

// The whole content is in the temporary file by now; a failure while copying is the one case where the target
// is left incomplete, and the message says so.
void AtomicFile::copy_into_target() {
  const int from = sink_.fd();
  struct Cleanup {
    int from, to;
    const std::string& temp;
    ~Cleanup() {
      ::close(from);
      if (to >= 0) ::close(to);
      ::unlink(temp.c_str());
    }
  } cleanup{from, ::open(target_.path.c_str(), O_WRONLY | O_CLOEXEC), temp_path_};
  if (cleanup.to < 0) throw IoError(path_ + ": cannot open for writing (" + reason() + ")");
  std::string chunk(size_t{1} << 16, '\0');
  off_t offset = 0;
  while (true) {
    const ssize_t n = ::pread(from, chunk.data(), chunk.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw IoError(path_ + ": cannot read back the temporary file (" + reason() + ")");
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::pwrite(cleanup.to, chunk.data() + done, static_cast<size_t>(n - done), offset + done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) throw IoError(path_ + ": write failed (" + reason() + "); the file is left incomplete");
      done += w;
    }
    offset += n;
  }
  if (::ftruncate(cleanup.to, offset) != 0 || ::fsync(cleanup.to) != 0) {
    throw IoError(path_ + ": write failed (" + reason() + ")");
  }
}

ReadsCancellable::ReadsCancellable(const std::atomic<bool>& cancelled) { t_reads_cancelled = &cancelled; }

ReadsCancellable::~ReadsCancellable() { t_reads_cancelled = nullptr; }

LineReader::LineReader(int fd, std::string name, bool owns_fd) : fd_(fd), name_(std::move(name)), owns_fd_(owns_fd) {}

LineReader::~LineReader() {
  if (owns_fd_) ::close(fd_);
}

bool LineReader::fill() {
  if (eof_) return false;
  if (start_ > 0) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  constexpr size_t kChunk = 1 << 16;
  const size_t old_size = buffer_.size();
  buffer_.resize(old_size + kChunk);
  while (true) {
    const ssize_t n = ::read(fd_, buffer_.data() + old_size, kChunk);
    if (n < 0 && errno == EINTR) {
      if (t_reads_cancelled != nullptr && t_reads_cancelled->load()) {
        buffer_.resize(old_size);
        throw ReadCancelled();
      }
      continue;
    }
    if (n < 0) {
      const std::string why = reason();
      buffer_.resize(old_size);
      throw IoError(name_ + ": read error (" + why + ")");
    }
    buffer_.resize(old_size + static_cast<size_t>(n));
    if (n == 0) eof_ = true;
    return n > 0;
  }
}

std::string too_long_message() {
  return "longer than " + std::to_string(kMaxLineBytes >> 20) + " MiB, the longest line attn reads";
}

void LineReader::skip_line() {
  while (true) {
    const size_t newline = buffer_.find('\n', start_);
    if (newline != std::string::npos) {
      start_ = newline + 1;
      return;
    }
    buffer_.clear();
    start_ = 0;
    if (!fill()) return;
  }
}

bool LineReader::next(std::string& line) {
  overlong_ = false;
  size_t scanned = start_;
  while (true) {
    const size_t newline = buffer_.find('\n', scanned);
    if (newline != std::string::npos) {
      size_t end = newline;
      if (end > start_ && buffer_[end - 1] == '\r') --end;  // CRLF: the CR belongs to the line ending
      line.assign(buffer_, start_, end - start_);
      start_ = newline + 1;
      return true;
    }
    scanned = buffer_.size() - start_;  // relative: fill() moves the unconsumed bytes to the front
    if (!fill()) break;
    scanned += start_;
    if (buffer_.size() - start_ > kMaxLineBytes) {
      skip_line();
      line.clear();
      overlong_ = true;
      return true;
    }
  }
  if (start_ >= buffer_.size()) return false;
  size_t end = buffer_.size();
  if (buffer_[end - 1] == '\r') --end;
  line.assign(buffer_, start_, end - start_);
  start_ = buffer_.size();
  return true;
}

}  // namespace attn::app
