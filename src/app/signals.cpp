#include "signals.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>

#include "attn/errors.h"
#include "exit_codes.h"

namespace attn::app {
namespace {

constexpr int kInterruptions[] = {SIGINT, SIGTERM, SIGHUP};

// The temporary files to remove, readable from the handler without locks: a slot's path is written before
// it is marked used, and the handler reads only used slots. attn has at most three at a time (the output, the
// attention dump or HTML report, a model cache entry).
struct Slot {
  std::atomic<bool> used{false};
  char path[PATH_MAX];
};
constexpr int kSlots = 8;
Slot g_slots[kSlots];
static_assert(std::atomic<bool>::is_always_lock_free, "read from a signal handler");

extern "C" void on_interrupt(int) {
  for (Slot& slot : g_slots) {
    if (slot.used.load(std::memory_order_acquire)) ::unlink(slot.path);
  }
  constexpr char kMessage[] = "attn: interrupted\n";
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  ::_exit(kExitInterrupted);
}

}  // namespace

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  for (int signal : kInterruptions) sigaddset(&action.sa_mask, signal);  // one handler at a time
  for (int signal : kInterruptions) sigaction(signal, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  // Past a file size limit (ulimit -f) a write must fail with EFBIG, reported and cleaned up like a full disk;
  // SIGXFSZ's default action would kill the process and leave the temporary file behind.
  std::signal(SIGXFSZ, SIG_IGN);
}

RemovedOnInterruption::RemovedOnInterruption(const std::string& path) : slot_(-1) {
  for (int i = 0; i < kSlots && slot_ < 0; ++i) {
    if (!g_slots[i].used.load() && path.size() < sizeof g_slots[i].path) {
      std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
      g_slots[i].used.store(true, std::memory_order_release);
      slot_ = i;
    }
  }
  if (slot_ < 0) throw IoError(path + ": too many temporary files at once, or a path too long");
}

RemovedOnInterruption::~RemovedOnInterruption() { g_slots[slot_].used.store(false, std::memory_order_release); }

InterruptionsBlocked::InterruptionsBlocked() {
  sigset_t block;
  sigemptyset(&block);
  for (int signal : kInterruptions) sigaddset(&block, signal);
  pthread_sigmask(SIG_BLOCK, &block, &saved_);
}

InterruptionsBlocked::~InterruptionsBlocked() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

void reserve_standard_descriptors() {
  const int modes[] = {O_WRONLY, O_RDONLY, O_RDONLY};
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // open() returns the lowest free number, which is fd: the lower ones are open by now.
    const int opened = ::open("/dev/null", modes[fd]);
    if (opened != fd && opened >= 0) ::close(opened);
  }
}

}  // namespace attn::app
