#pragma once

namespace nbexec {

// The level of one log line the library hands to a caller's `log` callback.
enum class LogLevel { debug, info, warning, error };

}  // namespace nbexec
