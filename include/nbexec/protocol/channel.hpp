#pragma once

#include <string_view>

namespace nbexec::protocol {

// The sockets of a Jupyter kernel connection.
enum class Channel { shell, iopub, stdin_channel, control, heartbeat };

std::string_view channel_name(Channel channel) noexcept;

}  // namespace nbexec::protocol
