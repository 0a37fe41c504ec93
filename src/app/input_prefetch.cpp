#include "input_prefetch.h"

#include <pthread.h>

#include <csignal>
#include <mutex>
#include <string>
#include <system_error>

#include "attn/errors.h"
#include "file_io.h"
#include "signals.h"

namespace attn::app {
namespace {

// Sent to the reading thread to end a read blocked on a pipe or a terminal. SIGINT cannot serve: its handler
// ends the process (signals.h), and the reading thread holds it off like every thread but the main one. SIGURG
// is ignored by default, so one sent from outside changes nothing with the no-op handler in its place either.
constexpr int kWakeSignal = SIGURG;

extern "C" void on_wake(int) {}

// The handler is installed without SA_RESTART, so that the blocked read returns EINTR.
void install_wake_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_handler = on_wake;
    sigemptyset(&action.sa_mask);
    ::sigaction(kWakeSignal, &action, nullptr);
  });
}

}  // namespace

InputPrefetch::InputPrefetch(InputReader& reader, size_t max_inputs, size_t max_bytes)
    : reader_(reader), max_inputs_(max_inputs), max_bytes_(max_bytes) {
  install_wake_handler();
  // The thread inherits the mask: SIGINT, SIGTERM and SIGHUP are left to the main thread, which holds them off
  // while it commits an output (a reading thread taking one then would remove the file mid-rename).
  const InterruptionsBlocked blocked;
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error& e) {
    // A limit on processes or memory (ulimit -u, -v): stop the run cleanly, as for the worker threads.
    throw Error(std::string("cannot start the input thread (") + e.what() + ")");
  }
}

InputPrefetch::~InputPrefetch() { stop(); }

void InputPrefetch::run() {
  try {
    const ReadsCancellable cancellable(stop_);
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
  } catch (const ReadCancelled&) {
    // stop() asked for it: nobody waits for more input.
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
  std::unique_lock<std::mutex> lock(mutex_);
  // An interruption needs no looking for here: its handler ends the process (signals.h).
  const auto arrived = [&] { return !queue_.empty() || ended_; };
  if (patience.count() < 0) {
    ready_.wait(lock, arrived);
  } else if (!ready_.wait_for(lock, patience, arrived)) {
    return Status::Idle;
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
  // A read blocked on a pipe or a terminal ends only with a signal: after an error the reading thread is sent
  // the wake signal until it returns (a signal landing just before the read starts would be missed once).
  std::unique_lock<std::mutex> lock(mutex_);
  while (!ready_.wait_for(lock, std::chrono::milliseconds(20), [&] { return ended_; })) {
    ::pthread_kill(thread_.native_handle(), kWakeSignal);
  }
  lock.unlock();
  thread_.join();
}

}  // namespace attn::app
