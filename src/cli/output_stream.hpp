#pragma once

#include "console.hpp"

#include <nbexec/run_events.hpp>

#include <cstddef>
#include <fstream>
#include <memory>
#include <string>

namespace nbexec::cli {

struct OutputRouting {
  bool log_output = false;          // --log-output: cell text to the terminal
  bool notebook_on_stdout = false;  // OUTPUT is "-": standard output carries only the notebook
  std::string stdout_file;          // --stdout-file: text of stdout streams ("-": stdout)
  std::string stderr_file;          // --stderr-file: text of stderr streams ("-": stdout)
};

// Cell outputs as they arrive, written where papermill writes them
// (PapermillNotebookClient.log_output_message):
//   --log-output   stdout stream text and the text/plain of rich outputs to standard output,
//                  stderr stream text and an error's "ename: evalue" to standard error; all of
//                  it to standard error when OUTPUT is "-". Each cell is framed on standard
//                  error by papermill's lines "Executing Cell N---..." and "Ending Cell N---...".
//   --stdout-file  the text of stdout streams, as it arrives
//   --stderr-file  the text of stderr streams, as it arrives
// Every write is flushed.
class CellOutputStream {
 public:
  // Creates (truncates) the files; a file that cannot be opened is a UsageError (exit 2).
  CellOutputStream(Console& console, OutputRouting routing);
  ~CellOutputStream();

  bool active() const;
  void on_output(std::size_t cell_index, const nlohmann::json& output);
  // cell_start and cell_end frame each cell with --log-output.
  void on_event(const RunEvent& event);

 private:
  void to_file(std::ofstream* file, bool file_is_stdout, const std::string& text);

  Console& console_;
  OutputRouting routing_;
  std::unique_ptr<std::ofstream> stdout_file_;
  std::unique_ptr<std::ofstream> stderr_file_;
};

// papermill's separators: "Executing Cell 1" then dashes to 40 characters after "Cell ", and
// "Ending Cell 1" then dashes to 43; N is the cell's 1-based position in the notebook.
std::string cell_start_separator(std::size_t cell_index);
std::string cell_end_separator(std::size_t cell_index);

}  // namespace nbexec::cli
