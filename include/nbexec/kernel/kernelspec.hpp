#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nbexec::kernel {

// A kernel.json and the folder it lives in.
struct KernelSpec {
  std::string name;  // the folder name, lower-cased as jupyter_client does
  std::vector<std::string> argv;
  std::string display_name;
  std::string language;
  std::map<std::string, std::string> env;
  std::string interrupt_mode = "signal";  // or "message"
  nlohmann::json metadata = nlohmann::json::object();
  std::filesystem::path resource_dir;
};

// Where to look besides the environment variables.
struct SearchOptions {
  // Prefix of the Python environment nbexec runs in (sys.prefix from the bindings, or the
  // folder above the `nbexec` executable's bin/). Its share/jupyter/kernels is searched.
  std::optional<std::filesystem::path> env_prefix;
};

// The kernels folders in jupyter_client's order: $JUPYTER_PATH entries, the user data dir
// ($JUPYTER_DATA_DIR, else $XDG_DATA_HOME/jupyter, else ~/.local/share/jupyter) and the
// Python user base ($PYTHONUSERBASE or ~/.local)/share/jupyter, the env prefix, the prefix of
// the `python3` found on PATH (a virtualenv's bin, or the resolved interpreter binary;
// wrapper scripts such as pyenv shims are skipped), /usr/local/share/jupyter,
// /usr/share/jupyter; each with "/kernels" appended, then $IPYTHONDIR/kernels (default
// ~/.ipython/kernels); duplicates removed. The environment folders come before the user ones
// when $JUPYTER_PREFER_ENV_PATH is true, or when it is unset and the env prefix is a
// virtualenv or non-base conda env owned by the user (jupyter_core's rule).
std::vector<std::filesystem::path> kernelspec_search_path(const SearchOptions& options = {});

// Builds a spec from kernel.json content. Throws KernelError naming the file on bad content.
KernelSpec parse_kernelspec(const nlohmann::json& document, std::string_view name,
                            std::filesystem::path resource_dir);

// Every valid kernelspec on the path; the first folder holding a name wins.
std::vector<KernelSpec> list_kernelspecs(const std::vector<std::filesystem::path>& search_path);

// The spec named `name` (case-insensitive; "python" falls back to "python3" when no spec is
// called "python"). Throws KernelNotFoundError naming the folders searched and the kernels
// that were found, KernelError naming the kernel.json when the spec found is broken.
KernelSpec find_kernelspec(std::string_view name,
                           const std::vector<std::filesystem::path>& search_path);

// The argv to launch: {connection_file}, {resource_dir} and {prefix} substituted (other
// {names} left as written, as jupyter_client does), and argv[0] "python", "python3" or
// "python3.N" resolved to <prefix>/bin/... when the spec lives in
// <prefix>/share/jupyter/kernels/<name> and that interpreter exists; otherwise the kernel's
// PATH decides.
std::vector<std::string> launch_argv(const KernelSpec& spec,
                                     const std::filesystem::path& connection_file);

}  // namespace nbexec::kernel
