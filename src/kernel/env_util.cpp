#include "kernel/env_util.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <system_error>

extern char** environ;

namespace nbexec::kernel::detail {

namespace fs = std::filesystem;

std::optional<std::string> get_env(const char* name, bool empty_is_unset) {
  const char* value = std::getenv(name);
  if (value == nullptr || (empty_is_unset && *value == '\0')) return std::nullopt;
  return std::string(value);
}

std::optional<bool> env_flag(const char* name) {
  auto value = get_env(name, false);
  if (!value) return std::nullopt;
  std::string lower = *value;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return !(lower == "no" || lower == "n" || lower == "false" || lower == "off" || lower == "0" ||
           lower == "0.0");
}

fs::path home_dir() {
  fs::path home;
  if (auto value = get_env("HOME")) {
    home = *value;
  } else if (const passwd* entry = getpwuid(getuid()); entry && entry->pw_dir) {
    home = entry->pw_dir;
  } else {
    home = "/";
  }
  std::error_code ec;
  fs::path resolved = fs::weakly_canonical(home, ec);
  return ec ? home : resolved;
}

fs::path jupyter_data_dir() {
  if (auto value = get_env("JUPYTER_DATA_DIR")) return *value;
  if (auto xdg = get_env("XDG_DATA_HOME")) return fs::path(*xdg) / "jupyter";
  return home_dir() / ".local" / "share" / "jupyter";
}

fs::path jupyter_runtime_dir() {
  if (auto value = get_env("JUPYTER_RUNTIME_DIR")) return *value;
  return jupyter_data_dir() / "runtime";
}

namespace {
bool ident_start(char c) {
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool ident_char(char c) {
  return ident_start(c) || (c >= '0' && c <= '9');
}
}  // namespace

std::string substitute_template(
    std::string_view value,
    const std::function<std::optional<std::string>(std::string_view)>& lookup) {
  std::string out;
  out.reserve(value.size());
  std::size_t i = 0;
  while (i < value.size()) {
    char c = value[i];
    if (c != '$' || i + 1 >= value.size()) {
      out += c;
      ++i;
      continue;
    }
    char next = value[i + 1];
    if (next == '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next == '{') {
      std::size_t close = value.find('}', i + 2);
      std::string_view name =
          close == std::string_view::npos ? std::string_view{} : value.substr(i + 2, close - i - 2);
      bool valid = !name.empty() && ident_start(name[0]) &&
                   std::all_of(name.begin(), name.end(), ident_char);
      if (valid) {
        if (auto replacement = lookup(name)) {
          out += *replacement;
          i = close + 1;
          continue;
        }
      }
      out += c;
      ++i;
      continue;
    }
    if (ident_start(next)) {
      std::size_t end = i + 1;
      while (end < value.size() && ident_char(value[end])) ++end;
      std::string_view name = value.substr(i + 1, end - i - 1);
      if (auto replacement = lookup(name)) {
        out += *replacement;
      } else {
        out.append(value.substr(i, end - i));
      }
      i = end;
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    env.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
  }
  return env;
}

std::optional<fs::path> find_on_path(std::string_view name, std::string_view path_value) {
  std::size_t start = 0;
  while (start <= path_value.size()) {
    std::size_t end = path_value.find(':', start);
    if (end == std::string_view::npos) end = path_value.size();
    // An empty PATH entry means the current directory, as execvp treats it.
    fs::path dir = end == start ? fs::path(".") : fs::path(path_value.substr(start, end - start));
    fs::path candidate = dir / std::string(name);
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec) && access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::map<std::string, std::string> kernel_environment(
    const std::map<std::string, std::string>& spec_env, std::string_view language,
    std::map<std::string, std::string> base) {
  std::map<std::string, std::string> substituted;
  auto lookup = [&base](std::string_view name) -> std::optional<std::string> {
    auto it = base.find(std::string(name));
    if (it == base.end()) return std::nullopt;
    return it->second;
  };
  for (const auto& [key, value] : spec_env) substituted[key] = substitute_template(value, lookup);
  for (auto& [key, value] : substituted) base[key] = std::move(value);
  std::string lower(language);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.starts_with("python")) base.erase("PYTHONEXECUTABLE");
  base["JPY_PARENT_PID"] = std::to_string(getpid());
  return base;
}

}  // namespace nbexec::kernel::detail
