#pragma once

#include "protocol/connection_info.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <utility>

namespace nbexec::kernel::detail {

// jupyter_core's runtime dir, created if missing and restricted to the user (0700), as
// jupyter's ensure_dir_exists(runtime_dir, 0o700) does. Throws KernelError.
std::filesystem::path ensure_runtime_dir();

// A connection file on disk and what it says.
struct ConnectionFile {
  std::filesystem::path path;
  protocol::ConnectionInfo info;
};

// Writes "kernel-nbexec-<random>.json" into `dir`: created with O_EXCL and mode 0600 (never
// widened and narrowed later), a fresh key, hmac-sha256, and free loopback ports for tcp or
// unused "<file stem>-ipc-N" socket names for ipc. Throws KernelError.
ConnectionFile create_connection_file(const std::filesystem::path& dir,
                                      const std::string& transport, const std::string& kernel_name);

// Removes the file and, for ipc, the socket files the kernel bound. Never throws.
void remove_connection_file(const ConnectionFile& file) noexcept;

// `count` distinct free TCP ports on 127.0.0.1, each found by binding a socket to it (kept
// open until all are found), as jupyter_client does; but drawn at random from
// kernel_port_range() instead of the system's choice. Throws KernelError.
//
// Why not port 0, as jupyter_client: the system then hands out a port from the ephemeral range,
// the same range connect(2) takes its source ports from. nbexec connects before the kernel has
// bound its ports and ZeroMQ retries every few milliseconds; an attempt given the destination
// port as its own source port connects to itself (TCP simultaneous open), and for the iopub SUB
// socket that fails the ZMTP handshake, after which ZeroMQ never retries: the run would wait for
// iopub until --start-timeout. Linux makes this rare (bind(0) prefers odd ports, connect(2)
// even ones: 542,035 connects to a free odd port never met themselves), not impossible (other
// kernels, a crowded range). Outside the ephemeral range it cannot happen.
std::vector<int> free_tcp_ports(std::size_t count);

// The system's ephemeral port range (/proc/sys/net/ipv4/ip_local_port_range), if readable.
std::optional<std::pair<int, int>> ephemeral_port_range();

// Where free_tcp_ports draws from: 10000 up to just below the ephemeral range, or above it when
// that leaves too few; {0, 0} (the system's choice) when neither holds 1,000 ports or the range
// cannot be read.
std::pair<int, int> kernel_port_range();

}  // namespace nbexec::kernel::detail
