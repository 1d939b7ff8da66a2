#pragma once

#include <nbexec/protocol/connection_info.hpp>

#include <filesystem>
#include <string>

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

// `count` distinct free TCP ports on 127.0.0.1, found the way jupyter_client does: bind to
// port 0, read the port, close. Throws KernelError.
std::vector<int> free_tcp_ports(std::size_t count);

}  // namespace nbexec::kernel::detail
