#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

// Small helpers over the process environment, shared by kernelspec discovery and launch.
namespace nbexec::kernel::detail {

// The variable's value; nullopt when unset. An empty value counts as unset where
// jupyter_core uses `os.environ.get(...)` truthiness, so callers pass `empty_is_unset`.
std::optional<std::string> get_env(const char* name, bool empty_is_unset = true);

// jupyter_core's envset(): set to anything but no/n/false/off/0/0.0 (case-insensitive).
std::optional<bool> env_flag(const char* name);

// The user's home directory with symlinks resolved ($HOME, else the passwd entry).
std::filesystem::path home_dir();

// jupyter_core's jupyter_data_dir() on Linux: $JUPYTER_DATA_DIR, else
// $XDG_DATA_HOME/jupyter, else ~/.local/share/jupyter.
std::filesystem::path jupyter_data_dir();

// jupyter_core's jupyter_runtime_dir(): $JUPYTER_RUNTIME_DIR, else <data dir>/runtime.
// (jupyter_core stopped using $XDG_RUNTIME_DIR; we follow it so both find the same files.)
std::filesystem::path jupyter_runtime_dir();

// Python's string.Template(value).safe_substitute(): "$$" -> "$", "$name" and "${name}"
// replaced when `lookup` knows the name, anything else left exactly as written.
std::string substitute_template(
    std::string_view value,
    const std::function<std::optional<std::string>(std::string_view)>& lookup);

// The current environment as a map.
std::map<std::string, std::string> current_environment();

// First executable named `name` on `path_value` (a PATH string); nullopt if none.
std::optional<std::filesystem::path> find_on_path(std::string_view name,
                                                  std::string_view path_value);

}  // namespace nbexec::kernel::detail

namespace nbexec::kernel::detail {

// The kernel's environment as jupyter_client builds it: `base` (normally the current
// environment) updated with the spec's env, whose values go through
// substitute_template() against `base`; PYTHONEXECUTABLE dropped for Python kernels; and
// JPY_PARENT_PID so ipykernel exits if we die without shutting it down.
std::map<std::string, std::string> kernel_environment(
    const std::map<std::string, std::string>& spec_env, std::string_view language,
    std::map<std::string, std::string> base);

}  // namespace nbexec::kernel::detail
