#include <nbexec/error.hpp>
#include <nbexec/params/sources/sources.hpp>
#include <nbexec/run.hpp>
#include <nbexec/secrets.hpp>

#include <string>
#include <string_view>

namespace nbexec {

bool wire_is_private(std::string_view transport, bool encrypted) {
  return encrypted || transport == "ipc";
}

void check_secrets(const RunOptions& options) {
  for (const auto& [name, value] : options.secrets) {
    // A parameter name, checked here so that a sweep refuses it before any run starts too.
    // Not quoted: a value given where the name belongs must not be echoed.
    try {
      params::check_parameter_name(name, "secret");
    } catch (const ParameterError&) {
      throw ParameterError(
          "a secret's name is not a parameter name (letters, digits and underscores, not "
          "starting with a digit); is a value given where the name belongs?");
    }
    if (value.empty()) {
      throw UsageError("secret '" + name +
                       "' is empty: an empty value cannot be masked and is refused");
    }
    if (value.size() < secret_min_length) {
      throw UsageError("secret '" + name + "' is shorter than " +
                       std::to_string(secret_min_length) +
                       " bytes: masking it would blank unrelated text in every output, so it "
                       "is refused");
    }
    if (std::string_view(secret_mask).find(value) != std::string_view::npos) {
      throw UsageError("secret '" + name + "' cannot be told from the mask " + secret_mask +
                       " that replaces it, so it is refused");
    }
    if (options.parameters.is_object() && options.parameters.contains(name)) {
      throw UsageError("'" + name + "' is given both as a parameter and as a secret");
    }
  }
  // A run that asked for tcp in clear can be refused now, before anything is written.
  if (options.encryption == "off") check_secret_wire(options, options.transport, false);
}

void check_secret_wire(const RunOptions& options, std::string_view transport, bool encrypted) {
  // prepare_only sends nothing to a kernel.
  if (options.secrets.empty() || options.prepare_only || options.allow_insecure_secrets ||
      wire_is_private(transport, encrypted)) {
    return;
  }
  throw UsageError("secrets are refused over the '" + std::string(transport) +
                       "' transport without encryption: the value would cross the loopback in "
                       "clear, readable by any process or pod sidecar that can capture it",
                   Remedy::insecure_secrets);
}

}  // namespace nbexec
