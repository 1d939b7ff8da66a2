#pragma once

#include <pybind11/pybind11.h>
#include <nlohmann/json.hpp>

namespace nbexec::python {

// Python parameter values to ordered JSON, as papermill sees them: bool before int, float
// nan/inf kept, dict order kept. Anything else is a TypeError naming `where`.
nlohmann::ordered_json to_ordered_json(pybind11::handle value, const std::string& where);

// A parameters argument: None is no parameters, a dict is converted, anything else is a
// TypeError.
nlohmann::ordered_json parameters_from(pybind11::handle parameters);

// The reverse: JSON to Python objects (NaN and infinities stay floats, key order kept).
pybind11::object to_python(const nlohmann::ordered_json& value);
pybind11::object to_python(const nlohmann::json& value);

}  // namespace nbexec::python
