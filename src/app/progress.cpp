#include "progress.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <initializer_list>

namespace attn::app {
namespace {

constexpr auto kRedrawInterval = std::chrono::milliseconds(100);
constexpr auto kInitialDelay = std::chrono::milliseconds(500);

std::string duration(double seconds) {
  const long total = static_cast<long>(seconds + 0.5);
  char buffer[32];
  if (total >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld", total / 60, total % 60);
  }
  return buffer;
}

// 950, 12.3k, 4.56M
std::string count(double value) {
  char buffer[32];
  if (value >= 1e6) std::snprintf(buffer, sizeof buffer, "%.2fM", value / 1e6);
  else if (value >= 1e4) std::snprintf(buffer, sizeof buffer, "%.1fk", value / 1e3);
  else std::snprintf(buffer, sizeof buffer, "%.0f", value);
  return buffer;
}

// The first of the lines, from the fullest to the barest, that fits in `columns` (a line as wide as the terminal
// would wrap and scroll at every redraw), else the barest cut to fit.
std::string fit(std::initializer_list<std::string> lines, int columns) {
  const size_t width = static_cast<size_t>(std::max(columns, 1));
  for (const auto& line : lines) {
    if (line.size() <= width) return line;
  }
  return (lines.end() - 1)->substr(0, width);
}

int terminal_columns(int fd) {
  struct winsize size {};
  if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col >= 20) return size.ws_col;
  return 80;
}

void write_all(int fd, const std::string& text) {
  // Best effort: a meter that cannot be drawn must not stop the work.
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

ProgressMeter::ProgressMeter(int fd, const InputReader& reader, size_t total_bytes, bool delay)
    : fd_(fd),
      reader_(reader),
      total_bytes_(total_bytes),
      delay_(delay),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressMeter::~ProgressMeter() {
  if (drawn_ && !finished_) write_all(fd_, "\n");
}

void ProgressMeter::callback(size_t inputs_done, void* context) {
  static_cast<ProgressMeter*>(context)->update(inputs_done);
}

void ProgressMeter::update(size_t inputs_done) {
  inputs_done_ = inputs_done;
  const auto now = std::chrono::steady_clock::now();
  if (delay_ && now - start_ < kInitialDelay) return;
  if (drawn_ && now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  draw(false);
}

void ProgressMeter::finish() {
  if (finished_) return;
  if (drawn_) draw(true);
  finished_ = true;
}

void ProgressMeter::draw(bool final_line) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const std::string line =
      render(inputs_done_, reader_.bytes_read(), total_bytes_, seconds, terminal_columns(fd_) - 1, final_line);
  // "\r" back to the start, the line, then erase what a longer previous line left on the right.
  write_all(fd_, "\r" + line + "\033[K" + (final_line ? "\n" : ""));
  drawn_ = true;
}

std::string ProgressMeter::render(size_t inputs_done, size_t bytes_done, size_t total_bytes, double seconds,
                                  int columns, bool final_line) {
  const double rate = seconds > 0.0 ? static_cast<double>(inputs_done) / seconds : 0.0;
  const std::string done = count(static_cast<double>(inputs_done)) + (inputs_done == 1 ? " line" : " lines");
  const std::string speed = count(rate) + " lines/s";
  if (final_line) return fit({done + " in " + duration(seconds) + ", " + speed, done + " " + speed}, columns);
  if (total_bytes == 0) {
    return fit({done + "  " + speed + "  " + duration(seconds) + " elapsed", done + "  " + speed + "  " + duration(seconds),
                done + "  " + speed},
               columns);
  }

  const double fraction = std::min(1.0, static_cast<double>(bytes_done) / static_cast<double>(total_bytes));
  char percent[8];
  std::snprintf(percent, sizeof percent, "%3d%%", static_cast<int>(fraction * 100.0));
  const std::string eta = fraction > 0.0 ? "ETA " + duration(seconds * (1.0 - fraction) / fraction) : "ETA --:--";
  const std::string left = std::string(percent) + " ";
  const std::string right = "  " + done + "  " + speed + "  " + eta;
  const int bar_width = std::min(40, columns - static_cast<int>(left.size() + right.size()) - 2);
  if (bar_width < 10) return fit({left + right.substr(2), left + done + "  " + eta, left + eta}, columns);
  const int filled = static_cast<int>(fraction * bar_width);
  std::string bar = "[" + std::string(static_cast<size_t>(filled), '=');
  if (filled < bar_width) bar += '>' + std::string(static_cast<size_t>(bar_width - filled - 1), ' ');
  return left + bar + "]" + right;
}

bool progress_wanted(ProgressMode mode, bool interactive_input, bool records_to_terminal) {
  switch (mode) {
    case ProgressMode::Always: return true;
    case ProgressMode::Never: return false;
    case ProgressMode::Auto: return !interactive_input && !records_to_terminal && ::isatty(STDERR_FILENO);
  }
  return false;
}

size_t total_input_bytes(const std::vector<InputSource>& sources) {
  size_t total = 0;
  for (const auto& source : sources) {
    struct stat st {};
    switch (source.kind) {
      case InputSource::Kind::Argument:
        total += source.name.size() + 1;
        break;
      case InputSource::Kind::Stdin:
        if (::fstat(STDIN_FILENO, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
        // A redirected file may be read from where its descriptor stands, not from its start.
        total += static_cast<size_t>(st.st_size - std::max<off_t>(0, ::lseek(STDIN_FILENO, 0, SEEK_CUR)));
        break;
      case InputSource::Kind::File:
        if (::stat(source.name.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
        total += static_cast<size_t>(st.st_size);
        break;
    }
  }
  return total;
}

}  // namespace attn::app
