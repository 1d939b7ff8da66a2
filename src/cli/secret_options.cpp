#include "secret_options.hpp"

#include <nbexec/error.hpp>

#include <cstdlib>

namespace nbexec::cli {

namespace {

void add_secret(std::map<std::string, std::string>& secrets, const std::string& name,
                std::string value) {
  if (name.empty()) throw UsageError("a secret needs a name: --secret NAME=ENVVAR, -s NAME VALUE");
  if (!secrets.emplace(name, std::move(value)).second) {
    throw UsageError("secret '" + name + "' is given more than once");
  }
}

}  // namespace

void add_secret_options(CLI::App* command, SecretArgs& args) {
  command
      ->add_option("--secret", args.from_env,
                   "Secret parameter NAME whose value is read from environment variable "
                   "ENVVAR: the kernel gets it as a string; the notebook shows a placeholder "
                   "and every output, stream file, log line and event has it masked. Refused "
                   "over tcp in clear unless --allow-insecure-secrets (docs/security.md). "
                   "Repeatable")
      ->type_name("NAME=ENVVAR")
      // One value per --secret, so `--secret a=B IN OUT` leaves IN and OUT positional.
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  command
      ->add_option("-s,--secret-value", args.on_command,
                   "Secret parameter NAME VALUE given on the command line (interactive use: "
                   "the value is visible in the process list and shell history; prefer "
                   "--secret). Repeatable")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false)
      ->type_name("NAME VALUE");
  command->add_flag("--allow-insecure-secrets", args.allow_insecure,
                    "Send secrets to the kernel over tcp without encryption, where any process "
                    "or sidecar that can capture the loopback can read them");
}

std::map<std::string, std::string> read_secrets(const SecretArgs& args) {
  std::map<std::string, std::string> secrets;
  for (const std::string& item : args.from_env) {
    const auto equals = item.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == item.size()) {
      throw UsageError(
          "--secret takes NAME=ENVVAR (the value is read from environment variable "
          "ENVVAR), not '" +
          item + "'");
    }
    const std::string name = item.substr(0, equals);
    const std::string variable = item.substr(equals + 1);
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr) {
      throw UsageError("secret '" + name + "': environment variable " + variable + " is not set");
    }
    add_secret(secrets, name, value);
  }
  for (const auto& [name, value] : args.on_command) add_secret(secrets, name, value);
  return secrets;
}

}  // namespace nbexec::cli
