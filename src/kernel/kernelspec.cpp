#include <nbexec/kernel/kernelspec.hpp>

#include <nbexec/error.hpp>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <regex>
#include <set>
#include <system_error>

namespace nbexec::kernel {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string spec_file_name(const fs::path& resource_dir) {
  return (resource_dir / "kernel.json").string();
}

[[noreturn]] void bad_spec(const fs::path& resource_dir, const std::string& what) {
  throw KernelError("invalid kernelspec " + spec_file_name(resource_dir) + ": " + what);
}

std::string optional_string(const json& document, const char* key, const fs::path& resource_dir) {
  auto it = document.find(key);
  if (it == document.end() || it->is_null()) return {};
  if (!it->is_string()) bad_spec(resource_dir, std::string("'") + key + "' must be a string");
  return it->get<std::string>();
}

bool is_kernel_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) && fs::is_regular_file(dir / "kernel.json", ec);
}

// Kernel folders of one search-path entry as (lower-cased name, folder), sorted so that
// the outcome does not depend on directory order.
std::vector<std::pair<std::string, fs::path>> kernels_in(const fs::path& dir) {
  std::vector<std::pair<std::string, fs::path>> found;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return found;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (is_kernel_dir(it->path())) {
      found.emplace_back(lower(it->path().filename().string()), it->path());
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

KernelSpec load_spec(const fs::path& resource_dir, std::string_view name) {
  fs::path file = resource_dir / "kernel.json";
  std::ifstream in(file, std::ios::binary);
  if (!in) throw KernelError("cannot read kernelspec " + file.string());
  json document;
  try {
    document = json::parse(in);
  } catch (const json::parse_error& e) {
    throw KernelError("invalid kernelspec " + file.string() + ": not valid JSON (" + e.what() +
                      ")");
  }
  return parse_kernelspec(document, name, resource_dir);
}

std::optional<fs::path> find_dir(const std::string& name,
                                 const std::vector<fs::path>& search_path) {
  for (const auto& dir : search_path) {
    for (auto& [found_name, path] : kernels_in(dir)) {
      if (found_name == name) return path;
    }
  }
  return std::nullopt;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

// <prefix> when `resource_dir` is <prefix>/share/jupyter/kernels/<name>.
std::optional<fs::path> spec_prefix(const fs::path& resource_dir) {
  fs::path dir = resource_dir.lexically_normal();
  if (dir.has_filename() == false) dir = dir.parent_path();
  fs::path kernels = dir.parent_path();
  fs::path jupyter = kernels.parent_path();
  fs::path share = jupyter.parent_path();
  if (kernels.filename() != "kernels" || jupyter.filename() != "jupyter" ||
      share.filename() != "share") {
    return std::nullopt;
  }
  return share.parent_path();
}

bool is_executable(const fs::path& file) {
  std::error_code ec;
  return fs::is_regular_file(file, ec) && access(file.c_str(), X_OK) == 0;
}

}  // namespace

KernelSpec parse_kernelspec(const json& document, std::string_view name, fs::path resource_dir) {
  if (!document.is_object()) bad_spec(resource_dir, "expected a JSON object");
  KernelSpec spec;
  spec.name = lower(name);
  spec.resource_dir = std::move(resource_dir);

  auto argv = document.find("argv");
  if (argv == document.end() || !argv->is_array() || argv->empty()) {
    bad_spec(spec.resource_dir, "'argv' must be a non-empty list of strings");
  }
  for (const auto& arg : *argv) {
    if (!arg.is_string()) bad_spec(spec.resource_dir, "'argv' must be a non-empty list of strings");
    spec.argv.push_back(arg.get<std::string>());
  }

  spec.display_name = optional_string(document, "display_name", spec.resource_dir);
  spec.language = optional_string(document, "language", spec.resource_dir);

  if (auto env = document.find("env"); env != document.end() && !env->is_null()) {
    if (!env->is_object()) bad_spec(spec.resource_dir, "'env' must be an object of strings");
    for (auto& [key, value] : env->items()) {
      if (!value.is_string()) {
        bad_spec(spec.resource_dir, "'env." + key + "' must be a string");
      }
      spec.env[key] = value.get<std::string>();
    }
  }

  std::string mode = lower(optional_string(document, "interrupt_mode", spec.resource_dir));
  if (!mode.empty()) {
    if (mode != "signal" && mode != "message") {
      bad_spec(spec.resource_dir, "'interrupt_mode' must be \"signal\" or \"message\"");
    }
    spec.interrupt_mode = mode;
  }

  if (auto metadata = document.find("metadata");
      metadata != document.end() && !metadata->is_null()) {
    if (!metadata->is_object()) bad_spec(spec.resource_dir, "'metadata' must be an object");
    spec.metadata = *metadata;
  }
  return spec;
}

std::vector<KernelSpec> list_kernelspecs(const std::vector<fs::path>& search_path) {
  std::set<std::string> seen;
  std::vector<KernelSpec> specs;
  for (const auto& dir : search_path) {
    for (auto& [name, path] : kernels_in(dir)) {
      if (!seen.insert(name).second) continue;
      try {
        specs.push_back(load_spec(path, name));
      } catch (const KernelError&) {
        // jupyter_client skips (and logs) a broken spec when listing; find_kernelspec reports it.
      }
    }
  }
  std::sort(specs.begin(), specs.end(),
            [](const KernelSpec& a, const KernelSpec& b) { return a.name < b.name; });
  return specs;
}

KernelSpec find_kernelspec(std::string_view name, const std::vector<fs::path>& search_path) {
  std::string wanted = lower(name);
  auto dir = find_dir(wanted, search_path);
  // nbclient and many notebooks ask for "python"; ipykernel installs "python3".
  if (!dir && wanted == "python") {
    wanted = "python3";
    dir = find_dir(wanted, search_path);
  }
  if (dir) return load_spec(*dir, wanted);

  std::set<std::string> found;
  std::vector<std::string> searched;
  for (const auto& folder : search_path) {
    searched.push_back(folder.string());
    for (auto& entry : kernels_in(folder)) found.insert(entry.first);
  }
  std::vector<std::string> found_names(found.begin(), found.end());
  std::string message =
      "No such kernel named '" + std::string(name) +
      "'. Searched: " + (searched.empty() ? std::string("(no folders)") : join(searched)) +
      ". Kernels found: " + (found.empty() ? std::string("(none)") : join(found_names)) + ".";
  if (wanted == "python3") {
    message += " Install one with: python3 -m ipykernel install --user";
  }
  throw KernelNotFoundError(message);
}

std::vector<std::string> launch_argv(const KernelSpec& spec, const fs::path& connection_file) {
  std::vector<std::string> argv = spec.argv;
  auto prefix = spec_prefix(spec.resource_dir);

  // jupyter_client swaps a bare "python" for sys.executable; without one, the interpreter
  // of the environment that installed the spec is the best match.
  static const std::regex python_name(R"(python(3(\.[0-9]+)?)?)");
  if (!argv.empty() && prefix && std::regex_match(argv[0], python_name)) {
    for (const char* candidate : {argv[0].c_str(), "python3", "python"}) {
      fs::path interpreter = *prefix / "bin" / candidate;
      if (is_executable(interpreter)) {
        argv[0] = interpreter.string();
        break;
      }
    }
  }

  std::error_code ec;
  fs::path real_connection = fs::weakly_canonical(fs::absolute(connection_file, ec), ec);
  if (ec) real_connection = connection_file;
  std::map<std::string, std::string> names = {
      {"connection_file", real_connection.string()},
      {"resource_dir", spec.resource_dir.string()},
  };
  if (prefix) names["prefix"] = prefix->string();

  // As format_kernel_cmd: {name} replaced when known, left alone otherwise.
  static const std::regex placeholder(R"(\{([A-Za-z0-9_]+)\})");
  for (auto& arg : argv) {
    std::string out;
    auto begin = std::sregex_iterator(arg.begin(), arg.end(), placeholder);
    std::size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
      const auto& match = *it;
      out.append(arg, last, static_cast<std::size_t>(match.position(0)) - last);
      auto known = names.find(match[1].str());
      out += known != names.end() ? known->second : match[0].str();
      last = static_cast<std::size_t>(match.position(0) + match.length(0));
    }
    out.append(arg, last, std::string::npos);
    arg = std::move(out);
  }
  return argv;
}

}  // namespace nbexec::kernel
