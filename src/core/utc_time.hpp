#pragma once

#include <chrono>
#include <string>
#include <string_view>

// UTC timestamps in the ISO 8601 forms the Jupyter tools write: one formatter for the message
// headers (protocol), nbclient's metadata.execution times (execute) and papermill's
// start/end times (run), which differ only in their suffix and in whether a zero fraction is
// printed.
namespace nbexec::detail {

enum class Fraction {
  always,       // ".000000" even when zero (message headers)
  unless_zero,  // as Python's datetime.isoformat(): left out when zero
};

// "YYYY-MM-DDTHH:MM:SS[.ffffff]" + suffix ("Z" or "+00:00"); times before 1970 work too.
std::string format_utc(std::chrono::system_clock::time_point time, std::string_view suffix,
                       Fraction fraction);

}  // namespace nbexec::detail
