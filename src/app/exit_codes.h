#pragma once
// Exit codes of the attn command, documented in `attn --help` and the README.

namespace attn::app {

constexpr int kExitOk = 0;            // every input was classified
constexpr int kExitFailure = 1;       // an unexpected internal error, or out of memory or threads
constexpr int kExitUsage = 2;         // bad command line
constexpr int kExitModel = 3;         // the model could not be found, read or checked
constexpr int kExitIo = 4;            // an input could not be read or an output could not be written
constexpr int kExitInputErrors = 5;   // finished, but one or more inputs got an error record
constexpr int kExitBelowThreshold = 6;  // finished, but for one or more inputs no label reached --threshold
constexpr int kExitInterrupted = 130;  // stopped by SIGINT, SIGTERM or SIGHUP
constexpr int kExitBrokenPipe = 141;   // stdout was closed by its reader; exits without a message

constexpr const char* kExitCodesHelp =
    "Exit codes:\n"
    "  0    every input was classified\n"
    "  1    unexpected internal error, or out of memory or threads (ulimit -v, ulimit -u)\n"
    "  2    bad command line\n"
    "  3    the model could not be found, read or checked\n"
    "  4    an input could not be read or an output could not be written\n"
    "  5    finished, but one or more inputs got an error record\n"
    "  6    finished, but for one or more inputs no label reached --threshold (4 and 5 take precedence)\n"
    "  130  interrupted (SIGINT, SIGTERM or SIGHUP); output files are left as they were\n"
    "  141  stdout was closed by its reader (as in `attn classify ... | head -1`)";

}  // namespace attn::app
