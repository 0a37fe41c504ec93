#pragma once
// File descriptors without stdio: lines in, whole records out, files that appear whole or not at all.
#include <atomic>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "attn/errors.h"
#include "output_target.h"
#include "signals.h"

namespace attn::app {

// Thrown when the reader of stdout went away (`attn ... | head -1`); main() exits quietly.
struct BrokenPipe : IoError {
  explicit BrokenPipe(const std::string& destination) : IoError(destination + ": broken pipe") {}
};

// Buffered output to a file descriptor. Data reaches the descriptor only in whole records (flush() is called
// between records), so a reader that sees the output stop mid-run never sees half a line.
class OutputSink {
 public:
  OutputSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  void append(std::string_view bytes) { buffer_.append(bytes); }
  // Writes what is buffered if it has grown past the threshold; call only at a record boundary.
  void flush_if_large() {
    if (buffer_.size() >= kFlushThreshold) flush();
  }
  void flush();  // throws IoError, or BrokenPipe
  const std::string& name() const { return name_; }
  int fd() const { return fd_; }

 private:
  static constexpr size_t kFlushThreshold = 1 << 16;
  int fd_;
  std::string name_;
  std::string buffer_;
};

// A file that appears under its name only when commit() succeeds: written to a temporary file in the same
// directory, then renamed over the target. Destroyed uncommitted (an error, an interruption), it removes
// the temporary file, so the previous file, if any, is left as it was. Where the shell's `>` would not replace
// a file, neither does this (output_target.h): a symbolic link is followed (a dangling one creates the file it
// names); a file with other hard links gets the new content copied into it at commit, so that every name sees
// it; /dev/stdout, /dev/stderr and /dev/fd/N write to that descriptor where it stands; a FIFO, a terminal or
// a device is written in place. The last two cannot be taken back: what was written before an error stays.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  OutputSink& sink() { return sink_; }
  // flush, fsync, rename (or copy in; in place: flush, close); throws IoError.
  void commit();

 private:
  void copy_into_target();

  std::string path_;
  OutputTarget target_;
  std::string temp_path_;                            // empty when writing in place or to a descriptor
  std::optional<RemovedOnInterruption> registered_;  // while the temporary file exists
  OutputSink sink_;
  bool open_ = true;
};

// The longest line (and explain's longest text) attn reads: a longer one is an error, so that input without
// line breaks (/dev/zero, a binary file) cannot take all memory.
constexpr size_t kMaxLineBytes = size_t{64} << 20;
// "longer than 64 MiB, the longest line attn reads"
std::string too_long_message();

// Reads lines from a file descriptor with a large buffer; any line up to kMaxLineBytes (a 50 MB line is one line).
// Thrown by a read of a LineReader in a thread that gave up its reads (ReadsCancellable) once the read is
// interrupted by a signal after the cancellation was asked. Not an IoError: no error record is made of it.
struct ReadCancelled {};

// While it lives, a LineReader read in this thread that a signal interrupts (EINTR) throws ReadCancelled if
// `cancelled` is set, instead of reading on: another thread can so end a read blocked on a pipe or a terminal.
class ReadsCancellable {
 public:
  explicit ReadsCancellable(const std::atomic<bool>& cancelled);
  ~ReadsCancellable();
  ReadsCancellable(const ReadsCancellable&) = delete;
  ReadsCancellable& operator=(const ReadsCancellable&) = delete;
};

class LineReader {
 public:
  LineReader(int fd, std::string name, bool owns_fd);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  // The next line without its "\n" (nor a "\r" before it); false at the end of the input (a last line without
  // a final newline is still a line). Throws IoError on a read error.
  // A line longer than kMaxLineBytes is skipped to its end without being kept: next() returns it empty and
  // overlong() is true until the next call.
  bool next(std::string& line);
  bool overlong() const { return overlong_; }

 private:
  bool fill();       // reads more; false at end of input
  void skip_line();  // drops input up to and including the next newline
  int fd_;
  std::string name_;
  bool owns_fd_;
  std::string buffer_;
  size_t start_ = 0;  // first unconsumed byte of buffer_
  bool eof_ = false;
  bool overlong_ = false;
};

}  // namespace attn::app
