// libFuzzer: bytes through app::LineReader, read from a file descriptor as attn reads a file or a pipe.
//
// The first byte picks how the bytes arrive. 0: from a memfd, in reads of up to 64 KiB, like a file. 1..255: as
// SOCK_SEQPACKET messages of that many bytes, each read() returning exactly one message, so that lines, CRLF
// pairs and the end of the input fall at every place of a read, deterministically.
// The lines read must be exactly the input split on "\n", a "\r" before each "\n" and at the very end dropped,
// and a last line without "\n" still a line: joined back, they give the input.
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "file_io.h"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

std::vector<std::string> expected_lines(const std::string& input) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < input.size()) {
    size_t end = input.find('\n', start);
    const size_t next = end == std::string::npos ? input.size() : end + 1;
    if (end == std::string::npos) end = input.size();
    if (end > start && input[end - 1] == '\r') --end;
    lines.push_back(input.substr(start, end - start));
    start = next;
  }
  return lines;
}

void write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    require(n > 0);
    data += n;
    size -= static_cast<size_t>(n);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t message_size = data[0];
  const std::string input(reinterpret_cast<const char*>(data + 1), size - 1);

  int read_fd = -1;
  std::thread writer;
  if (message_size == 0) {
    read_fd = ::memfd_create("fuzz_line_reader", MFD_CLOEXEC);
    require(read_fd >= 0);
    for (size_t done = 0; done < input.size();) {
      const ssize_t n = ::write(read_fd, input.data() + done, input.size() - done);
      require(n > 0);
      done += static_cast<size_t>(n);
    }
    require(::lseek(read_fd, 0, SEEK_SET) == 0);
  } else {
    int fds[2];
    require(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) == 0);
    read_fd = fds[0];
    const int write_fd = fds[1];
    writer = std::thread([&input, message_size, write_fd] {
      for (size_t done = 0; done < input.size(); done += message_size) {
        const size_t n = std::min(message_size, input.size() - done);
        write_all(write_fd, input.data() + done, n);  // one message: a SEQPACKET send is all or nothing
      }
      ::close(write_fd);  // the reader sees the end of the input
    });
  }

  std::vector<std::string> lines;
  {
    attn::app::LineReader reader(read_fd, "fuzz", /*owns_fd=*/true);
    std::string line;
    while (reader.next(line)) lines.push_back(line);
    require(!reader.next(line));  // the end stays the end
  }
  if (writer.joinable()) writer.join();

  require(lines == expected_lines(input));
  // Joined back: each line, then "\n" if the input had one there (dropped CRs aside, the same bytes).
  std::string joined;
  for (size_t i = 0; i < lines.size(); ++i) {
    joined += lines[i];
    if (i + 1 < lines.size() || (!input.empty() && input.back() == '\n')) joined += '\n';
  }
  std::string without_cr;
  for (size_t i = 0; i < input.size(); ++i) {
    const bool dropped = input[i] == '\r' && (i + 1 == input.size() || input[i + 1] == '\n');
    if (!dropped) without_cr += input[i];
  }
  require(joined == without_cr);
  return 0;
}
