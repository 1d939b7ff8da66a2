#pragma once

#include <nbexec/kernel/kernel_template.hpp>

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/process.hpp"

namespace nbexec::kernel::detail {

// Forks one kernel from `from`: `argv` is the kernel's full launch argv (launch_argv), of which
// the template runs what follows `-m ipykernel_launcher`, in `cwd` with exactly `env`.
// Throws KernelDiedError when the template is gone or does not answer.
std::unique_ptr<KernelProcess> fork_kernel(KernelTemplate& from,
                                           const std::vector<std::string>& argv,
                                           const std::optional<std::filesystem::path>& cwd,
                                           const std::map<std::string, std::string>& env,
                                           std::size_t stderr_tail_bytes);

}  // namespace nbexec::kernel::detail
