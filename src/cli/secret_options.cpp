#include "secret_options.hpp"

#include <nbexec/error.hpp>

#include <algorithm>
#include <cctype>
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

bool is_variable_name(const std::string& text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text[0]))) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// API_TOKEN, not aB3xk9Q (which may as well be a token).
bool is_conventional_variable_name(const std::string& text) {
  return std::none_of(text.begin(), text.end(),
                      [](char c) { return std::islower(static_cast<unsigned char>(c)); });
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
  // What --secret was given may be the value itself, typed where its variable belongs: the
  // messages quote it only where it is plainly a variable's name.
  const std::string usage =
      "--secret takes NAME=ENVVAR and reads the value from environment variable ENVVAR "
      "(-s NAME VALUE takes a value)";
  for (const std::string& item : args.from_env) {
    const auto equals = item.find('=');
    if (equals == std::string::npos) throw UsageError(usage + "; one of them has no '='");
    if (equals == 0) throw UsageError(usage + "; one of them has no NAME");
    const std::string name = item.substr(0, equals);
    const std::string variable = item.substr(equals + 1);
    if (!is_variable_name(variable)) {
      throw UsageError(usage + "; what secret '" + name +
                       "' names after '=' is not a variable name (letters, digits and "
                       "underscores)");
    }
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr) {
      throw UsageError("secret '" + name + "': " +
                       (is_conventional_variable_name(variable)
                            ? "environment variable " + variable
                            : std::string("the environment variable it names")) +
                       " is not set");
    }
    add_secret(secrets, name, value);
  }
  for (const auto& [name, value] : args.on_command) add_secret(secrets, name, value);
  return secrets;
}

}  // namespace nbexec::cli
