#include "params/translator.hpp"

#include <nbexec/error.hpp>

#include <array>

namespace nbexec::params::detail {
namespace {

struct Registration {
  std::string_view name;
  const Translator& (*translator)();  // nullptr: papermill has it, nbexec does not yet
};

// papermill_translators in registration order; a new language is one translator file plus
// its entries here.
constexpr std::array<Registration, 12> kRegistry = {{
    {"python", &python_translator},
    {"R", nullptr},
    {"scala", nullptr},
    {"julia", nullptr},
    {"matlab", nullptr},
    {".net-csharp", nullptr},
    {".net-fsharp", nullptr},
    {".net-powershell", nullptr},
    {"pysparkkernel", &python_translator},
    {"sparkkernel", nullptr},
    {"sparkrkernel", nullptr},
    {"bash", nullptr},
}};

const Registration* lookup(std::string_view name) {
  for (const auto& registration : kRegistry) {
    if (registration.name == name) return &registration;
  }
  return nullptr;
}

}  // namespace

const Translator& find_translator(std::string_view kernel_name, std::string_view language) {
  const Registration* found = lookup(kernel_name);
  if (found == nullptr) found = lookup(language);
  if (found == nullptr) {
    throw ParameterError("no parameter translator for kernel '" + std::string(kernel_name) +
                         "' or language '" + std::string(language) +
                         "' (nbexec renders parameters for Python kernels)");
  }
  if (found->translator == nullptr) {
    throw ParameterError("parameters for '" + std::string(found->name) + "' (kernel '" +
                         std::string(kernel_name) + "', language '" + std::string(language) +
                         "') are not supported by nbexec yet; only Python kernels are");
  }
  return found->translator();
}

}  // namespace nbexec::params::detail
