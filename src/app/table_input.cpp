#include "table_input.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "inputs.h"

namespace attn::app {

const std::vector<std::pair<std::string, InputFormat>> kInputFormats = {
    {"lines", InputFormat::Lines}, {"tsv", InputFormat::Tsv}, {"csv", InputFormat::Csv}, {"jsonl", InputFormat::Jsonl}};

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

std::string column_number_problem(const std::string& column) {
  if (column.empty() || column.find_first_not_of("0123456789") != std::string::npos) {
    return "a column is named only with --header (else by number from 1)";
  }
  if (column.find_first_not_of('0') == std::string::npos) return "columns are numbered from 1";
  if (column.size() > std::to_string(kMaxColumnNumber).size() || std::stoul(column) > kMaxColumnNumber) {
    return "column numbers go up to " + std::to_string(kMaxColumnNumber);
  }
  return "";
}

RowReader::RowReader(const TableOptions& options, std::string source) : options_(options), source_(std::move(source)) {
  const bool json = options_.format == InputFormat::Jsonl;
  wanted_.push_back(!options_.text.empty() ? options_.text : json ? "text" : "1");
  if (!options_.id.empty()) wanted_.push_back(options_.id);
  wanted_.insert(wanted_.end(), options_.kept.begin(), options_.kept.end());
  if (!json && !options_.header) {
    std::string error;
    resolved_ = resolve({}, error);  // numbers only: the options were checked (check_table_options)
  }
}

bool RowReader::resolve(const std::vector<std::string>& header, std::string& error) {
  columns_.clear();
  // Without --text-column, a header's column named "text" holds the text, else the first column.
  if (options_.text.empty()) {
    wanted_[0] = std::find(header.begin(), header.end(), "text") != header.end() ? "text" : "1";
  }
  for (const auto& column : wanted_) {
    size_t index = header.size();
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == column) index = i;
    }
    if (index == header.size() && column_number_problem(column).empty()) index = std::stoul(column) - 1;
    if (index == header.size()) {
      error = "the header has no column " + column + " (its columns: " + joined(header) + ")";
      return false;
    }
    columns_.push_back(index);
  }
  return true;
}

bool RowReader::split(std::string line, const NextLine& next_line, std::vector<std::string>& fields,
                      std::string& error) {
  fields.clear();
  if (options_.format == InputFormat::Tsv) {
    size_t start = 0;
    for (size_t tab = line.find('\t'); tab != std::string::npos; tab = line.find('\t', start)) {
      fields.push_back(line.substr(start, tab - start));
      start = tab + 1;
    }
    fields.push_back(line.substr(start));
    return true;
  }
  // CSV (RFC 4180): fields separated by commas; a field in double quotes may hold commas, newlines and "" for a
  // quote. A newline inside quotes continues the row on the next line (its CR, if any, was dropped with it).
  std::string field;
  bool quoted = false;
  for (size_t i = 0;; ++i) {
    if (i == line.size()) {
      if (!quoted) break;
      std::string more;
      if (!next_line(more)) {
        error = "a quoted field is not closed before the end of the input";
        return false;
      }
      field += '\n';
      line = std::move(more);
      i = static_cast<size_t>(-1);
      continue;
    }
    const char c = line[i];
    if (quoted) {
      if (c != '"')
        field += c;
      else if (i + 1 < line.size() && line[i + 1] == '"')
        field += line[++i];
      else
        quoted = false;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
    } else if (c == '"' && field.empty()) {
      quoted = true;
    } else {
      field += c;
    }
  }
  fields.push_back(std::move(field));
  return true;
}

void RowReader::read_json(const std::string& line, InputText& out) {
  const auto row = nlohmann::json::parse(line, nullptr, false);
  if (row.is_discarded() || !row.is_object()) {
    out.error = "not a JSON object";
    return;
  }
  std::vector<std::string> values;
  for (size_t i = 0; i < wanted_.size(); ++i) {
    const auto it = row.find(wanted_[i]);
    const bool must = i == 0 || (i == 1 && !options_.id.empty());
    if (it == row.end() || it->is_null()) {
      if (must) {
        out.error = "no field \"" + wanted_[i] + "\"";
        return;
      }
      values.emplace_back();
    } else if (i == 0 && !it->is_string()) {
      out.error = "the field \"" + wanted_[i] + "\" is not a string";
      return;
    } else {
      values.push_back(it->is_string() ? it->get<std::string>() : it->dump());
    }
  }
  out.text = std::move(values[0]);
  size_t next = 1;
  if (!options_.id.empty()) out.id = std::move(values[next++]);
  out.kept.assign(values.begin() + static_cast<std::ptrdiff_t>(next), values.end());
}

bool RowReader::read(std::string line, size_t line_number, const NextLine& next_line, InputText& out) {
  out = InputText{};
  out.source = source_;
  out.line = line_number;
  if (options_.format == InputFormat::Jsonl) {
    read_json(line, out);
  } else {
    std::vector<std::string> fields;
    if (split(std::move(line), next_line, fields, out.error)) {
      if (!resolved_) {
        resolved_ = resolve(fields, out.error);
        failed_ = !resolved_;
        if (resolved_) return false;  // the header: no record
      } else {
        size_t needed = 0;
        for (size_t column : columns_) needed = std::max(needed, column + 1);
        if (fields.size() < needed) {
          out.error = "the row has " + std::to_string(fields.size()) + " columns, not the " + std::to_string(needed) +
                      " the options name";
        } else {
          out.text = fields[columns_[0]];  // copied: the id or a kept column may be the same one
          size_t next = 1;
          if (!options_.id.empty()) out.id = fields[columns_[next++]];
          for (; next < columns_.size(); ++next) out.kept.push_back(fields[columns_[next]]);
        }
      }
    }
  }
  if (!out.error.empty()) out.error = source_ + ":" + std::to_string(line_number) + ": " + out.error;
  return true;
}

}  // namespace attn::app
