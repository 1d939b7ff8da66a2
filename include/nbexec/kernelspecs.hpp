#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

// The facade's job of listing the kernels a run can start, in jupyter_client's search order.
namespace nbexec {

struct KernelSpecInfo {
  std::string name;  // what a run names with kernel_name
  std::string display_name;
  std::string language;
  std::filesystem::path resource_dir;  // the folder holding kernel.json
  std::vector<std::string> argv;       // as written in kernel.json
};

struct KernelSpecListing {
  std::vector<KernelSpecInfo> kernels;             // the first folder holding a name wins
  std::vector<std::filesystem::path> search_path;  // the kernels folders searched, in order
};

// `env_prefix` is the prefix of the Python environment the caller runs in (sys.prefix, or the
// folder above the executable's bin/): its share/jupyter/kernels is searched too.
KernelSpecListing list_kernelspecs(const std::optional<std::filesystem::path>& env_prefix = {});

}  // namespace nbexec
