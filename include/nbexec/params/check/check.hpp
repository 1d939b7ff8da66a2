#pragma once

#include <nbexec/params/inspect/inspect.hpp>
#include <nbexec/params/parameters.hpp>

#include <string>
#include <vector>

namespace nbexec::params {

// One way supplied parameters disagree with what the notebook declares.
struct ParameterProblem {
  enum class Kind {
    unknown_name,   // the notebook's parameters cell does not define the name
    type_mismatch,  // the value's type contradicts the declared or inferred type
  };
  Kind kind = Kind::unknown_name;
  std::string name;
  std::string message;  // one line naming the parameter, what was expected and what was given
};

// Names never reported as unknown: papermill's --inject-*-path parameters.
bool is_builtin_parameter_name(std::string_view name);

// Checks supplied values against a notebook's parameters, before any kernel starts:
// - a name the parameters cell does not define is unknown_name (names of papermill's
//   --inject-paths are exempt);
// - a value whose JSON type contradicts the parameter's kind is type_mismatch: an int is
//   accepted where a float is declared, None only where the declaration admits it
//   (Optional[...], a None default), a bool is not an int; a parameter whose kind is unknown
//   (no annotation and a default that is not a literal, or a None default) takes any value.
// Problems come in the order of `supplied`.
std::vector<ParameterProblem> check_parameters(const Parameters& supplied,
                                               const NotebookParameters& declared);

// The kind of a supplied value ("integer" for 3, "number" for 0.5, ...).
ValueKind kind_of_value(const nlohmann::ordered_json& value);

}  // namespace nbexec::params
