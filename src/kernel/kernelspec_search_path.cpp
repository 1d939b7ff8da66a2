// kernelspec_search_path(): jupyter_core's jupyter_path("kernels") plus jupyter_client's
// ~/.ipython/kernels, computed without a Python interpreter. Where jupyter_core looks at
// sys.prefix we look at the caller's env prefix and at the Python found on PATH.
#include <nbexec/kernel/kernelspec.hpp>

#include "kernel/env_util.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <system_error>

namespace nbexec::kernel {

namespace fs = std::filesystem;

namespace {

const std::array<fs::path, 2> system_jupyter_path = {fs::path("/usr/local/share/jupyter"),
                                                     fs::path("/usr/share/jupyter")};

bool is_elf(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  char magic[4] = {};
  in.read(magic, sizeof magic);
  return in.gcount() == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' &&
         magic[3] == 'F';
}

// sys.prefix of the `python3` a shell would run. A venv's bin/python3 is a symlink to the
// base interpreter, so the venv is recognised by its pyvenv.cfg before resolving links.
// Wrapper scripts (pyenv shims and the like) are skipped: their target is unknown without
// running them.
std::optional<fs::path> python_on_path_prefix() {
  auto path_value = detail::get_env("PATH");
  if (!path_value) return std::nullopt;
  auto python = detail::find_on_path("python3", *path_value);
  if (!python) return std::nullopt;
  std::error_code ec;
  fs::path absolute = fs::absolute(*python, ec);
  if (ec) return std::nullopt;
  fs::path venv = absolute.parent_path().parent_path();
  if (fs::exists(venv / "pyvenv.cfg", ec)) return venv.lexically_normal();
  fs::path real = fs::canonical(absolute, ec);
  if (ec || !is_elf(real)) return std::nullopt;
  return real.parent_path().parent_path();
}

bool owned_by_me(const fs::path& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && info.st_uid == geteuid();
}

// jupyter_core's prefer_environment_over_user(): the explicit flag wins, else an env prefix
// that is a virtualenv or a non-base conda env the user owns.
bool prefer_environment(const std::optional<fs::path>& env_prefix) {
  if (auto flag = detail::env_flag("JUPYTER_PREFER_ENV_PATH")) return *flag;
  if (!env_prefix) return false;
  std::error_code ec;
  if (fs::exists(*env_prefix / "pyvenv.cfg", ec) && owned_by_me(*env_prefix)) return true;
  auto conda_prefix = detail::get_env("CONDA_PREFIX");
  auto conda_env = detail::get_env("CONDA_DEFAULT_ENV", false).value_or("base");
  return conda_prefix && env_prefix->string().starts_with(*conda_prefix) && conda_env != "base" &&
         owned_by_me(*env_prefix);
}

fs::path strip_trailing_separators(std::string text) {
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  return text;
}

}  // namespace

std::vector<fs::path> kernelspec_search_path(const SearchOptions& options) {
  std::vector<fs::path> roots;

  if (auto jupyter_path = detail::get_env("JUPYTER_PATH")) {
    std::string_view text = *jupyter_path;
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t end = text.find(':', start);
      if (end == std::string_view::npos) end = text.size();
      if (end > start) {
        roots.push_back(strip_trailing_separators(std::string(text.substr(start, end - start))));
      }
      start = end + 1;
    }
  }

  // site.getuserbase()/share/jupyter joins the data dir as a user-level location.
  std::vector<fs::path> user = {detail::jupyter_data_dir()};
  auto user_base_env = detail::get_env("PYTHONUSERBASE");
  fs::path user_base = user_base_env ? fs::path(*user_base_env) : detail::home_dir() / ".local";
  user.push_back(user_base / "share" / "jupyter");

  std::vector<fs::path> env;
  std::optional<fs::path> env_prefix = options.env_prefix;
  if (env_prefix) env.push_back(*env_prefix / "share" / "jupyter");
  if (auto python_prefix = python_on_path_prefix()) {
    env.push_back(*python_prefix / "share" / "jupyter");
  }
  std::erase_if(env, [](const fs::path& p) {
    return std::find(system_jupyter_path.begin(), system_jupyter_path.end(),
                     p.lexically_normal()) != system_jupyter_path.end();
  });

  if (prefer_environment(env_prefix)) {
    roots.insert(roots.end(), env.begin(), env.end());
    roots.insert(roots.end(), user.begin(), user.end());
  } else {
    roots.insert(roots.end(), user.begin(), user.end());
    roots.insert(roots.end(), env.begin(), env.end());
  }
  roots.insert(roots.end(), system_jupyter_path.begin(), system_jupyter_path.end());

  std::vector<fs::path> result;
  for (const auto& root : roots) {
    fs::path kernels = (root / "kernels").lexically_normal();
    if (std::find(result.begin(), result.end(), kernels) == result.end()) result.push_back(kernels);
  }
  // jupyter_client's KernelSpecManager still appends IPython's own kernels folder.
  auto ipython_env = detail::get_env("IPYTHONDIR");
  fs::path ipython_dir = ipython_env ? fs::path(*ipython_env) : detail::home_dir() / ".ipython";
  fs::path ipython_kernels = (ipython_dir / "kernels").lexically_normal();
  if (std::find(result.begin(), result.end(), ipython_kernels) == result.end()) {
    result.push_back(ipython_kernels);
  }
  return result;
}

}  // namespace nbexec::kernel
