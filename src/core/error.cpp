#include <nbexec/error.hpp>

namespace nbexec {

namespace {
std::string execution_error_message(std::size_t cell_index, const std::optional<int>& exec_count,
                                    const std::string& ename, const std::string& evalue) {
  std::string where = exec_count ? "In [" + std::to_string(*exec_count) + "]"
                                 : "cell " + std::to_string(cell_index);
  return "An error occurred while executing " + where + ": " + ename + ": " + evalue;
}
}  // namespace

ExecutionError::ExecutionError(std::size_t cell_index_, std::optional<int> exec_count_,
                               std::string source_, std::string ename_, std::string evalue_,
                               std::vector<std::string> traceback_)
    : Error(execution_error_message(cell_index_, exec_count_, ename_, evalue_)),
      cell_index(cell_index_),
      exec_count(exec_count_),
      source(std::move(source_)),
      ename(std::move(ename_)),
      evalue(std::move(evalue_)),
      traceback(std::move(traceback_)) {}

int exit_code_for(const Error& error) noexcept {
  if (dynamic_cast<const ExecutionError*>(&error)) return exit_code::cell_error;
  if (dynamic_cast<const TimeoutError*>(&error)) return exit_code::timeout;
  if (dynamic_cast<const KernelDiedError*>(&error)) return exit_code::kernel_died;
  if (dynamic_cast<const KernelNotFoundError*>(&error)) return exit_code::bad_input;
  if (dynamic_cast<const UsageError*>(&error) || dynamic_cast<const NotebookError*>(&error) ||
      dynamic_cast<const ParameterError*>(&error))
    return exit_code::bad_input;
  if (dynamic_cast<const KernelError*>(&error)) return exit_code::kernel_died;
  return exit_code::internal;
}

std::string strip_ansi(std::string_view text) {
  // CSI sequences (ESC [ params final-byte) are what IPython emits; other ESC pairs are dropped
  // with their next character.
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\x1b') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && !(text[i] >= '@' && text[i] <= '~')) ++i;
    } else {
      ++i;
    }
  }
  return out;
}

}  // namespace nbexec
