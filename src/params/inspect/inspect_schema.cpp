// The parameters of a notebook as a JSON Schema (draft 2020-12), for tools that build forms or
// typed pipeline inputs.
#include <nbexec/params/inspect/inspect.hpp>

#include <cmath>
#include <string>

namespace nbexec::params {
namespace {

using json = nlohmann::ordered_json;

// NaN and infinities have no JSON form (nlohmann would write null).
bool representable(const json& value) {
  if (value.is_number_float()) return std::isfinite(value.get<double>());
  if (value.is_array() || value.is_object()) {
    for (const auto& item : value) {
      if (!representable(item)) return false;
    }
  }
  return true;
}

json property(const ParameterInfo& info) {
  json out = json::object();
  const ValueKind kind = info.kind();
  // A None default alone (papermill's `msg = None`) says nothing about the type: kind() is
  // unknown then; a declared NoneType is null.
  if (kind != ValueKind::unknown) {
    const std::string name(value_kind_name(kind));
    if (info.nullable && kind != ValueKind::none) {
      out["type"] = json::array({name, "null"});
    } else {
      out["type"] = name;
    }
  }
  if (info.default_value) {
    if (representable(*info.default_value)) {
      out["default"] = *info.default_value;
    } else {
      out["$comment"] = "default " + info.default_text + " has no JSON form";
    }
  }
  if (!info.help.empty()) out["description"] = info.help;
  return out;
}

}  // namespace

nlohmann::ordered_json parameters_json_schema(const NotebookParameters& parameters,
                                              std::string_view title) {
  json schema = json::object();
  schema["$schema"] = "https://json-schema.org/draft/2020-12/schema";
  if (!title.empty()) schema["title"] = std::string(title);
  schema["type"] = "object";
  json properties = json::object();
  // A name assigned twice keeps its first place and its last definition, as the notebook
  // (and papermill's inspect_notebook dict) sees it.
  for (const ParameterInfo& info : parameters.parameters) properties[info.name] = property(info);
  schema["properties"] = std::move(properties);
  schema["additionalProperties"] = false;
  return schema;
}

}  // namespace nbexec::params
