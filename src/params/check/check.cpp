#include <nbexec/params/check/check.hpp>

#include "params/common/python_format.hpp"

namespace nbexec::params {
namespace {

using json = nlohmann::ordered_json;

const ParameterInfo* find_declared(const NotebookParameters& declared, const std::string& name) {
  // The last definition wins, as it does when the cell runs.
  const ParameterInfo* found = nullptr;
  for (const auto& info : declared.parameters) {
    if (info.name == name) found = &info;
  }
  return found;
}

std::string known_names(const NotebookParameters& declared) {
  std::string names;
  for (const auto& info : declared.parameters) {
    if (names.find(" " + info.name + ",") != std::string::npos) continue;
    names += (names.empty() ? " " : ", ") + info.name;
  }
  return names.empty() ? " none" : names;
}

bool accepts(const ParameterInfo& info, ValueKind given) {
  ValueKind wanted = info.kind();
  // A None default says nothing about the type: `model = None` is filled in by the caller.
  if (wanted == ValueKind::none && info.declared_kind == ValueKind::unknown) return true;
  if (wanted == ValueKind::unknown) return true;
  if (given == ValueKind::none) return info.nullable || wanted == ValueKind::none;
  if (given == wanted) return true;
  return wanted == ValueKind::number && given == ValueKind::integer;
}

std::string declared_as(const ParameterInfo& info) {
  if (info.declared_kind != ValueKind::unknown) {
    return "declared as " + info.inferred_type_name;
  }
  return "its default is " + info.default_text;
}

}  // namespace

bool is_builtin_parameter_name(std::string_view name) {
  return name == "PAPERMILL_INPUT_PATH" || name == "PAPERMILL_OUTPUT_PATH";
}

ValueKind kind_of_value(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return ValueKind::none;
    case json::value_t::boolean:
      return ValueKind::boolean;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return ValueKind::integer;
    case json::value_t::number_float:
      return ValueKind::number;
    case json::value_t::string:
      return ValueKind::string;
    case json::value_t::array:
      return ValueKind::list;
    case json::value_t::object:
      return ValueKind::dict;
    default:
      return ValueKind::unknown;
  }
}

std::vector<ParameterProblem> check_parameters(const Parameters& supplied,
                                               const NotebookParameters& declared) {
  std::vector<ParameterProblem> problems;
  if (!supplied.is_object()) return problems;
  for (auto it = supplied.begin(); it != supplied.end(); ++it) {
    const std::string& name = it.key();
    const ParameterInfo* info = find_declared(declared, name);
    if (info == nullptr) {
      if (is_builtin_parameter_name(name)) continue;
      std::string message =
          declared.has_parameters_cell
              ? "unknown parameter '" + name + "': the parameters cell defines" +
                    known_names(declared)
              : "unknown parameter '" + name + "': the notebook has no cell tagged 'parameters'";
      problems.push_back({ParameterProblem::Kind::unknown_name, name, message});
      continue;
    }
    const ValueKind given = kind_of_value(*it);
    if (accepts(*info, given)) continue;
    std::string message = "parameter '" + name + "' is " +
                          std::string(value_kind_name(info->kind())) + " (" + declared_as(*info) +
                          ") but was given " + std::string(value_kind_name(given)) + " " +
                          detail::python_repr(*it);
    if (info->kind() == ValueKind::string && given != ValueKind::string) {
      message += "; pass it with -r NAME VALUE to keep the text as a string";
    }
    problems.push_back({ParameterProblem::Kind::type_mismatch, name, message});
  }
  return problems;
}

}  // namespace nbexec::params
