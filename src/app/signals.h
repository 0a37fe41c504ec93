#pragma once
// SIGINT, SIGTERM and SIGHUP, and the standard descriptors a process may be started without.
//
// An interruption ends the process at once (exit 130) unless a temporary file exists: then it only sets a flag
// that the work checks between batches, in blocked reads and writes, and before a commit, so that the
// temporary file is removed on the way out and the previous file is left as it was.
#include <signal.h>

#include "attn/errors.h"

namespace attn::app {

// Thrown when an interruption is noticed; main() exits with kExitInterrupted.
struct Interrupted : Error {
  Interrupted() : Error("interrupted") {}
};

// Installs the handlers; SIGPIPE and SIGXFSZ are ignored so that a closed reader or a file size limit is an
// error to report and clean up after, not a silent kill that leaves temporary files.
void install_signal_handlers();
bool interrupted();
void throw_if_interrupted();  // throws Interrupted

// While one of these lives, an interruption waits for the work to notice it (a temporary file is to be removed).
class CleanupPending {
 public:
  CleanupPending();
  ~CleanupPending();
  CleanupPending(const CleanupPending&) = delete;
  CleanupPending& operator=(const CleanupPending&) = delete;
};

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread while it lives (for starting threads that must leave
// them to the main thread, whose blocked reads and writes they interrupt).
class InterruptionsBlocked {
 public:
  InterruptionsBlocked();
  ~InterruptionsBlocked();
  InterruptionsBlocked(const InterruptionsBlocked&) = delete;
  InterruptionsBlocked& operator=(const InterruptionsBlocked&) = delete;

 private:
  sigset_t saved_;
};

// Started with descriptor 0, 1 or 2 closed, the files attn opens would take their numbers, and records meant
// for stdout would land in an output file. Each closed one is given /dev/null, opened so that using it fails
// as the closed descriptor would have (stdin write-only, stdout and stderr read-only). Call first in main().
void reserve_standard_descriptors();

}  // namespace attn::app
