#pragma once

#include <pybind11/pybind11.h>

namespace nbexec::python {

// Each binding file adds its functions to nbexec._core; module.cpp calls them all.
void bind_translators(pybind11::module_& m);  // translator_bindings.cpp
void bind_inspect(pybind11::module_& m);      // inspect_bindings.cpp
void bind_check(pybind11::module_& m);        // check_bindings.cpp
void bind_sources(pybind11::module_& m);      // sources_bindings.cpp
void bind_run(pybind11::module_& m);          // run_bindings.cpp
void bind_sweep(pybind11::module_& m);        // sweep_bindings.cpp
void bind_pool(pybind11::module_& m);         // pool_bindings.cpp
void bind_sweep_run(pybind11::module_& m);    // sweep_run_bindings.cpp
void bind_render(pybind11::module_& m);       // render_bindings.cpp

}  // namespace nbexec::python
