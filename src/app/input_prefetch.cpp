#include "input_prefetch.h"

#include <pthread.h>

#include <csignal>

#include "file_io.h"

namespace attn::app {
namespace {

// How often a wait looks at the interruption flag: SIGINT goes to the main thread, whose wait does not end on it.
constexpr std::chrono::milliseconds kInterruptCheck{100};

// True when SIGINT has a handler (install_signal_handlers): only then may it be sent to wake a blocked read.
bool sigint_is_handled() {
  struct sigaction current {};
  return ::sigaction(SIGINT, nullptr, &current) == 0 && current.sa_handler != SIG_DFL && current.sa_handler != SIG_IGN;
}

}  // namespace

InputPrefetch::InputPrefetch(InputReader& reader, size_t max_inputs, size_t max_bytes)
    : reader_(reader), max_inputs_(max_inputs), max_bytes_(max_bytes), thread_([this] { run(); }) {}

InputPrefetch::~InputPrefetch() { stop(); }

void InputPrefetch::run() {
  try {
    InputText input;
    while (reader_.next(input)) {
      const size_t bytes = input.text.size();
      std::unique_lock<std::mutex> lock(mutex_);
      space_.wait(lock, [&] {
        return stop_ || queue_.empty() || (queue_.size() < max_inputs_ && queued_bytes_ + bytes <= max_bytes_);
      });
      if (stop_) break;
      queue_.push_back(std::move(input));
      queued_bytes_ += bytes;
      lock.unlock();
      ready_.notify_one();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    failure_ = std::current_exception();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ended_ = true;
  }
  ready_.notify_all();
}

InputPrefetch::Status InputPrefetch::next(InputText& out, std::chrono::milliseconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  std::unique_lock<std::mutex> lock(mutex_);
  while (queue_.empty() && !ended_) {
    if (interrupted()) throw Interrupted();
    const auto now = std::chrono::steady_clock::now();
    if (patience.count() >= 0 && now >= deadline) return Status::Idle;
    const auto until = patience.count() >= 0 ? std::min(deadline, now + kInterruptCheck) : now + kInterruptCheck;
    ready_.wait_until(lock, until);
  }
  if (queue_.empty()) {
    if (failure_) std::rethrow_exception(failure_);
    return Status::End;
  }
  out = std::move(queue_.front());
  queue_.pop_front();
  queued_bytes_ -= out.text.size();
  lock.unlock();
  space_.notify_one();
  return Status::Input;
}

void InputPrefetch::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  space_.notify_all();
  // A read blocked on a pipe or a terminal ends only with a signal (the reader's read has no SA_RESTART): after
  // an error or an interruption the reading thread is sent SIGINT until it returns.
  std::unique_lock<std::mutex> lock(mutex_);
  while (!ready_.wait_for(lock, std::chrono::milliseconds(20), [&] { return ended_; })) {
    if (!sigint_is_handled()) {
      thread_.detach();  // nothing can wake it; the process is about to exit
      return;
    }
    ::pthread_kill(thread_.native_handle(), SIGINT);
  }
  lock.unlock();
  thread_.join();
}

}  // namespace attn::app
