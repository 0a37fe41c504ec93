#include "inputs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace attn::app {

InputReader::InputReader(std::vector<InputSource> sources) : sources_(std::move(sources)) {}

bool InputReader::open_next_source(InputText& out) {
  const InputSource& source = sources_[next_source_++];
  if (source.kind == InputSource::Kind::Argument) {
    bytes_read_ += source.name.size() + 1;
    out = InputText{"arg", ++argument_count_, source.name, ""};
    return true;
  }
  line_ = 0;
  if (source.kind == InputSource::Kind::Stdin) {
    lines_ = std::make_unique<LineReader>(STDIN_FILENO, "-", false);
    stream_name_ = "-";
    return false;
  }
  std::string problem;
  const int fd = ::open(source.name.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0) {
    problem = std::string("cannot open (") + std::strerror(errno) + ")";
  } else if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    problem = "is a directory";
    ::close(fd);
  }
  if (!problem.empty()) {
    had_io_error_ = true;
    out = InputText{source.name, 0, "", source.name + ": " + problem};
    return true;
  }
  lines_ = std::make_unique<LineReader>(fd, source.name, true);
  stream_name_ = source.name;
  return false;
}

bool InputReader::next(InputText& out) {
  while (true) {
    if (lines_) {
      std::string text;
      bool got = false;
      try {
        got = lines_->next(text);
      } catch (const IoError& e) {
        // A source that fails mid-way gets one error record; reading goes on with the next source.
        had_io_error_ = true;
        lines_.reset();
        out = InputText{stream_name_, line_ + 1, "", e.what()};
        return true;
      }
      if (got && lines_->overlong()) {
        const std::string where = stream_name_ + ":" + std::to_string(++line_);
        out = InputText{stream_name_, line_, "", where + ": " + too_long_message()};
        return true;
      }
      if (got) {
        bytes_read_ += text.size() + 1;
        out = InputText{stream_name_, ++line_, std::move(text), ""};
        return true;
      }
      lines_.reset();
    }
    if (next_source_ >= sources_.size()) return false;
    if (open_next_source(out)) return true;
  }
}

}  // namespace attn::app
