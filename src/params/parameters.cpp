#include <nbexec/params/parameters.hpp>

namespace nbexec::params {

nlohmann::json notebook_value(const nlohmann::ordered_json& value) {
  // Both types share one value model, so a structural copy is exact: no text round trip.
  switch (value.type()) {
    case nlohmann::ordered_json::value_t::object: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& [key, item] : value.items()) out[key] = notebook_value(item);
      return out;
    }
    case nlohmann::ordered_json::value_t::array: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : value) out.push_back(notebook_value(item));
      return out;
    }
    case nlohmann::ordered_json::value_t::string:
      return value.get_ref<const std::string&>();
    case nlohmann::ordered_json::value_t::boolean:
      return value.get<bool>();
    case nlohmann::ordered_json::value_t::number_integer:
      return value.get<std::int64_t>();
    case nlohmann::ordered_json::value_t::number_unsigned:
      return value.get<std::uint64_t>();
    case nlohmann::ordered_json::value_t::number_float:
      return value.get<double>();
    case nlohmann::ordered_json::value_t::binary:
      return nlohmann::json::binary(value.get_binary());
    case nlohmann::ordered_json::value_t::null:
    case nlohmann::ordered_json::value_t::discarded:
      break;
  }
  return nullptr;
}

}  // namespace nbexec::params
