#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace nbexec {

// What the caller can change to get past an error. The library's messages name no front's
// options (Python users read them too); each front turns the remedy into its own hint: a CLI
// flag, a Python keyword.
enum class Remedy {
  none,
  kernel_name,            // name a kernel: the notebook names none, or an unknown one
  start_timeout,          // allow the kernel longer to start
  execution_timeout,      // allow cells longer, or interrupt and go on
  relax_parameter_check,  // let parameters the notebook does not declare or expect through
  working_directory,      // give a working directory that exists
  insecure_secrets,       // secrets over a wire in clear: use ipc, or accept the risk
  transport_encryption,   // relax the transport encryption policy, or declare curve support
};

// Root of every error nbexec throws. The message is meant for a user: it names the file,
// the place (line or JSON path) and what was expected.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, Remedy remedy = Remedy::none)
      : std::runtime_error(message), remedy_(remedy) {}

  Remedy remedy() const noexcept { return remedy_; }

 private:
  Remedy remedy_;
};

// A bad command line or option combination (exit code 2).
class UsageError : public Error {
 public:
  using Error::Error;
};

// A file that is not a readable, well-formed nbformat 4 notebook (exit code 2).
class NotebookError : public Error {
 public:
  using Error::Error;
};

// Parameters that cannot be read, merged or rendered (exit code 2).
class ParameterError : public Error {
 public:
  using Error::Error;
};

// A message that breaks the Jupyter wire protocol (bad frames, bad signature, bad JSON).
class ProtocolError : public Error {
 public:
  using Error::Error;
};

// A kernel that cannot be found, started or talked to.
class KernelError : public Error {
 public:
  using Error::Error;
};

// No kernelspec of the requested name (exit code 2).
class KernelNotFoundError : public KernelError {
 public:
  using KernelError::KernelError;
};

// The kernel process exited or stopped answering while it was needed (exit code 4).
class KernelDiedError : public KernelError {
 public:
  using KernelError::KernelError;
};

// A start or cell deadline passed (exit code 3).
class TimeoutError : public Error {
 public:
  using Error::Error;
};

// A cell raised; fields mirror papermill's PapermillExecutionError (exit code 1). It is also
// the value a run reports for the cell error that stopped it (RunResult::failure), so the fields
// exist once whether the error is thrown or returned.
class ExecutionError : public Error {
 public:
  ExecutionError(std::size_t cell_index, std::optional<int> exec_count, std::string source,
                 std::string ename, std::string evalue, std::vector<std::string> traceback);

  std::size_t cell_index;
  std::optional<int> exec_count;
  std::string source;
  std::string ename;
  std::string evalue;
  std::vector<std::string> traceback;
};

// Exit codes of the CLI, one per failure class (see docs/cli.md).
namespace exit_code {
inline constexpr int success = 0;
inline constexpr int cell_error = 1;
inline constexpr int bad_input = 2;
inline constexpr int timeout = 3;
inline constexpr int kernel_died = 4;
inline constexpr int internal = 70;
}  // namespace exit_code

// The exit code the CLI uses for an error of this class.
int exit_code_for(const Error& error) noexcept;

// Removes ANSI escape sequences (tracebacks from IPython are coloured).
std::string strip_ansi(std::string_view text);

}  // namespace nbexec
