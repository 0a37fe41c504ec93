#include "file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>

namespace attn::app {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_interrupt(int) { g_interrupted = 1; }

std::string reason() { return std::strerror(errno); }

}  // namespace

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocked read returns EINTR and the reader notices
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  // Past a file size limit (ulimit -f) a write must fail with EFBIG, reported and cleaned up like a full disk;
  // SIGXFSZ's default action would kill the process and leave the temporary file behind.
  std::signal(SIGXFSZ, SIG_IGN);
}

bool interrupted() { return g_interrupted != 0; }

void OutputSink::flush() {
  size_t written = 0;
  while (written < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + written, buffer_.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;  // finish the records already started; interruption is checked between batches
      if (errno == EPIPE) throw BrokenPipe(name_);
      throw IoError(name_ + ": write failed (" + reason() + ")");
    }
    written += static_cast<size_t>(n);
  }
  buffer_.clear();
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), target_(path_), sink_(-1, path_) {
  struct stat target {};
  if (::stat(path_.c_str(), &target) == 0 && !S_ISREG(target.st_mode)) {
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw IoError(path_ + ": cannot open for writing (" + reason() + ")");
    sink_ = OutputSink(fd, path_);
    return;
  }
  struct stat entry {};
  if (::lstat(path_.c_str(), &entry) == 0 && S_ISLNK(entry.st_mode)) {
    char resolved[PATH_MAX];
    if (::realpath(path_.c_str(), resolved) != nullptr) target_ = resolved;
  }
  std::string pattern = target_ + ".tmp-XXXXXX";
  const int fd = mkstemp(pattern.data());
  if (fd < 0) throw IoError(path_ + ": cannot create a temporary file beside it (" + reason() + ")");
  temp_path_ = pattern;
  sink_ = OutputSink(fd, path_);
  // mkstemp creates the file 0600; the result should get the mode any new file gets (0666 less the umask), or
  // keep the mode of the file it replaces, so a report or a results file can be read by whoever could before.
  struct stat existing {};
  mode_t mode = 0;
  if (::stat(target_.c_str(), &existing) == 0) {
    mode = existing.st_mode & 07777;
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  ::fchmod(fd, mode);
}

AtomicFile::~AtomicFile() {
  if (open_) {
    ::close(sink_.fd());
    if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
  }
}

void AtomicFile::commit() {
  sink_.flush();
  open_ = false;
  if (temp_path_.empty()) {  // in place: a FIFO or a device has nothing to fsync or rename
    if (::close(sink_.fd()) != 0) throw IoError(path_ + ": write failed (" + reason() + ")");
    return;
  }
  const bool synced = ::fsync(sink_.fd()) == 0;
  const std::string sync_reason = synced ? "" : reason();
  if (::close(sink_.fd()) != 0 || !synced) {
    const std::string why = synced ? reason() : sync_reason;
    ::unlink(temp_path_.c_str());
    throw IoError(path_ + ": write failed (" + why + ")");
  }
  if (std::rename(temp_path_.c_str(), target_.c_str()) != 0) {
    const std::string why = reason();
    ::unlink(temp_path_.c_str());
    throw IoError(path_ + ": cannot rename the temporary file into place (" + why + ")");
  }
}

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
      if (interrupted()) {
        buffer_.resize(old_size);
        throw Interrupted();
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

bool LineReader::next(std::string& line) {
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
  }
  if (start_ >= buffer_.size()) return false;
  size_t end = buffer_.size();
  if (buffer_[end - 1] == '\r') --end;
  line.assign(buffer_, start_, end - start_);
  start_ = buffer_.size();
  return true;
}

}  // namespace attn::app
