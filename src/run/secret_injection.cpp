#include "run/secret_injection.hpp"

#include "run/prepare.hpp"

#include <nbexec/params/translate/render.hpp>
#include <nbexec/secrets.hpp>

namespace nbexec::run_detail {

namespace {

params::Parameters with_secrets(const RunOptions& options, bool values) {
  params::Parameters merged = params::Parameters::object();
  if (options.parameters.is_object()) {
    for (auto it = options.parameters.begin(); it != options.parameters.end(); ++it) {
      merged[it.key()] = it.value();
    }
  }
  for (const auto& [name, value] : options.secrets) {
    merged[name] = values ? value : std::string(secret_placeholder);
  }
  return merged;
}

}  // namespace

params::Parameters parameters_with_placeholders(const RunOptions& options) {
  return with_secrets(options, false);
}

std::string injected_comment(const RunOptions& options) {
  if (options.secrets.empty()) return "Parameters";
  std::string names;
  for (const auto& [name, value] : options.secrets) names += (names.empty() ? "" : ", ") + name;
  return "Parameters (secrets: " + names + "; nbexec passed their values to the kernel only)";
}

void prepare_secret_source(const RunOptions& options, const notebook::Notebook& nb,
                           std::size_t cell_index, const std::string& kernel_name,
                           const std::string& language, Prepared& prepared) {
  if (options.secrets.empty()) return;
  prepared.secret_cell_source = notebook::cell_source(nb.cells()[cell_index]);
  prepared.secret_kernel_source = params::render_parameters_source(
      with_secrets(options, true), kernel_name, language, injected_comment(options));
}

}  // namespace nbexec::run_detail
