#pragma once
// SIGINT, SIGTERM and SIGHUP, and the standard descriptors a process may be started without.
//
// An interruption ends the process at once with exit code 130, whatever it is doing (loading a model, blocked
// on a stalled pipe, computing), after removing the temporary files registered below: so the previous file
// of every output is left as it was, and nothing waits for the work to notice a flag.
#include <signal.h>

#include <string>

namespace attn::app {

// Installs the handlers; SIGPIPE and SIGXFSZ are ignored so that a closed reader or a file size limit is an
// error to report and clean up after, not a silent kill that leaves temporary files.
void install_signal_handlers();

// A temporary file that an interruption removes while this lives. Create it with InterruptionsBlocked held
// around the file's creation, and end it with them held around the file's rename or removal, so that no
// interruption falls between the two.
class RemovedOnInterruption {
 public:
  explicit RemovedOnInterruption(const std::string& path);  // throws IoError when every slot is taken
  ~RemovedOnInterruption();
  RemovedOnInterruption(const RemovedOnInterruption&) = delete;
  RemovedOnInterruption& operator=(const RemovedOnInterruption&) = delete;

 private:
  int slot_;
};

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread while it lives; one that arrives meanwhile is acted on
// when it ends. Also for starting threads that leave them to the main thread.
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
