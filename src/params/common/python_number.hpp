#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nbexec::params::detail {

// An integer as Python's int() parsed it; magnitude is nullopt when it needs more than 64 bits
// (Python keeps arbitrary precision, nbexec does not).
struct PythonInt {
  bool negative = false;
  std::optional<std::uint64_t> magnitude;
};

// Python's int(text, base) for base 2, 8, 10 or 16: surrounding whitespace, a sign, the base's
// optional prefix (not for 10), underscores between digits, any Unicode decimal digit; more than
// 4300 decimal digits is a ValueError (CPython's int_max_str_digits). nullopt where int() raises.
std::optional<PythonInt> python_int(std::string_view text, int base = 10);

// Python's float(text): the decimal forms, "inf"/"infinity"/"nan" in any case, underscores
// between digits, surrounding whitespace. nullopt where float() raises ValueError.
std::optional<double> python_float(std::string_view text);

// The value as a JSON integer (int64, or uint64 above INT64_MAX); nullopt beyond 64 bits.
std::optional<nlohmann::ordered_json> json_integer(const PythonInt& value);

// Python's repr(float): shortest round-trip digits, exponent form below 1e-4 and from 1e16.
std::string python_float_repr(double value);

}  // namespace nbexec::params::detail
