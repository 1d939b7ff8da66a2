#pragma once

#include <cstddef>
#include <string_view>

namespace nbexec {

struct RunOptions;  // run.hpp

// What the written notebook shows for a secret parameter: in the injected cell (as the value
// of its assignment) and in metadata.papermill.parameters. The kernel gets the real value.
inline constexpr const char* secret_placeholder = "<secret>";

// What replaces a secret's value (and its repr, JSON and HTML forms) in every output, log line,
// event and error message of the run.
inline constexpr const char* secret_mask = "********";

// Secrets shorter than this are refused: masking them would blank unrelated text everywhere.
inline constexpr std::size_t secret_min_length = 4;

// Whether what crosses the kernel's sockets is out of reach of other processes: ipc sockets
// are files in a private runtime directory; tcp on the loopback is readable by anything that
// can capture it (another user's sniffer, a pod's sidecar) unless the messages are encrypted
// (CurveZMQ). The one place that decides whether secrets may be sent.
bool wire_is_private(std::string_view transport, bool encrypted);

// Refuses (UsageError, before anything is read or written) secrets that are empty, shorter
// than secret_min_length, named like a parameter as well, or bound for a wire that can only
// be clear (transport "tcp" with encryption "off") unless allow_insecure_secrets says so.
// Whether any other run's wire is private is known once its kernel has started (an "auto"
// transport may fall back to tcp, "auto" encryption depends on the kernelspec):
// check_secret_wire decides then.
void check_secrets(const RunOptions& options);

// After the kernel started and before anything is sent to it: refuses (UsageError) a run with
// secrets whose kernel ended up on a wire that is not private (wire_is_private of the
// kernel's actual transport and encryption), unless allow_insecure_secrets says so.
void check_secret_wire(const RunOptions& options, std::string_view transport, bool encrypted);

}  // namespace nbexec
