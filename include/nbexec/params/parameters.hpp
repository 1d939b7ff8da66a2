#pragma once

#include <nlohmann/json.hpp>

namespace nbexec::params {

// Parameters keep insertion order: papermill renders them in its dict's order. A notebook is
// held as nlohmann::json; the two meet in one place, notebook_value() below.
using Parameters = nlohmann::ordered_json;

// Parameters (or any ordered value) as the notebook's JSON type, keys sorted as nbformat
// writes them. The one conversion between the two JSON types (metadata.papermill.parameters,
// run events).
nlohmann::json notebook_value(const nlohmann::ordered_json& value);

}  // namespace nbexec::params
