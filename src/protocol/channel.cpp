#include <nbexec/protocol/channel.hpp>

namespace nbexec::protocol {

std::string_view channel_name(Channel channel) noexcept {
  switch (channel) {
    case Channel::shell:
      return "shell";
    case Channel::iopub:
      return "iopub";
    case Channel::stdin_channel:
      return "stdin";
    case Channel::control:
      return "control";
    case Channel::heartbeat:
      return "hb";
  }
  return "unknown";
}

}  // namespace nbexec::protocol
