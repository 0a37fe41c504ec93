#include "inputs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace attn::app {

InputReader::InputReader(std::vector<InputSource> sources, TableOptions table, StdinNaming stdin_naming)
    : sources_(std::move(sources)), table_(std::move(table)), stdin_naming_(std::move(stdin_naming)) {}

namespace {

// A text (error empty) or the error record that stands for one.
InputText input_record(std::string source, size_t line, std::string text, std::string error) {
  InputText out;
  out.source = std::move(source);
  out.line = line;
  out.text = std::move(text);
  out.error = std::move(error);
  return out;
}

// The record of a line (or a CSV row, by its first line) past kMaxLineBytes: its text was never kept.
InputText too_long_record(const std::string& source, size_t line) {
  return input_record(source, line, "", source + ":" + std::to_string(line) + ": " + too_long_message());
}

}  // namespace

bool InputReader::open_next_source(InputText& out) {
  const InputSource& source = sources_[next_source_++];
  if (source.kind == InputSource::Kind::Argument) {
    bytes_read_ += source.name.size() + 1;
    out = input_record("arg", ++argument_count_, source.name, "");
    return true;
  }
  line_ = 0;
  line_offset_ = 0;
  rows_.reset();
  if (source.kind == InputSource::Kind::Stdin) {
    stream_name_ = stdin_naming_.name;
    line_offset_ = stdin_naming_.first_line - 1;
    lines_ = std::make_unique<LineReader>(STDIN_FILENO, stream_name_, false);
    if (table_.format != InputFormat::Lines) rows_ = std::make_unique<RowReader>(table_, stream_name_);
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
    out = input_record(source.name, 0, "", source.name + ": " + problem);
    return true;
  }
  lines_ = std::make_unique<LineReader>(fd, source.name, true);
  stream_name_ = source.name;
  if (table_.format != InputFormat::Lines) rows_ = std::make_unique<RowReader>(table_, stream_name_);
  return false;
}

bool InputReader::may_pause() const {
  for (const auto& source : sources_) {
    if (source.kind == InputSource::Kind::Argument) continue;
    struct stat st {};
    const int status =
        source.kind == InputSource::Kind::Stdin ? ::fstat(STDIN_FILENO, &st) : ::stat(source.name.c_str(), &st);
    if (status != 0 || !S_ISREG(st.st_mode)) return true;
  }
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
        out = input_record(stream_name_, line_offset_ + line_ + 1, "", e.what());
        return true;
      }
      // In every input format, not only one text per line: a TSV, CSV or JSONL line is as unbounded.
      if (got && lines_->overlong()) {
        out = too_long_record(stream_name_, line_offset_ + ++line_);
        return true;
      }
      if (got && rows_) {
        bytes_read_ += text.size() + 1;
        const size_t first_line = line_offset_ + ++line_;
        // A quoted CSV field may go on over the next lines; they belong to this row, which is held whole, so the
        // row as a whole is held to the line limit.
        size_t row_bytes = text.size();
        bool too_long = false;
        const RowReader::NextLine next_line = [&](std::string& more) {
          if (!lines_->next(more)) return false;
          ++line_;
          row_bytes += more.size() + 1;
          if (lines_->overlong() || row_bytes > kMaxLineBytes) {
            too_long = true;
            return false;
          }
          bytes_read_ += more.size() + 1;
          return true;
        };
        const bool is_row = rows_->read(std::move(text), first_line, next_line, out);
        if (too_long) {
          out = too_long_record(stream_name_, first_line);
          // What follows would be read from inside the quoted field, as rows of their own.
          lines_.reset();
          return true;
        }
        if (!is_row) continue;  // the header
        if (rows_->failed()) lines_.reset();
        return true;
      }
      if (got) {
        bytes_read_ += text.size() + 1;
        if (++line_ == 1 && table_.header) continue;  // a header above one text per line
        out = input_record(stream_name_, line_offset_ + line_, std::move(text), "");
        return true;
      }
      lines_.reset();
    }
    if (next_source_ >= sources_.size()) return false;
    if (open_next_source(out)) return true;
  }
}

}  // namespace attn::app
