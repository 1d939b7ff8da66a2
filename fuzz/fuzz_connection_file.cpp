// Connection-file text, as a kernel launcher or a user might hand nbexec one.
//
// Input: the file's text. nbexec has no loader of its own for connection files (it only
// writes them, kernel/connection_file.cpp), so the text is read both ways JSON reaches
// parse_connection_info: nlohmann's parser and nbexec's Python-compatible reader.
//
// Asserts: only ProtocolError escapes parse_connection_info (NotebookError the reader); what it
// accepts has ports in 1..65535, a tcp or ipc transport, endpoints of that transport, a
// signature scheme Signer takes with the key given, and survives to_json and parsing again
// unchanged.

#include <nbexec/error.hpp>
#include <nbexec/notebook/read.hpp>

#include "fuzz_support.hpp"
#include "protocol/connection_info.hpp"
#include "protocol/signer.hpp"

namespace {

namespace protocol = nbexec::protocol;

bool same_info(const protocol::ConnectionInfo& a, const protocol::ConnectionInfo& b) {
  return a.transport == b.transport && a.ip == b.ip && a.shell_port == b.shell_port &&
         a.iopub_port == b.iopub_port && a.stdin_port == b.stdin_port &&
         a.control_port == b.control_port && a.hb_port == b.hb_port && a.key == b.key &&
         a.signature_scheme == b.signature_scheme && a.kernel_name == b.kernel_name;
}

void check(const nlohmann::json& document) {
  protocol::ConnectionInfo info;
  try {
    info = protocol::parse_connection_info(document);
  } catch (const nbexec::ProtocolError& error) {
    NBEXEC_FUZZ_CHECK(std::string_view(error.what()).starts_with("connection file: "),
                      error.what());
    return;
  }
  NBEXEC_FUZZ_CHECK(info.transport == "tcp" || info.transport == "ipc", info.transport);
  NBEXEC_FUZZ_CHECK(!info.ip.empty(), document.dump());
  for (auto channel :
       {protocol::Channel::shell, protocol::Channel::iopub, protocol::Channel::stdin_channel,
        protocol::Channel::control, protocol::Channel::heartbeat}) {
    const int port = info.port(channel);
    NBEXEC_FUZZ_CHECK(port >= 1 && port <= 65535, std::to_string(port));
    NBEXEC_FUZZ_CHECK(info.endpoint(channel).starts_with(info.transport + "://"),
                      info.endpoint(channel));
  }
  try {
    const protocol::Signer signer(info.signature_scheme, info.key);
    NBEXEC_FUZZ_CHECK(signer.enabled() == !info.key.empty(), info.signature_scheme);
    (void)signer.sign({info.ip, info.kernel_name});
  } catch (const nbexec::ProtocolError& error) {
    NBEXEC_FUZZ_CHECK(false, std::string("accepted scheme refused by Signer: ") + error.what());
  }
  const nlohmann::json written = protocol::to_json(info);
  const protocol::ConnectionInfo again = protocol::parse_connection_info(written);
  NBEXEC_FUZZ_CHECK(same_info(info, again), written.dump());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = nbexec::fuzz::as_text(data, size);

  const auto document = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!document.is_discarded()) check(document);

  try {
    check(nbexec::notebook::read_json_text(text, "kernel.json"));
  } catch (const nbexec::NotebookError&) {
  }
  return 0;
}
