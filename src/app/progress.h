#pragma once
// A one-line progress meter on stderr for long runs: inputs done, rate, and, when the input's size is known,
// a bar with the percentage and the time left. Redrawn in place at most ten times a second.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "inputs.h"

namespace attn::app {

enum class ProgressMode { Auto, Always, Never };

class ProgressMeter {
 public:
  // total_bytes: the size of the whole input, or 0 when it cannot be known (a pipe); reader.bytes_read() tells
  // how far the reading got. With `delay`, nothing is drawn before half a second has passed, so quick runs
  // stay silent.
  ProgressMeter(int fd, const InputReader& reader, size_t total_bytes, bool delay);
  ~ProgressMeter();  // ends the line if finish() was not called (an error or an interruption)
  ProgressMeter(const ProgressMeter&) = delete;
  ProgressMeter& operator=(const ProgressMeter&) = delete;

  // Matches ProgressCallback (batch_pipeline.h): context is the ProgressMeter.
  static void callback(size_t inputs_done, void* context);
  void update(size_t inputs_done);
  void finish();  // draws the final state (if anything was drawn) and ends the line

  // The meter's line, at most `columns` characters, without "\r".
  static std::string render(size_t inputs_done, size_t bytes_done, size_t total_bytes, double seconds, int columns,
                            bool final_line);

 private:
  void draw(bool final_line);

  int fd_;
  const InputReader& reader_;
  size_t total_bytes_;
  bool delay_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  size_t inputs_done_ = 0;
  bool drawn_ = false;
  bool finished_ = false;
};

// Whether `attn classify` should show the meter: Always; Never; Auto when stderr is a terminal, the records do
// not go to that terminal too (the meter would be cut into them) and no input is typed at a terminal (then the
// answers themselves show the progress).
bool progress_wanted(ProgressMode mode, bool interactive_input, bool records_to_terminal);

// The sum of the sizes of the sources, or 0 if any of them is a pipe or cannot be measured.
size_t total_input_bytes(const std::vector<InputSource>& sources);

}  // namespace attn::app
