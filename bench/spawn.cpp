// Runs one program and records what it cost, for bench/run.py.
//
//   nbexec_bench_spawn RESULT_FILE PROGRAM [ARGS...]
//
// Writes {"wall_s", "user_s", "sys_s", "maxrss_kb", "exit_code"} as JSON to RESULT_FILE and
// exits with the program's exit code (128 + N when signal N ended it). wall_s runs from just
// before fork to the reaping wait4; the other fields are wait4's rusage of the program, which
// includes every descendant it reaped (a runner's kernel): maxrss_kb is the largest RSS in
// that process tree.
//
// Why a separate program: Linux's ru_maxrss of a child counts the memory of the process that
// forked it, as it was just before exec. Forked straight from the Python harness, every
// measurement would be at least the harness's own RSS; forked from this small program, the
// floor is a megabyte or two.

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace {

double now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s RESULT_FILE PROGRAM [ARGS...]\n", argv[0]);
    return 2;
  }
  const double start = now();
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("fork");
    return 2;
  }
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    std::fprintf(stderr, "cannot run %s: %s\n", argv[2], std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      std::perror("wait4");
      return 2;
    }
  }
  const double wall = now() - start;
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (FILE* out = std::fopen(argv[1], "w")) {
    std::fprintf(out,
                 "{\"wall_s\": %.6f, \"user_s\": %.6f, \"sys_s\": %.6f, \"maxrss_kb\": %ld, "
                 "\"exit_code\": %d}\n",
                 wall, seconds(usage.ru_utime), seconds(usage.ru_stime), usage.ru_maxrss, code);
    std::fclose(out);
  }
  return code;
}
