#include <nbexec/kernelspecs.hpp>

#include <nbexec/kernel/kernelspec.hpp>

namespace nbexec {

KernelSpecListing list_kernelspecs(const std::optional<std::filesystem::path>& env_prefix) {
  kernel::SearchOptions search;
  search.env_prefix = env_prefix;
  KernelSpecListing out;
  out.search_path = kernel::kernelspec_search_path(search);
  for (auto& spec : kernel::list_kernelspecs(out.search_path)) {
    out.kernels.push_back({std::move(spec.name), std::move(spec.display_name),
                           std::move(spec.language), std::move(spec.resource_dir),
                           std::move(spec.argv)});
  }
  return out;
}

}  // namespace nbexec
