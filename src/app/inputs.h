#pragma once
// Where input texts come from: command-line arguments, files and stdin, one text per line or per row of structured
// input (table_input.h), streamed in order.
#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "file_io.h"
#include "table_input.h"

namespace attn::app {

struct InputText {
  std::string source;  // "arg", "-" for stdin, or the file name
  size_t line = 0;     // 1-based line (or argument) number within the source; 0 for a source-level error
  std::string text;
  std::string error;   // non-empty when this record stands for something that could not be read
  std::string id;      // the caller's id, from the id column or field of structured input ("" without one)
  std::vector<std::string> kept;  // the values of the columns or fields passed through, in --keep order
};

// One input source, read lazily: an argument list, stdin, or a file.
struct InputSource {
  enum class Kind { Argument, Stdin, File } kind;
  std::string name;  // the text for Argument, the path for File
};

// What stdin's records are called: a piece of a bigger file, classified on its own (tools/dask_classify.py), is named
// and numbered as in that file, so that its records are the ones a single run over the file would give.
struct StdinNaming {
  std::string name = "-";
  size_t first_line = 1;
};

class InputReader {
 public:
  // Files and stdin are read as `table` says (lines by default); arguments are always texts.
  explicit InputReader(std::vector<InputSource> sources, TableOptions table = {}, StdinNaming stdin_naming = {});
  // Fills `out` with the next input, in order; false when every source is exhausted. A source that cannot be
  // opened or read yields one record with `error` set, and reading goes on with the next source.
  bool next(InputText& out);
  // True if any source could not be opened or read.
  bool had_io_error() const { return had_io_error_; }
  // Bytes of text read so far, each line counted with its newline (for a progress meter; safe to call while
  // another thread reads).
  size_t bytes_read() const { return bytes_read_; }
  // True if a source can keep a read waiting for its writer (stdin or a path that is not a regular file: a pipe,
  // a terminal, a FIFO); arguments and regular files never pause. Looks at the sources as they are now.
  bool may_pause() const;

 private:
  bool open_next_source(InputText& out);

  std::vector<InputSource> sources_;
  size_t next_source_ = 0;
  size_t argument_count_ = 0;
  TableOptions table_;
  std::unique_ptr<LineReader> lines_;
  std::unique_ptr<RowReader> rows_;  // with structured input
  StdinNaming stdin_naming_;
  std::string stream_name_;
  size_t line_ = 0;         // lines read from the current source
  size_t line_offset_ = 0;  // added to line_ in records: stdin's first line may have another number than 1
  bool had_io_error_ = false;
  std::atomic<size_t> bytes_read_{0};
};

}  // namespace attn::app
