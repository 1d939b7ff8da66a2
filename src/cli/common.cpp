#include "cli/commands.hpp"

#include <nbexec/error.hpp>

#include <iostream>
#include <system_error>

namespace nbexec::cli {

std::optional<std::filesystem::path> executable_env_prefix() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  auto bin = exe.parent_path();
  if (bin.filename() != "bin") return std::nullopt;
  return bin.parent_path();
}

int report_error(const std::exception& error) {
  if (const auto* known = dynamic_cast<const Error*>(&error)) {
    std::cerr << "nbexec: error: " << known->what() << "\n";
    return exit_code_for(*known);
  }
  std::cerr << "nbexec: internal error: " << error.what() << "\n";
  return exit_code::internal;
}

}  // namespace nbexec::cli
