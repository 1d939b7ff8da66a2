#pragma once

#include <nbexec/error.hpp>
#include <nbexec/notebook/notebook.hpp>
#include <nbexec/protocol/kernel_connection.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nbexec::execute {

// How a cell's turn ended, as reported to on_cell_end.
enum class CellOutcome {
  completed,    // ran to its reply, or was not run (markdown, raw, empty, skip-execution)
  failed,       // the kernel replied with an error that stops the run (or SystemExit)
  errored,      // raised, but errors were allowed (allow_errors, raises-exception)
  timed_out,    // passed its deadline (interrupted and left behind with interrupt_on_timeout)
  deadline,     // the whole run's deadline passed while it ran (the run ends)
  interrupted,  // the run was cancelled while it ran
  kernel_died,  // the kernel went away while it ran
};

const char* to_string(CellOutcome outcome);

// Rewrites stream text with the stream's earlier text in view: the run layer's secret masking,
// for which a value printed in two messages is still one value. The executor passes each
// stream message's text through feed() in order and shows what it returns, so a filter may
// hold back a stream's tail. The executor takes back what is held (release()) before any
// other output of the cell, a message of another stream or a clear_output, and when the
// cell ends however it ended; outputs keep their order and no text is lost.
class StreamFilter {
 public:
  virtual ~StreamFilter() = default;
  // The text to show now for the next message of stream `stream_name` (the held text of
  // that stream first, then `text`).
  virtual std::string feed(const std::string& stream_name, const std::string& text) = 0;
  // The text held back, forgotten; empty when nothing is held.
  virtual std::string release() = 0;
};

struct ExecuteOptions {
  // Keep going after a cell raises (nbclient's allow_errors).
  bool allow_errors = false;
  // Deadline for one cell, from execute_request to its reply and idle status.
  std::optional<std::chrono::milliseconds> cell_timeout;
  // Deadline for the whole run: every wait ends at the earlier of it and the cell's own. When
  // it passes, TimeoutError is thrown whatever interrupt_on_timeout says. `run_limit` is the
  // length it was set from, for the message.
  std::optional<std::chrono::steady_clock::time_point> run_deadline;
  std::chrono::milliseconds run_limit{0};
  // On a passed deadline, interrupt the kernel and go on with the next cell (nbclient's
  // interrupt_on_timeout) instead of throwing TimeoutError. Needs `interrupt`.
  bool interrupt_on_timeout = false;
  // How long an interrupted cell may take to answer before the run gives up on it.
  std::chrono::milliseconds interrupt_grace{10000};
  // Interrupts the kernel (the executor never signals processes itself).
  std::function<void()> interrupt;
  // Set from another thread or a signal handler to stop between messages.
  const std::atomic<bool>* cancel = nullptr;

  // Called for every cell, in order, whether it runs or not (papermill's cell_start and
  // cell_complete also see markdown cells). `runs` says whether it is sent to the kernel.
  std::function<void(std::size_t cell_index, const nlohmann::json& cell, bool runs)> on_cell_start;
  std::function<void(std::size_t cell_index, const nlohmann::json& output)> on_output;
  std::function<void(std::size_t cell_index, const nlohmann::json& cell, CellOutcome outcome)>
      on_cell_end;
  // Called about every 200 ms while a cell runs (autosave during long cells).
  std::function<void(std::size_t cell_index)> on_tick;

  // --- Secrets (the run layer's hooks; the executor knows nothing of secrets) ---
  // The code sent to the kernel for a cell, given its source; unset sends the source. Lets
  // the injected cell hold placeholders while the kernel gets the values.
  std::function<std::string(std::size_t cell_index, const std::string& source)> kernel_source;
  // Rewrites the content of every reply and IOPub message of a cell before anything reads it
  // (outputs, on_output, the failure's evalue and traceback): secret masking.
  std::function<void(nlohmann::json& content)> filter_content;
  // Stream messages' text goes through this instead (their other fields still through
  // filter_content), so what was split across messages is filtered whole.
  std::shared_ptr<StreamFilter> stream_filter;
};

struct ExecuteResult {
  // The first cell error that stopped the run (papermill's PapermillExecutionError fields).
  std::optional<ExecutionError> failure;
  std::size_t cells_executed = 0;
  bool cancelled = false;
  // A cell raised SystemExit with code 0 or none: the run stopped there without a failure,
  // as papermill treats it.
  bool stopped_by_system_exit = false;
  // Cells that passed their deadline and were interrupted (interrupt_on_timeout).
  std::vector<std::size_t> timed_out_cells;
  // Index of the cell that was running when the run stopped early (timeout, death, cancel).
  std::optional<std::size_t> interrupted_cell;
};

// Whether execute_notebook sends `cell` to the kernel: a code cell whose source is not blank
// and that is not tagged skip-execution (nbclient's rules).
bool cell_runs(const nlohmann::json& cell);

// True for papermill's harmless SystemExit: ename SystemExit with evalue "" or "0".
bool is_clean_system_exit(const std::string& ename, const std::string& evalue);

// Runs the notebook's code cells in order on `kernel`, building outputs as nbclient does.
// A cell is done when both its execute_reply (shell) and its status idle (iopub) have
// arrived. Stops at the first error unless allow_errors or the cell is tagged
// raises-exception; a clean SystemExit stops the run without a failure. Empty cells and
// cells tagged skip-execution are not run.
// Throws TimeoutError when a cell passes its deadline (unless interrupt_on_timeout) or the run
// passes run_deadline (on_cell_end then sees CellOutcome::deadline), and
// KernelDiedError when the kernel goes away; on_cell_end has then been called for the cell
// and the notebook holds every output received so far.
ExecuteResult execute_notebook(notebook::Notebook& nb, protocol::KernelConnection& kernel,
                               const ExecuteOptions& options);

}  // namespace nbexec::execute
