#pragma once

#include <CLI/CLI.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace nbexec::cli {

// Secret parameters on the command line (docs/security.md, "Secrets").
struct SecretArgs {
  std::vector<std::string> from_env;                            // --secret NAME=ENVVAR
  std::vector<std::pair<std::string, std::string>> on_command;  // -s NAME VALUE
  bool allow_insecure = false;                                  // --allow-insecure-secrets
};

// Registers --secret, -s/--secret-value and --allow-insecure-secrets.
void add_secret_options(CLI::App* command, SecretArgs& args);

// NAME -> value: --secret reads the named environment variable (UsageError when it is unset);
// a name given twice is a UsageError.
std::map<std::string, std::string> read_secrets(const SecretArgs& args);

}  // namespace nbexec::cli
