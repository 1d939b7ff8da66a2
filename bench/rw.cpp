// Benchmark case 4 (docs/benchmarks.md): read, validate and write a notebook with nbexec's
// notebook library, the C++ counterpart of
//   nb = nbformat.read(IN, 4); nbformat.validate(nb); nbformat.write(nb, OUT)
//
//   nbexec_bench_rw [--atomic] IN OUT
//
// The steps are those of `nbexec run` on its input and at its final save: the file is parsed
// as it is read, as Python's json module reads it (read_json_file, which load_notebook uses),
// validated as read (validate_notebook, the check nbformat.validate makes), turned into a
// Notebook (parse_notebook: line lists joined, cell ids repaired, as nbformat.read) and saved as
// nbformat.write lays it out (save_notebook: serialized straight into a temporary file, fsync,
// rename). --atomic saves without the fsync (Durability::atomic, as nbexec run's saves during a
// run, and as nbformat.write, which never syncs). Prints one JSON line with the seconds of
// each step; exits 1 when the notebook is not valid.

#include <nbexec/notebook/read.hpp>
#include <nbexec/notebook/validate.hpp>
#include <nbexec/notebook/write.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
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
  namespace nb = nbexec::notebook;
  auto durability = nb::Durability::durable;
  int first = 1;
  if (argc > 1 && std::strcmp(argv[1], "--atomic") == 0) {
    durability = nb::Durability::atomic;
    ++first;
  }
  if (argc - first != 2) {
    std::fprintf(stderr, "usage: %s [--atomic] IN OUT\n", argv[0]);
    return 2;
  }
  const char* in = argv[first];
  const char* out = argv[first + 1];
  try {
    auto t = Clock::now();
    auto document = nb::read_json_file(in);
    const double read_parse_s = lap(t);
    auto findings = nb::validate_notebook(document);
    const double validate_s = lap(t);
    if (!findings.empty()) {
      std::fprintf(stderr, "not valid: %s: %s\n", findings[0].path.c_str(),
                   findings[0].message.c_str());
      return 1;
    }
    auto notebook = nb::parse_notebook(std::move(document), in);
    const double model_s = lap(t);
    const std::size_t bytes = nb::save_notebook(notebook, out, durability);
    const double save_s = lap(t);
    std::printf(
        "{\"read_parse_s\": %.6f, \"validate_s\": %.6f, \"model_s\": %.6f, \"save_s\": %.6f, "
        "\"bytes\": %zu, \"fsync\": %s}\n",
        read_parse_s, validate_s, model_s, save_s, bytes,
        durability == nb::Durability::durable ? "true" : "false");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nbexec_bench_rw: %s\n", e.what());
    return 1;
  }
}
