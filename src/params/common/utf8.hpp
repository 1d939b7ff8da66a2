#pragma once

#include "core/utf8.hpp"

// The parameter code lives in nbexec::params::detail; these bring the one UTF-8 toolkit of
// src/core into reach there without qualifying every call.
namespace nbexec::params::detail {

using nbexec::detail::append_utf8;
using nbexec::detail::decode_utf8;
using nbexec::detail::is_python_space;
using nbexec::detail::python_strip;

}  // namespace nbexec::params::detail
