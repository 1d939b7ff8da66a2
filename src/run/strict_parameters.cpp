// The strictness switch shared by every front: explicit choice, then the environment, then the
// surface's default.
#include <nbexec/error.hpp>
#include <nbexec/run.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>

namespace nbexec {

bool resolve_strict_parameters(std::optional<bool> choice, bool surface_default) {
  if (choice) return *choice;
  const char* raw = std::getenv(strict_parameters_variable);
  if (raw == nullptr) return surface_default;
  std::string value(raw);
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // Set but empty counts as unset, as a shell's `NBEXEC_STRICT_PARAMETERS= cmd` means.
  if (value.empty()) return surface_default;
  if (value == "1" || value == "true" || value == "yes" || value == "on") return true;
  if (value == "0" || value == "false" || value == "no" || value == "off") return false;
  throw UsageError(std::string(strict_parameters_variable) + "='" + raw +
                   "' is neither on (1, true, yes, on) nor off (0, false, no, off)");
}

}  // namespace nbexec
