#include "commands.hpp"

#include <nbexec/kernelspecs.hpp>

#include <iomanip>
#include <iostream>
#include <memory>

namespace nbexec::cli {

Action add_kernelspecs_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "kernelspecs", "List the Jupyter kernels nbexec can start: name, language and folder");
  auto show_path = std::make_shared<bool>(false);
  command->add_flag("--search-path", *show_path, "Also print the folders searched, in order");
  return [show_path]() {
    const KernelSpecListing listing = list_kernelspecs(executable_env_prefix());
    const auto& specs = listing.kernels;
    const auto& path = listing.search_path;
    std::cout << std::left << std::setw(20) << "NAME" << std::setw(14) << "LANGUAGE"
              << "PATH\n";
    for (const auto& spec : specs) {
      std::cout << std::setw(20) << spec.name << std::setw(14) << spec.language
                << spec.resource_dir.string() << "\n";
    }
    if (*show_path) {
      std::cout << "\nSearched, in order:\n";
      for (const auto& dir : path) std::cout << "  " << dir.string() << "\n";
    }
    return 0;
  };
}

}  // namespace nbexec::cli
