#include "inputs.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

namespace attn::app {

InputReader::InputReader(std::vector<InputSource> sources) : sources_(std::move(sources)) {}

bool InputReader::open_next_source(InputText& out) {
  const InputSource& source = sources_[next_source_++];
  if (source.kind == InputSource::Kind::Argument) {
    out = InputText{"arg", ++argument_count_, source.name, ""};
    return true;
  }
  line_ = 0;
  if (source.kind == InputSource::Kind::Stdin) {
    stream_ = &std::cin;
    stream_name_ = "-";
    return false;
  }
  std::error_code ec;
  std::string problem;
  if (std::filesystem::is_directory(source.name, ec)) {
    problem = "is a directory";
  } else {
    file_ = std::make_unique<std::ifstream>(source.name, std::ios::binary);
    if (!*file_) problem = std::string("cannot open (") + std::strerror(errno) + ")";
  }
  if (!problem.empty()) {
    had_io_error_ = true;
    file_.reset();
    out = InputText{source.name, 0, "", source.name + ": " + problem};
    return true;
  }
  stream_ = file_.get();
  stream_name_ = source.name;
  return false;
}

bool InputReader::next(InputText& out) {
  while (true) {
    if (stream_ != nullptr) {
      std::string text;
      if (std::getline(*stream_, text)) {
        ++line_;
        // CRLF files: the CR belongs to the line ending, not the text.
        if (!text.empty() && text.back() == '\r') text.pop_back();
        out = InputText{stream_name_, line_, std::move(text), ""};
        return true;
      }
      const bool failed = stream_->bad();
      stream_ = nullptr;
      file_.reset();
      if (failed) {
        had_io_error_ = true;
        out = InputText{stream_name_, line_ + 1, "", stream_name_ + ": read error after line " + std::to_string(line_)};
        return true;
      }
    }
    if (next_source_ >= sources_.size()) return false;
    if (open_next_source(out)) return true;
  }
}

}  // namespace attn::app
