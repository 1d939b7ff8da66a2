#include "notebook_help.hpp"

#include <algorithm>
#include <ostream>

namespace nbexec::cli {
namespace {

// What the TYPE column says: the declaration, else the kind read from the default.
std::string type_text(const params::ParameterInfo& info) {
  if (info.inferred_type_name != "None") return info.inferred_type_name;
  if (info.kind() == params::ValueKind::unknown) return "any";
  return std::string(params::value_kind_name(info.kind())) + " (from default)";
}

}  // namespace

int print_notebook_help(const std::string& display_path, const params::NotebookParameters& found,
                        std::ostream& out) {
  out << "\nParameters inferred for notebook '" << display_path << "':\n";
  if (!found.has_parameters_cell) {
    out << "\n  No cell tagged 'parameters'\n";
    return 1;
  }
  if (found.parameters.empty()) {
    out << "\n  Can't infer anything about this notebook's parameters. It may not have any "
           "parameter defined.\n";
    return 0;
  }
  for (const auto& info : found.parameters) {
    const std::string type =
        info.inferred_type_name == "None" ? "Unknown type" : info.inferred_type_name;
    const std::string definition =
        "  " + info.name + ": " + type + " (default " + info.default_text + ")";
    if (definition.size() > 30) {
      out << definition;
      if (!info.help.empty()) out << "\n" << std::string(34, ' ') << info.help;
      out << "\n";
    } else {
      out << definition << std::string(34 - definition.size(), ' ') << info.help << "\n";
    }
  }
  return 0;
}

void print_parameter_table(const params::NotebookParameters& found, std::ostream& out) {
  if (!found.has_parameters_cell) {
    out << "No cell tagged 'parameters': the notebook declares no parameters.\n";
    return;
  }
  std::size_t name_width = 4, type_width = 4, default_width = 7;
  for (const auto& info : found.parameters) {
    name_width = std::max(name_width, info.name.size());
    type_width = std::max(type_width, type_text(info).size());
    default_width = std::max(default_width, info.default_text.size());
  }
  auto row = [&](const std::string& name, const std::string& type, const std::string& value,
                 const std::string& help) {
    std::string line = name + std::string(name_width + 2 - name.size(), ' ') + type +
                       std::string(type_width + 2 - type.size(), ' ') + value;
    if (!help.empty()) line += std::string(default_width + 2 - value.size(), ' ') + help;
    out << line << "\n";
  };
  row("NAME", "TYPE", "DEFAULT", "HELP");
  for (const auto& info : found.parameters) {
    row(info.name, type_text(info), info.default_text, info.help);
  }
}

}  // namespace nbexec::cli
