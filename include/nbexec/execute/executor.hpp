#pragma once

#include <nbexec/notebook/notebook.hpp>
#include <nbexec/protocol/kernel_connection.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace nbexec::execute {

// The first cell error that stopped the run (papermill's PapermillExecutionError fields).
struct CellFailure {
  std::size_t cell_index = 0;
  std::optional<int> execution_count;
  std::string source;
  std::string ename;
  std::string evalue;
  std::vector<std::string> traceback;
};

struct ExecuteOptions {
  // Keep going after a cell raises (nbclient's allow_errors).
  bool allow_errors = false;
  // Deadline for one cell, from execute_request to its reply and idle status.
  std::optional<std::chrono::milliseconds> cell_timeout;
  // Set from another thread or a signal handler to stop between messages.
  const std::atomic<bool>* cancel = nullptr;

  std::function<void(std::size_t cell_index, const nlohmann::json& cell)> on_cell_start;
  std::function<void(std::size_t cell_index, const nlohmann::json& output)> on_output;
  std::function<void(std::size_t cell_index, const nlohmann::json& cell)> on_cell_end;
};

struct ExecuteResult {
  std::optional<CellFailure> failure;
  std::size_t cells_executed = 0;
  bool cancelled = false;
  // Index of the cell that was running when the run stopped early (timeout, death, cancel).
  std::optional<std::size_t> interrupted_cell;
};

// Runs the notebook's code cells in order on `kernel`, building outputs as nbclient does.
// A cell is done when both its execute_reply (shell) and its status idle (iopub) have
// arrived. Stops at the first error unless allow_errors or the cell is tagged
// raises-exception. Empty cells and cells tagged skip-execution are not run.
// Throws TimeoutError when a cell passes its deadline and KernelDiedError when the kernel
// goes away; the notebook then holds every output received so far.
ExecuteResult execute_notebook(notebook::Notebook& nb, protocol::KernelConnection& kernel,
                               const ExecuteOptions& options);

}  // namespace nbexec::execute
