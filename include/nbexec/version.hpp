#pragma once

#include <string_view>

// The single source of the version: CMake and pyproject.toml both read this line.
#define NBEXEC_VERSION_STRING "0.1.0"

namespace nbexec {
inline constexpr std::string_view version = NBEXEC_VERSION_STRING;
}  // namespace nbexec
