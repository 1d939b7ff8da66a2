// Runs a fuzz target over every file in the folders (or files) given, the way libFuzzer runs
// one input, so the normal build and its ctest replay the seed corpus and every kept crash
// without clang. An exception escaping the target, or an invariant broken (abort), fails the
// run; the file being run is named first, so the failure points at it.
//
// Usage: replay [--allow-empty] PATH...   (--allow-empty: no input at all is not an error, for
// a regressions folder that has kept nothing yet)

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

std::string current;  // the input being run, for the abort handler

void on_abort(int) {
  const char prefix[] = "replay: crashed on ";
  (void)!::write(2, prefix, sizeof prefix - 1);
  (void)!::write(2, current.c_str(), current.size());
  (void)!::write(2, "\n", 1);
  std::signal(SIGABRT, SIG_DFL);
  std::raise(SIGABRT);
}

std::vector<fs::path> inputs(const std::vector<std::string>& args) {
  std::vector<fs::path> files;
  for (const auto& arg : args) {
    if (fs::is_directory(arg)) {
      for (const auto& entry : fs::recursive_directory_iterator(arg))
        if (entry.is_regular_file()) files.push_back(entry.path());
    } else if (fs::is_regular_file(arg)) {
      files.emplace_back(arg);
    } else if (fs::exists(arg)) {
      std::fprintf(stderr, "replay: %s is neither a file nor a folder\n", arg.c_str());
      std::exit(2);
    }
    // A folder that does not exist yet (no regressions kept) is simply empty.
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGABRT, on_abort);
  std::vector<std::string> args(argv + 1, argv + argc);
  const bool allow_empty = !args.empty() && args.front() == "--allow-empty";
  if (allow_empty) args.erase(args.begin());
  const auto files = inputs(args);
  int failures = 0;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      std::fprintf(stderr, "replay: cannot read %s\n", file.c_str());
      return 2;
    }
    current = file.string();
    try {
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    } catch (const std::exception& error) {
      std::fprintf(stderr, "replay: %s: uncaught %s\n", file.c_str(), error.what());
      ++failures;
    } catch (...) {
      std::fprintf(stderr, "replay: %s: uncaught non-standard exception\n", file.c_str());
      ++failures;
    }
  }
  std::printf("replay: %zu inputs, %d failed\n", files.size(), failures);
  if (files.empty() && !allow_empty) {
    std::fprintf(stderr, "replay: no inputs found\n");
    return 2;
  }
  return failures == 0 ? 0 : 1;
}
