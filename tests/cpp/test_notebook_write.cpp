#include <nbexec/error.hpp>
#include <nbexec/notebook/read.hpp>
#include <nbexec/notebook/write.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

namespace fs = std::filesystem;
using nbexec::NotebookError;
using nbexec::notebook::json;
using nbexec::notebook::Notebook;
using nbexec::notebook::parse_notebook_text;
using nbexec::notebook::save_notebook;
using nbexec::notebook::serialize_notebook;
using nbexec::notebook::write_file_atomic;

namespace {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  return text;
}

// nbformat.v4.writes(nb) + "\n" for the notebook built in the test below, as printed by
// nbformat 5.11 (U+2028 written as @LS@ here to keep this source readable).
const std::string expected_text = replace_all(R"py({
 "cells": [
  {
   "cell_type": "code",
   "execution_count": 1,
   "id": "c1",
   "metadata": {
    "tags": [
     "parameters"
    ]
   },
   "outputs": [
    {
     "name": "stdout",
     "output_type": "stream",
     "text": [
      "a\n",
      "b\n"
     ]
    },
    {
     "data": {
      "application/javascript": [
       "f();\n",
       "g();"
      ],
      "application/json": {
       "k": [
        1,
        "a\nb"
       ]
      },
      "application/x+json": "s\nt",
      "image/png": "iVBOR\nw0K",
      "image/svg+xml": [
       "<svg>\n",
       "</svg>"
      ],
      "text/plain": [
       "'日本'"
      ]
     },
     "execution_count": 1,
     "metadata": {},
     "output_type": "execute_result"
    },
    {
     "ename": "E",
     "evalue": "v",
     "output_type": "error",
     "traceback": [
      "\u001b[0;31mE\u001b[0m: v"
     ]
    }
   ],
   "source": [
    "x = '日本'\r\n",
    "y = 2@LS@",
    "z"
   ]
  },
  {
   "attachments": {
    "a.png": {
     "image/png": "AAAA\nBBBB",
     "text/plain": [
      "alt\n",
      "text"
     ]
    }
   },
   "cell_type": "markdown",
   "id": "c2",
   "metadata": {},
   "source": []
  },
  {
   "cell_type": "raw",
   "id": "c3",
   "metadata": {
    "format": "text/html"
   },
   "source": [
    "<b>\"q\"</b>\\"
   ]
  }
 ],
 "metadata": {
  "big": 1e+16,
  "kernelspec": {
   "display_name": "Python 3",
   "language": "python",
   "name": "python3"
  },
  "nan": NaN,
  "ratio": 0.1,
  "tiny": 1e-05
 },
 "nbformat": 4,
 "nbformat_minor": 5
}
)py",
                                              "@LS@", "\u2028");

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

fs::path scratch_dir(const std::string& name) {
  auto dir =
      fs::temp_directory_path() / ("nbexec-write-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::size_t entries_in(const fs::path& dir) {
  return static_cast<std::size_t>(
      std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

unsigned mode_of(const fs::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("serialize_notebook writes nbformat's exact layout from the in-memory shape",
          "[notebook]") {
  // In memory every multi-line field is one string, as the executor keeps them.
  Notebook nb(json{
      {"nbformat", 4},
      {"nbformat_minor", 5},
      {"metadata",
       {{"kernelspec", {{"name", "python3"}, {"display_name", "Python 3"}, {"language", "python"}}},
        {"orig_nbformat", 3},
        {"signature", "sha256:abc"},
        {"ratio", 0.1},
        {"tiny", 1e-05},
        {"big", 1e16},
        {"nan", std::numeric_limits<double>::quiet_NaN()}}},
      {"cells",
       json::array(
           {{{"id", "c1"},
             {"cell_type", "code"},
             {"execution_count", 1},
             {"metadata", {{"trusted", true}, {"tags", {"parameters"}}}},
             {"source", "x = '\u65e5\u672c'\r\ny = 2\u2028z"},
             {"outputs",
              json::array({{{"output_type", "stream"}, {"name", "stdout"}, {"text", "a\nb\n"}},
                           {{"output_type", "execute_result"},
                            {"execution_count", 1},
                            {"metadata", json::object()},
                            {"data",
                             {{"text/plain", "'\u65e5\u672c'"},
                              {"application/json", {{"k", {1, "a\nb"}}}},
                              {"image/svg+xml", "<svg>\n</svg>"},
                              {"application/javascript", "f();\ng();"},
                              {"image/png", "iVBOR\nw0K"},
                              {"application/x+json", "s\nt"}}}},
                           {{"output_type", "error"},
                            {"ename", "E"},
                            {"evalue", "v"},
                            {"traceback", {"\x1b[0;31mE\x1b[0m: v"}}}})}},
            {{"id", "c2"},
             {"cell_type", "markdown"},
             {"metadata", json::object()},
             {"source", ""},
             {"attachments",
              {{"a.png", {{"image/png", "AAAA\nBBBB"}, {"text/plain", "alt\ntext"}}}}}},
            {{"id", "c3"},
             {"cell_type", "raw"},
             {"metadata", {{"format", "text/html"}}},
             {"source", "<b>\"q\"</b>\\"}}})}});
  CHECK(serialize_notebook(nb) == expected_text);
  // The transient fields are left out of the file but kept in memory.
  CHECK(nb.metadata().contains("signature"));
  // And the text round-trips byte for byte.
  CHECK(serialize_notebook(parse_notebook_text(expected_text)) == expected_text);
}

TEST_CASE("a default notebook is written like nbformat.v4.new_notebook()", "[notebook]") {
  // nbformat.writes(nbformat.v4.new_notebook()) + "\n"
  CHECK(serialize_notebook(Notebook()) ==
        "{\n \"cells\": [],\n \"metadata\": {},\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n");
}

TEST_CASE("write_file_atomic creates and replaces files", "[notebook]") {
  const auto dir = scratch_dir("replace");
  const auto target = dir / "out.ipynb";

  const mode_t old_umask = ::umask(027);
  write_file_atomic(target, "first");
  ::umask(old_umask);
  CHECK(read_file(target) == "first");
  CHECK(mode_of(target) == 0640);  // 0666 minus the umask, as for any new file

  ::chmod(target.c_str(), 0604);
  write_file_atomic(target, "second, longer text");
  CHECK(read_file(target) == "second, longer text");
  CHECK(mode_of(target) == 0604);  // the replaced file's permissions are kept
  CHECK(entries_in(dir) == 1);     // no temporary file left behind

  save_notebook(Notebook(), target);
  CHECK(read_file(target) == serialize_notebook(Notebook()));
  fs::remove_all(dir);
}

TEST_CASE("write_file_atomic writes through a symbolic link", "[notebook]") {
  const auto dir = scratch_dir("link");
  write_file_atomic(dir / "real.ipynb", "old");
  fs::create_symlink("real.ipynb", dir / "link.ipynb");
  write_file_atomic(dir / "link.ipynb", "new");
  CHECK(fs::is_symlink(dir / "link.ipynb"));
  CHECK(read_file(dir / "real.ipynb") == "new");
  CHECK(entries_in(dir) == 2);
  fs::remove_all(dir);
}

TEST_CASE("write_file_atomic refuses a directory and leaves it alone", "[notebook]") {
  const auto dir = scratch_dir("isdir");
  fs::create_directory(dir / "out.ipynb");
  CHECK_THROWS_WITH(write_file_atomic(dir / "out.ipynb", "x"),
                    "cannot write " + (dir / "out.ipynb").string() + ": it is a directory");
  CHECK(fs::is_directory(dir / "out.ipynb"));
  CHECK(entries_in(dir) == 1);
  CHECK_THROWS_WITH(
      write_file_atomic(dir / "no" / "such" / "dir.ipynb", "x"),
      Catch::Contains("cannot write " + (dir / "no" / "such" / "dir.ipynb").string()) &&
          Catch::Contains("No such file or directory"));
  fs::remove_all(dir);
}

TEST_CASE("write_file_atomic leaves the old file untouched when the folder is unwritable",
          "[notebook]") {
  const auto dir = scratch_dir("readonly");
  const auto target = dir / "out.ipynb";
  write_file_atomic(target, "precious");
  ::chmod(dir.c_str(), 0555);
  // root ignores directory permissions, so the write is attempted as an unprivileged user.
  const bool as_root = ::geteuid() == 0;
  if (as_root && ::seteuid(65534) != 0) {
    ::chmod(dir.c_str(), 0755);
    fs::remove_all(dir);
    WARN("running as root without the right to drop privileges: test skipped");
    return;
  }
  std::string error;
  try {
    write_file_atomic(target, "replacement");
  } catch (const NotebookError& e) {
    error = e.what();
  }
  if (as_root) REQUIRE(::seteuid(0) == 0);
  ::chmod(dir.c_str(), 0755);
  CHECK(error == "cannot write " + target.string() + ": cannot create a temporary file in " +
                     dir.string() + ": Permission denied");
  CHECK(read_file(target) == "precious");
  CHECK(entries_in(dir) == 1);
  fs::remove_all(dir);
}

TEST_CASE("write_file_atomic writes devices in place and reports their errors", "[notebook]") {
  // /dev/full takes no data: the error is the device's, named with the path.
  CHECK_THROWS_WITH(write_file_atomic("/dev/full", "x"),
                    "cannot write /dev/full: No space left on device");
  CHECK_NOTHROW(write_file_atomic("/dev/null", "discarded"));
}

TEST_CASE("write_file_atomic(\"-\") writes standard output", "[notebook]") {
  const auto dir = scratch_dir("stdout");
  const auto file = dir / "captured";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  std::fflush(stdout);
  const int saved = ::dup(STDOUT_FILENO);
  ::dup2(fd, STDOUT_FILENO);
  ::close(fd);
  write_file_atomic("-", "to stdout\n");
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  CHECK(read_file(file) == "to stdout\n");
  CHECK_FALSE(fs::exists("-"));
  fs::remove_all(dir);
}

namespace {

// A notebook of about `megabytes` MiB: one image output (one long base64 string) plus cells
// with line lists, escapes and non-ASCII text, so the streamed writer crosses its 1 MiB chunks
// inside long runs and between small pieces.
Notebook big_notebook(std::size_t megabytes) {
  std::string png;
  for (std::size_t i = 0; png.size() < (megabytes << 20); ++i)
    png += "iVBORw0KGgoAAAANSUhEUgAA"[i % 24];
  json cells = json::array();
  cells.push_back({{"cell_type", "code"},
                   {"execution_count", 1},
                   {"id", "img"},
                   {"metadata", json::object()},
                   {"source", "plt.show()"},
                   {"outputs",
                    {{{"output_type", "display_data"},
                      {"metadata", json::object()},
                      {"data", {{"image/png", png + "\n"}, {"text/plain", "<Figure>"}}}}}}});
  for (int i = 0; i < 2000; ++i)
    cells.push_back({{"cell_type", "markdown"},
                     {"id", "m" + std::to_string(i)},
                     {"metadata", json::object()},
                     {"source", "line \"" + std::to_string(i) + "\"\n\tcafé\\\u2028end"}});
  Notebook nb;
  nb.document()["cells"] = std::move(cells);
  return nb;
}

}  // namespace

TEST_CASE("save_notebook streams the same bytes as serialize_notebook", "[notebook]") {
  using nbexec::notebook::Durability;
  const auto dir = scratch_dir("stream");
  const auto target = dir / "out.ipynb";
  const Notebook nb = big_notebook(3);
  const std::string expected = serialize_notebook(nb);
  REQUIRE(expected.size() > (std::size_t{3} << 20));
  for (const auto durability : {Durability::durable, Durability::atomic}) {
    CHECK(save_notebook(nb, target, durability) == expected.size());
    CHECK(read_file(target) == expected);
    CHECK(entries_in(dir) == 1);
  }
  write_file_atomic(target, expected, Durability::atomic);
  CHECK(read_file(target) == expected);
  fs::remove_all(dir);
}

TEST_CASE("a save that fails midway leaves the old file and no temporary file", "[notebook]") {
  const auto dir = scratch_dir("midway");
  const auto target = dir / "out.ipynb";
  write_file_atomic(target, "precious");

  // A file size limit of 1 MiB makes the second chunk's write fail with EFBIG.
  const Notebook nb = big_notebook(2);
  struct rlimit saved {};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limited = saved;
  limited.rlim_cur = std::size_t{1} << 20;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
  std::string error;
  try {
    save_notebook(nb, target);
  } catch (const NotebookError& e) {
    error = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  CHECK(error == "cannot write " + target.string() + ": File too large");
  CHECK(read_file(target) == "precious");
  CHECK(entries_in(dir) == 1);

  // A document JSON cannot hold fails while it is being written: the same guarantees.
  Notebook binary = big_notebook(2);
  binary.document()["metadata"]["zz"] = json::binary({1, 2, 3});  // written last
  CHECK_THROWS_WITH(save_notebook(binary, target), Catch::Contains("binary data"));
  CHECK(read_file(target) == "precious");
  CHECK(entries_in(dir) == 1);
  // Devices get nothing at all (the text is made before the device is opened).
  CHECK_THROWS_WITH(save_notebook(binary, "/dev/full"), Catch::Contains("binary data"));
  CHECK_THROWS_WITH(save_notebook(Notebook(), "/dev/full"),
                    "cannot write /dev/full: No space left on device");
  fs::remove_all(dir);
}
