// Runs one command and writes "wall_seconds cpu_seconds max_rss_kib exit_code" to RESULT_FILE.
// Why not measure from Python directly: a child forked from a big process inherits that process's resident
// pages, and Linux carries the high-water mark across exec, so ru_maxrss would report the parent's size.
// Forked from this small program, the command's peak RSS is its own.
// Usage: bench_spawn RESULT_FILE COMMAND [ARGS...]   (stdin, stdout and stderr are the command's)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_spawn RESULT_FILE COMMAND [ARGS...]\n");
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("bench_spawn: fork");
    return 2;
  }
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    std::perror("bench_spawn: exec");
    _exit(127);
  }
  int status = 0;
  struct rusage usage {};
  if (wait4(pid, &status, 0, &usage) < 0) {
    std::perror("bench_spawn: wait4");
    return 2;
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                     static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  FILE* out = std::fopen(argv[1], "w");
  if (out == nullptr) {
    std::perror("bench_spawn: result file");
    return 2;
  }
  std::fprintf(out, "%.6f %.6f %ld %d\n", wall, cpu, usage.ru_maxrss, code);
  std::fclose(out);
  return 0;
}
