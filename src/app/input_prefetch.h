#pragma once
// Reads the inputs on a thread of its own, a bounded queue ahead of the batching thread. A blocking read (a pipe,
// a terminal, a coprocess waiting for its answer) then stalls only this thread, and the batching thread can tell
// "no further input is waiting" (classify what it has and write it out now) from "more is on its way" (fill the
// batch).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "inputs.h"

namespace attn::app {

class InputPrefetch {
 public:
  // Reads ahead at most max_inputs inputs or max_bytes of text (but always one input, however long).
  InputPrefetch(InputReader& reader, size_t max_inputs, size_t max_bytes);
  ~InputPrefetch();  // stops the reading thread (interrupting a blocked read) and joins it
  InputPrefetch(const InputPrefetch&) = delete;
  InputPrefetch& operator=(const InputPrefetch&) = delete;

  enum class Status { Input, Idle, End };
  // The next input (Input), or End once every source is exhausted, or Idle when nothing arrived within `patience`
  // (a negative patience waits as long as it takes). Rethrows what reading threw.
  Status next(InputText& out, std::chrono::milliseconds patience);

 private:
  void run();
  void stop();

  InputReader& reader_;
  const size_t max_inputs_;
  const size_t max_bytes_;
  std::mutex mutex_;
  std::condition_variable ready_;  // an input was queued, or reading ended
  std::condition_variable space_;  // the queue has room, or stop was asked
  std::deque<InputText> queue_;
  size_t queued_bytes_ = 0;
  bool ended_ = false;             // the reading thread has returned (after the last input, an error or a stop)
  std::atomic<bool> stop_{false};  // also read by a read the wake signal interrupts (ReadsCancellable)
  std::exception_ptr failure_;
  std::thread thread_;
};

}  // namespace attn::app
