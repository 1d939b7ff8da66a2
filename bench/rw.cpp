// Benchmark case 4 (docs/benchmarks.md): read, validate and write a notebook with nbexec's
// notebook library, the C++ counterpart of
//   nb = nbformat.read(IN, 4); nbformat.validate(nb); nbformat.write(nb, OUT)
//
//   nbexec_bench_rw IN OUT
//
// The file is parsed once as Python's json module reads it (read_json_text), validated as read
// (validate_notebook, the check nbformat.validate makes), turned into a Notebook
// (parse_notebook: line lists joined, cell ids repaired, as nbformat.read) and written as
// nbformat.write lays it out (save_notebook's two steps, serialize_notebook and
// write_file_atomic: temporary file, fsync, rename). Prints one JSON line with the
// seconds of each step; exits 1 when the notebook is not valid.

#include <nbexec/notebook/read.hpp>
#include <nbexec/notebook/validate.hpp>
#include <nbexec/notebook/write.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>

namespace {

using Clock = std::chrono::steady_clock;

double lap(Clock::time_point& since) {
  auto now = Clock::now();
  double seconds = std::chrono::duration<double>(now - since).count();
  since = now;
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s IN OUT\n", argv[0]);
    return 2;
  }
  try {
    auto t = Clock::now();
    // Read as load_notebook reads a file: 64 KiB read() calls appended to one string.
    std::string text;
    {
      const int fd = ::open(argv[1], O_RDONLY | O_CLOEXEC);
      if (fd < 0) throw std::runtime_error(std::string("cannot read ") + argv[1]);
      char buffer[1 << 16];
      ssize_t n = 0;
      while ((n = ::read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, std::size_t(n));
      ::close(fd);
      if (n < 0) throw std::runtime_error(std::string("cannot read ") + argv[1]);
    }
    const double read_s = lap(t);
    auto document = nbexec::notebook::read_json_text(text, argv[1]);
    text.clear();
    text.shrink_to_fit();
    const double parse_s = lap(t);
    auto findings = nbexec::notebook::validate_notebook(document);
    const double validate_s = lap(t);
    if (!findings.empty()) {
      std::fprintf(stderr, "not valid: %s: %s\n", findings[0].path.c_str(),
                   findings[0].message.c_str());
      return 1;
    }
    auto nb = nbexec::notebook::parse_notebook(std::move(document), argv[1]);
    const double model_s = lap(t);
    // save_notebook, in its two steps so that each is timed.
    const std::string out = nbexec::notebook::serialize_notebook(nb);
    const double serialize_s = lap(t);
    nbexec::notebook::write_file_atomic(argv[2], out);
    const double write_s = lap(t);
    std::printf(
        "{\"read_s\": %.6f, \"parse_s\": %.6f, \"validate_s\": %.6f, \"model_s\": %.6f, "
        "\"serialize_s\": %.6f, \"write_s\": %.6f}\n",
        read_s, parse_s, validate_s, model_s, serialize_s, write_s);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nbexec_bench_rw: %s\n", e.what());
    return 1;
  }
}
