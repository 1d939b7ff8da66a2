#pragma once

#include <nbexec/error.hpp>

namespace nbexec::protocol {

// A message refused because its signature was accepted before on this connection (a replay;
// see ReplayGuard). decode_message throws it instead of a plain ProtocolError so a connection
// can count replays apart from other bad messages by type: an error's text may quote the
// message's own bytes and must not decide what kind of drop it was.
class ReplayError : public ProtocolError {
 public:
  using ProtocolError::ProtocolError;
};

}  // namespace nbexec::protocol
