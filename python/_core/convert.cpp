#include "convert.hpp"

#include <cstdint>
#include <string>

namespace py = pybind11;

namespace nbexec::python {

nlohmann::ordered_json to_ordered_json(py::handle value, const std::string& where) {
  if (value.is_none()) return nullptr;
  if (py::isinstance<py::bool_>(value)) return value.cast<bool>();
  if (py::isinstance<py::int_>(value)) {
    try {
      return value.cast<long long>();
    } catch (const py::cast_error&) {
      throw py::type_error(where + ": integer out of the 64-bit range");
    }
  }
  if (py::isinstance<py::float_>(value)) return value.cast<double>();
  if (py::isinstance<py::str>(value)) return value.cast<std::string>();
  if (py::isinstance<py::dict>(value)) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (auto item : value.cast<py::dict>()) {
      if (!py::isinstance<py::str>(item.first)) {
        throw py::type_error(where + ": dictionary keys must be strings");
      }
      std::string key = item.first.cast<std::string>();
      object[key] = to_ordered_json(item.second, where + "." + key);
    }
    return object;
  }
  if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
    nlohmann::ordered_json array = nlohmann::ordered_json::array();
    std::size_t index = 0;
    for (auto item : value) {
      array.push_back(to_ordered_json(item, where + "[" + std::to_string(index++) + "]"));
    }
    return array;
  }
  throw py::type_error(where + ": unsupported parameter type " +
                       std::string(py::str(py::type::handle_of(value).attr("__name__"))));
}

nlohmann::ordered_json parameters_from(py::handle parameters) {
  if (parameters.is_none()) return nlohmann::ordered_json::object();
  if (!py::isinstance<py::dict>(parameters)) throw py::type_error("parameters must be a dict");
  return to_ordered_json(parameters, "parameters");
}

namespace {

// One walk for both JSON types: parameters keep their order, notebooks sort their keys.
template <typename Json>
py::object json_to_python(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return py::none();
    case Json::value_t::boolean:
      return py::bool_(value.template get<bool>());
    case Json::value_t::number_integer:
      return py::int_(value.template get<std::int64_t>());
    case Json::value_t::number_unsigned:
      return py::int_(value.template get<std::uint64_t>());
    case Json::value_t::number_float:
      return py::float_(value.template get<double>());
    case Json::value_t::string:
      return py::str(value.template get_ref<const std::string&>());
    case Json::value_t::array: {
      py::list out;
      for (const auto& item : value) out.append(json_to_python(item));
      return std::move(out);
    }
    case Json::value_t::object: {
      py::dict out;
      for (const auto& [key, item] : value.items()) out[py::str(key)] = json_to_python(item);
      return std::move(out);
    }
    default:
      throw py::type_error("JSON value with no Python counterpart");
  }
}

}  // namespace

py::object to_python(const nlohmann::ordered_json& value) {
  return json_to_python(value);
}

py::object to_python(const nlohmann::json& value) {
  return json_to_python(value);
}

}  // namespace nbexec::python
