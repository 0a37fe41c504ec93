#include "signals.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "exit_codes.h"

namespace attn::app {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;
std::atomic<int> g_cleanups_pending{0};
static_assert(std::atomic<int>::is_always_lock_free, "read from a signal handler");

constexpr int kInterruptions[] = {SIGINT, SIGTERM, SIGHUP};

extern "C" void on_interrupt(int) {
  g_interrupted = 1;
  if (g_cleanups_pending.load() == 0) {
    // Nothing to remove: stop now rather than after a model load, a blocked write or the rest of the work.
    constexpr char kMessage[] = "attn: interrupted\n";
    [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    ::_exit(kExitInterrupted);
  }
}

}  // namespace

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocked read or write returns EINTR and the caller notices
  for (int signal : kInterruptions) sigaction(signal, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  // Past a file size limit (ulimit -f) a write must fail with EFBIG, reported and cleaned up like a full disk;
  // SIGXFSZ's default action would kill the process and leave the temporary file behind.
  std::signal(SIGXFSZ, SIG_IGN);
}

bool interrupted() { return g_interrupted != 0; }

void throw_if_interrupted() {
  if (interrupted()) throw Interrupted();
}

CleanupPending::CleanupPending() { ++g_cleanups_pending; }
CleanupPending::~CleanupPending() { --g_cleanups_pending; }

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
