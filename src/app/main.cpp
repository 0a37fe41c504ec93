// attn: classify text with a small Transformer and show what it attended to.
// The one place that catches: every error becomes a message on stderr and a documented exit code.
#include <alloca.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <new>
#include <system_error>

#include "attn/errors.h"
#include "cli.h"
#include "exit_codes.h"
#include "file_io.h"
#include "printable.h"
#include "suggest.h"

namespace {

// OpenBLAS starts a thread per core as it loads, before main(); attn runs BLAS with one thread per worker and
// stops them again (begin_command). Under a limit on memory or processes (ulimit -v, -u) such a thread can
// fail, or spin on a failing allocation while start-up waits for it, deaf to SIGTERM. OpenBLAS reads
// OPENBLAS_NUM_THREADS only as it loads, and an environment changed before that is reset by the C library's own
// start-up, so under such a limit the executable's .preinit_array (run before any library's initialiser)
// starts attn again with the setting in its environment, built on the stack as the C library is not started
// yet. Without a limit the second start is not worth its milliseconds. Should it fail, attn runs as before.
constexpr char kOneBlasThread[] = "OPENBLAS_NUM_THREADS=1";
constexpr size_t kBlasSettingLength = sizeof "OPENBLAS_NUM_THREADS=" - 1;
constexpr size_t kMaxEnvironment = 65536;
constexpr rlim_t kFewProcesses = 4096;

bool under_limits() {
  struct rlimit limit {};
  for (const int resource : {RLIMIT_AS, RLIMIT_DATA}) {
    if (::getrlimit(resource, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) return true;
  }
  // The superuser is not held to RLIMIT_NPROC.
  return ::geteuid() != 0 && ::getrlimit(RLIMIT_NPROC, &limit) == 0 && limit.rlim_cur < kFewProcesses;
}

void one_blas_thread(int, char** argv, char** env) {
  if (!under_limits()) return;
  size_t count = 0;
  for (; env[count] != nullptr; ++count) {
    if (std::strcmp(env[count], kOneBlasThread) == 0 || count >= kMaxEnvironment) return;
  }
  char** fresh = static_cast<char**>(alloca((count + 2) * sizeof(char*)));
  size_t kept = 0;
  for (size_t i = 0; i < count; ++i) {
    if (std::strncmp(env[i], kOneBlasThread, kBlasSettingLength) != 0) fresh[kept++] = env[i];
  }
  fresh[kept++] = const_cast<char*>(kOneBlasThread);
  fresh[kept] = nullptr;
  ::execve("/proc/self/exe", argv, fresh);
}
__attribute__((section(".preinit_array"), used)) void (*const kPreinit)(int, char**, char**) = one_blas_thread;

}  // namespace

int main(int argc, char** argv) {
  using namespace attn::app;
  reserve_standard_descriptors();
  install_signal_handlers();  // before anything takes time: the model is not loaded yet, but a load may be long
  CLI::App app{"attn: classify text with a small Transformer and see what it attended to", "attn"};
  Context context;
  context.argv0 = argv[0];
  try {
    declare_cli(app, context);
    app.parse(argc, argv);  // runs the chosen subcommand's callback
    return context.exit_code;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // A mistyped subcommand or option: the nearest known one first, then what the parser says.
    const std::string guess = did_you_mean(app);
    std::fputs(guess.c_str(), stderr);
    if (guess.empty()) app.exit(e);
    return kExitUsage;
  } catch (const BrokenPipe&) {
    return kExitBrokenPipe;  // the reader has all it wanted (`attn ... | head -1`): nothing to report
  } catch (const attn::ModelError& e) {
    std::fprintf(stderr, "attn: model error: %s\n", printable(e.what(), true).c_str());
    return kExitModel;
  } catch (const attn::IoError& e) {
    std::fprintf(stderr, "attn: %s\n", printable(e.what(), true).c_str());
    return kExitIo;
  } catch (const attn::Error& e) {
    std::fprintf(stderr, "attn: %s\n", printable(e.what(), true).c_str());
    return kExitFailure;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "attn: out of memory (is there a limit, ulimit -v?)\n");
    return kExitFailure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "attn: internal error: %s\n", printable(e.what(), true).c_str());
    return kExitFailure;
  }
}
