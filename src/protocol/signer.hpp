#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nbexec::protocol {

// HMAC signing of messages as jupyter_client's Session does it. The digest is chosen by the
// connection file's signature_scheme ("hmac-sha256", ...); an empty key means unsigned.
// OpenSSL stays behind the pimpl so this header is free of crypto headers.
//
// sign() and verify() are const and safe to call from several threads at once.
class Signer {
 public:
  // Throws ProtocolError for a scheme it does not know.
  Signer(std::string_view signature_scheme, std::string key);
  ~Signer();
  Signer(Signer&&) noexcept;
  Signer& operator=(Signer&&) noexcept;
  Signer(const Signer&) = delete;
  Signer& operator=(const Signer&) = delete;

  bool enabled() const noexcept;

  // The number of hex characters in a signature of this scheme; 0 when unsigned.
  std::size_t signature_length() const noexcept;

  // Lower-case hex HMAC over the parts in order; "" when unsigned.
  std::string sign(const std::vector<std::string_view>& parts) const;

  // Length-checked, constant-time comparison of `signature` with sign(parts).
  // Always true when unsigned.
  bool verify(std::string_view signature, const std::vector<std::string_view>& parts) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True for the schemes Signer accepts: jupyter_client's "hmac-" + a hashlib name
// (md5, sha1, sha224, sha256, sha384, sha512, sha3_224, sha3_256, sha3_384, sha3_512,
// blake2b, blake2s).
bool is_supported_signature_scheme(std::string_view signature_scheme) noexcept;

}  // namespace nbexec::protocol
