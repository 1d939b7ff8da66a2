#include "params/translate/languages.hpp"

#include <nbexec/error.hpp>

#include <mutex>
#include <utility>
#include <vector>

namespace nbexec::params {
namespace {

struct Registry {
  std::mutex mutex;
  // A vector, not a map: papermill's names are few and listing keeps registration order.
  std::vector<std::pair<std::string, std::shared_ptr<const Translator>>> entries;
};

// papermill_translators, registered in papermill's order.
Registry& registry() {
  static Registry* instance = [] {
    // Never destroyed: a translator registered from Python must not outlive the interpreter's
    // teardown in a static destructor.
    auto* r = new Registry;
    const auto python = detail::make_python_translator();
    const auto r_lang = detail::make_r_translator();
    const auto scala = detail::make_scala_translator();
    r->entries = {
        {"python", python},
        {"R", r_lang},
        {"scala", scala},
        {"julia", detail::make_julia_translator()},
        {"matlab", detail::make_matlab_translator()},
        {".net-csharp", detail::make_csharp_translator()},
        {".net-fsharp", detail::make_fsharp_translator()},
        {".net-powershell", detail::make_powershell_translator()},
        {"pysparkkernel", python},
        {"sparkkernel", scala},
        {"sparkrkernel", r_lang},
        {"bash", detail::make_bash_translator()},
    };
    return r;
  }();
  return *instance;
}

std::shared_ptr<const Translator> lookup(Registry& r, std::string_view name) {
  for (const auto& [registered, translator] : r.entries) {
    if (registered == name) return translator;
  }
  return nullptr;
}

}  // namespace

void register_translator(std::string name, std::shared_ptr<const Translator> translator) {
  if (!translator) throw ParameterError("cannot register a null translator for '" + name + "'");
  auto& r = registry();
  std::shared_ptr<const Translator> replaced;  // released after the lock, outside it
  {
    const std::lock_guard<std::mutex> lock(r.mutex);
    for (auto& [registered, existing] : r.entries) {
      if (registered == name) {
        replaced = std::exchange(existing, std::move(translator));
        return;
      }
    }
    r.entries.emplace_back(std::move(name), std::move(translator));
  }
}

std::shared_ptr<const Translator> find_translator(std::string_view kernel_name,
                                                  std::string_view language) {
  auto& r = registry();
  const std::lock_guard<std::mutex> lock(r.mutex);
  if (auto found = lookup(r, kernel_name)) return found;
  if (auto found = lookup(r, language)) return found;
  throw ParameterError("no parameter translator for kernel '" + std::string(kernel_name) +
                       "' or language '" + std::string(language) +
                       "' (register one with nbexec.register_translator)");
}

std::vector<std::string> translator_names() {
  auto& r = registry();
  const std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& entry : r.entries) names.push_back(entry.first);
  return names;
}

}  // namespace nbexec::params
