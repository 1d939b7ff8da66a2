#pragma once

#include <nbexec/execute/executor.hpp>
#include <nbexec/run.hpp>
#include <nbexec/run_events.hpp>

#include "run/secret_mask.hpp"

#include <chrono>
#include <cstddef>
#include <string>

namespace nbexec::run_detail {

// Turns what a run does into RunEvents (run_events.hpp) and log lines, so run.cpp says what
// happened and this file says how it is reported.
class RunReporter {
 public:
  explicit RunReporter(const RunOptions& options);

  void log(LogLevel level, const std::string& message) const;

  void run_start(const std::filesystem::path& input, const std::filesystem::path& output,
                 const std::string& kernel, const std::string& language,
                 const notebook::Notebook& nb);
  void kernel_ready(const std::string& kernel, int pid, const nlohmann::json& kernel_info) const;
  void cell_start(std::size_t index, const nlohmann::json& cell);
  void cell_output(std::size_t index, const nlohmann::json& output) const;
  void cell_end(std::size_t index, const nlohmann::json& cell, execute::CellOutcome outcome,
                double duration) const;
  void save(const std::filesystem::path& path, std::size_t bytes, const char* reason) const;
  // status: completed, failed, timeout, kernel_died, interrupted or error.
  void run_end(const std::string& status, int exit_code, const std::filesystem::path& output,
               std::size_t cells_executed, std::size_t saves, std::size_t bytes_written,
               const std::string& error) const;

  std::size_t code_cells() const { return code_cells_; }

  // The run's secrets as masked in every log line and event; the runner applies it to what
  // the kernel sends too.
  const SecretMask& mask() const { return mask_; }

 private:
  void emit(const char* kind, const RunEvent& fields) const;

  const RunOptions& options_;
  SecretMask mask_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::size_t code_cells_ = 0;  // cells that will be sent to the kernel
  std::size_t cells_started_ = 0;
};

}  // namespace nbexec::run_detail
