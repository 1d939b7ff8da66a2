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

// A connection file on disk, the private folder it lives in and what it says.
struct ConnectionFile {
  std::filesystem::path folder;  // private (0700) to this kernel; removed with the file
  std::filesystem::path path;
  protocol::ConnectionInfo info;
};

// Longest path a Unix socket can bind to (sockaddr_un::sun_path without its NUL).
constexpr std::size_t max_socket_path = 107;

// Makes a folder of this kernel's own: "nbexec-<random>" in `dir`, created by mkdir(2) with
// mode 0700 (mkdir fails on anything already there, a symlink included, so nobody can have
// prepared it), then checked with lstat: a directory, ours, 0700. With `sockets`, when the ipc
// socket paths in it would be longer than a Unix socket allows, the folder is made in $TMPDIR
// (else /tmp) instead, the same way. Throws KernelError.
std::filesystem::path create_private_folder(const std::filesystem::path& dir, bool sockets);

// Writes "kernel-nbexec-<random>.json" into a new private folder in `dir`
// (create_private_folder): created with O_EXCL and mode 0600 (never widened and narrowed
// later), a fresh key, hmac-sha256, and free loopback ports for tcp or the socket names
// "<folder>/ipc-N" for ipc. With `curve`, a fresh CurveZMQ server key pair
// (zmq_curve_keypair) goes into it as curve_publickey/curve_secretkey, as jupyter_client
// writes them. Throws KernelError (also when libzmq has no CURVE).
ConnectionFile create_connection_file(const std::filesystem::path& dir,
                                      const std::string& transport, const std::string& kernel_name,
                                      bool curve = false);

// Removes the file, whatever else is in its private folder (the ipc socket files the kernel
// bound, under whatever names), and the folder. Never throws.
void remove_connection_file(const ConnectionFile& file) noexcept;

// Whether this libzmq can encrypt (zmq_has("curve")).
bool curve_available();
// Throws KernelError naming the cause when curve_available() is false.
void require_curve();

// A fresh CurveZMQ key pair {public, secret}, Z85. Throws KernelError when libzmq has no CURVE.
std::pair<std::string, std::string> curve_keypair();

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
