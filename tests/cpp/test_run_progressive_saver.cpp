// The output notebook's pacing: bytes written over a run stay within a small multiple of the
// final size however many cells there are, "-" gets the notebook once, and autosaves come
// only when something changed.
#include "run/progressive_saver.hpp"

#include <nbexec/notebook/write.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

using namespace nbexec;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct TempFile {
  fs::path dir = fs::temp_directory_path() / ("nbexec-saver-" + std::to_string(::getpid()));
  fs::path path = dir / "out.ipynb";
  TempFile() { fs::create_directories(dir); }
  ~TempFile() { fs::remove_all(dir); }
};

notebook::Notebook notebook_with_cells(std::size_t cells) {
  json list = json::array();
  for (std::size_t i = 0; i < cells; ++i) {
    list.push_back({{"cell_type", "code"},
                    {"execution_count", nullptr},
                    {"id", "c" + std::to_string(i)},
                    {"metadata", json::object()},
                    {"outputs", json::array()},
                    {"source", "print('x' * 20000)"}});
  }
  return notebook::Notebook(
      json{{"cells", list}, {"metadata", json::object()}, {"nbformat", 4}, {"nbformat_minor", 5}});
}

// Plays a run: start save, one output per cell, after_cell, final save. Returns the final size.
std::size_t play(run_detail::ProgressiveSaver& saver, notebook::Notebook& nb,
                 std::size_t output_bytes) {
  saver.save(nb, "start");
  for (std::size_t i = 0; i < nb.cells().size(); ++i) {
    json output = {{"output_type", "stream"},
                   {"name", "stdout"},
                   {"text", std::string(output_bytes, 'x') + "\n"}};
    nb.cells()[i]["outputs"].push_back(output);
    saver.note_growth(run_detail::estimated_json_size(output));
    saver.after_cell(nb);
  }
  saver.save(nb, "end");
  return notebook::serialize_notebook(nb).size();
}

}  // namespace

TEST_CASE("bytes written stay within 3x the final size", "[run][saver]") {
  const auto [cells, output_bytes] =
      GENERATE(table<std::size_t, std::size_t>({{1000, 20000}, {300, 100}, {10, 1000000}}));
  TempFile file;
  auto nb = notebook_with_cells(cells);
  std::vector<std::string> reasons;
  run_detail::ProgressiveSaver saver(file.path, {},
                                     [&](std::size_t, const char* why) { reasons.push_back(why); });
  const std::size_t final_size = play(saver, nb, output_bytes);
  INFO(cells << " cells of " << output_bytes << " bytes: " << saver.saves() << " saves, "
             << saver.bytes_written() << " bytes for a final " << final_size);
  CHECK(saver.bytes_written() <= 3 * final_size);
  CHECK(fs::file_size(file.path) == final_size);
  // Papermill writes about three times per cell; saves here grow with log(size), not cells.
  CHECK(saver.saves() < 40);
  CHECK(reasons.front() == std::string("start"));
  CHECK(reasons.back() == std::string("end"));
  if (output_bytes >= 20000) {
    // Large outputs make the notebook double often enough for saves after cells.
    CHECK(std::count(reasons.begin(), reasons.end(), std::string("cell")) >= 3);
  }
}

TEST_CASE("no saves after cells when request_save_on_cell_execute is off", "[run][saver]") {
  TempFile file;
  auto nb = notebook_with_cells(50);
  run_detail::SavePolicy policy;
  policy.after_cells = false;
  run_detail::ProgressiveSaver saver(file.path, policy);
  play(saver, nb, 20000);
  CHECK(saver.saves() == 2);  // start and end
}

TEST_CASE("autosave during a long cell only when something changed", "[run][saver]") {
  TempFile file;
  auto nb = notebook_with_cells(1);
  run_detail::SavePolicy policy;
  policy.after_cells = false;
  policy.autosave_every = std::chrono::milliseconds(1);
  run_detail::ProgressiveSaver saver(file.path, policy);
  saver.save(nb, "start");
  usleep(5000);
  saver.tick(nb);
  CHECK(saver.saves() == 1);  // nothing new yet
  saver.note_growth(100);
  usleep(5000);
  saver.tick(nb);
  CHECK(saver.saves() == 2);
  saver.tick(nb);
  CHECK(saver.saves() == 2);  // clean again
}

TEST_CASE("standard output gets the notebook once, at the end; no path writes nothing",
          "[run][saver]") {
  auto nb = notebook_with_cells(3);
  SECTION("-") {
    run_detail::ProgressiveSaver saver("-", {});
    saver.save(nb, "start");
    saver.note_growth(1 << 20);
    saver.after_cell(nb);
    CHECK(saver.saves() == 0);
  }
  SECTION("empty path") {
    run_detail::ProgressiveSaver saver("", {});
    saver.save(nb, "end");
    CHECK(saver.saves() == 0);
    CHECK(saver.bytes_written() == 0);
  }
}
