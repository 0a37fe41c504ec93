#pragma once
// Structured input: one text per row of a TSV or CSV file (RFC 4180 quoting, newlines inside quotes) or per JSON
// Lines object; the caller's id and other columns or fields are carried into the row's record.
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace attn::app {

struct InputText;

enum class InputFormat { Lines, Tsv, Csv, Jsonl };

// Each format with the name --input-format takes, in the order --help lists them.
extern const std::vector<std::pair<std::string, InputFormat>> kInputFormats;

struct TableOptions {
  InputFormat format = InputFormat::Lines;
  bool header = false;  // TSV, CSV: the first row of each source names the columns
  // Columns by name (with a header) or by number from 1; JSON Lines fields by name.
  std::string text;               // "": the first column, or the field "text"
  std::string id;                 // "": no id
  std::vector<std::string> kept;  // passed through into every record, in this order
};

// Column numbers run from 1 to kMaxColumnNumber; a longer number would only ever name a column no row has.
constexpr size_t kMaxColumnNumber = 999999;

// "" when column names a column by number (a TSV or CSV without a header), else why not.
std::string column_number_problem(const std::string& column);

// Turns the lines of one source into rows.
class RowReader {
 public:
  RowReader(const TableOptions& options, std::string source);
  // The source's next physical line (false at its end): a quoted CSV field may go on over several.
  using NextLine = std::function<bool(std::string& line)>;
  // Fills `out` (source, line, text, id, kept; or error naming the row) from the row that starts with `line`,
  // line number `line_number`; false when the row was the header (no record).
  bool read(std::string line, size_t line_number, const NextLine& next_line, InputText& out);
  // True after a header that lacks a column asked for: the rest of the source cannot be read.
  bool failed() const { return failed_; }

 private:
  bool split(std::string line, const NextLine& next_line, std::vector<std::string>& fields, std::string& error);
  bool resolve(const std::vector<std::string>& header, std::string& error);
  void read_json(const std::string& line, InputText& out);

  TableOptions options_;
  std::string source_;
  std::vector<std::string> wanted_;  // text, id (if any), then the kept columns
  std::vector<size_t> columns_;      // their indices, once resolved
  bool resolved_ = false;
  bool failed_ = false;
};

}  // namespace attn::app
