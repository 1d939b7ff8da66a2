#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nbexec::params::detail {

// Python's base64.b64decode(text) (validate=False): characters outside the alphabet are
// skipped, decoding stops at a complete padding; nullopt with *error set where Python raises
// binascii.Error ("Incorrect padding", ...) or ValueError (non-ASCII text).
std::optional<std::string> python_b64decode(std::string_view text, std::string* error);

}  // namespace nbexec::params::detail
