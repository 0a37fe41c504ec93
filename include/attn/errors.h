#pragma once
// Error types. Library code throws; the CLI catches once in main() and maps each type to an exit code.
#include <stdexcept>
#include <string>

namespace attn {

// Base of every error attn reports to a user; the message says where and what.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The model file is unreadable, malformed or inconsistent (format, config, tokenizer, weights).
class ModelError : public Error {
 public:
  using Error::Error;
};

// One input text cannot be classified (invalid UTF-8, no tokens). In a batch this becomes an error record.
class InputError : public Error {
 public:
  using Error::Error;
};

// A file could not be opened, read or written.
class IoError : public Error {
 public:
  using Error::Error;
};

// Invalid UTF-8, with the byte offset of the first bad sequence.
class InvalidUtf8Error : public InputError {
 public:
  InvalidUtf8Error(size_t byte_offset, const std::string& what)
      : InputError("invalid UTF-8 at byte " + std::to_string(byte_offset) + ": " + what),
        byte_offset_(byte_offset) {}
  size_t byte_offset() const { return byte_offset_; }

 private:
  size_t byte_offset_;
};

}  // namespace attn
