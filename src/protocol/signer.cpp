#include "protocol/signer.hpp"

#include <nbexec/error.hpp>

#include "hex.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <utility>

namespace nbexec::protocol {

namespace {

struct Scheme {
  std::string_view name;  // as in a connection file
  const char* digest;     // OpenSSL digest name
};

// jupyter_client accepts "hmac-" followed by any hashlib constructor name; these are the ones
// hashlib always provides and OpenSSL 3's default provider can key with HMAC.
constexpr std::array<Scheme, 12> schemes{{
    {"hmac-md5", "MD5"},
    {"hmac-sha1", "SHA1"},
    {"hmac-sha224", "SHA224"},
    {"hmac-sha256", "SHA256"},
    {"hmac-sha384", "SHA384"},
    {"hmac-sha512", "SHA512"},
    {"hmac-sha3_224", "SHA3-224"},
    {"hmac-sha3_256", "SHA3-256"},
    {"hmac-sha3_384", "SHA3-384"},
    {"hmac-sha3_512", "SHA3-512"},
    {"hmac-blake2b", "BLAKE2B-512"},
    {"hmac-blake2s", "BLAKE2S-256"},
}};

const Scheme* find_scheme(std::string_view name) noexcept {
  for (const auto& scheme : schemes) {
    if (scheme.name == name) return &scheme;
  }
  return nullptr;
}

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  std::array<char, 256> buffer{};
  ERR_error_string_n(code, buffer.data(), buffer.size());
  return buffer.data();
}

struct MacDeleter {
  void operator()(EVP_MAC* mac) const noexcept { EVP_MAC_free(mac); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* ctx) const noexcept { EVP_MAC_CTX_free(ctx); }
};
using MacPtr = std::unique_ptr<EVP_MAC, MacDeleter>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter>;

}  // namespace

bool is_supported_signature_scheme(std::string_view signature_scheme) noexcept {
  return find_scheme(signature_scheme) != nullptr;
}

struct Signer::Impl {
  // A context keyed once; every signature works on a duplicate, the way jupyter_client copies
  // its HMAC object, so the key schedule is computed once and sign() stays const.
  MacPtr mac;
  MacCtxPtr keyed;
  std::size_t digest_size = 0;
};

Signer::Signer(std::string_view signature_scheme, std::string key) {
  const Scheme* scheme = find_scheme(signature_scheme);
  if (scheme == nullptr) {
    std::string known;
    for (const auto& s : schemes) {
      if (!known.empty()) known += ", ";
      known += s.name;
    }
    throw ProtocolError("unsupported signature_scheme \"" + std::string(signature_scheme) +
                        "\" (expected one of: " + known + ")");
  }
  if (key.empty()) return;  // unsigned, as jupyter_client with an empty key

  auto impl = std::make_unique<Impl>();
  impl->mac.reset(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!impl->mac) throw ProtocolError("OpenSSL has no HMAC: " + openssl_error());
  impl->keyed.reset(EVP_MAC_CTX_new(impl->mac.get()));
  if (!impl->keyed) throw ProtocolError("cannot create an HMAC context: " + openssl_error());

  std::array<OSSL_PARAM, 2> params{
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(scheme->digest), 0),
      OSSL_PARAM_construct_end()};
  const auto* key_bytes = reinterpret_cast<const unsigned char*>(key.data());
  if (EVP_MAC_init(impl->keyed.get(), key_bytes, key.size(), params.data()) != 1) {
    throw ProtocolError("cannot initialise HMAC for signature_scheme \"" +
                        std::string(signature_scheme) + "\": " + openssl_error());
  }
  OPENSSL_cleanse(key.data(), key.size());
  impl->digest_size = EVP_MAC_CTX_get_mac_size(impl->keyed.get());
  if (impl->digest_size == 0 || impl->digest_size > EVP_MAX_MD_SIZE) {
    throw ProtocolError("unexpected HMAC size for signature_scheme \"" +
                        std::string(signature_scheme) + "\"");
  }
  impl_ = std::move(impl);
}

Signer::~Signer() = default;
Signer::Signer(Signer&&) noexcept = default;
Signer& Signer::operator=(Signer&&) noexcept = default;

bool Signer::enabled() const noexcept {
  return impl_ != nullptr;
}

std::size_t Signer::signature_length() const noexcept {
  return impl_ ? impl_->digest_size * 2 : 0;
}

std::string Signer::sign(const std::vector<std::string_view>& parts) const {
  if (!impl_) return {};
  MacCtxPtr ctx(EVP_MAC_CTX_dup(impl_->keyed.get()));
  if (!ctx) throw ProtocolError("cannot copy the HMAC context: " + openssl_error());
  for (std::string_view part : parts) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(part.data());
    if (EVP_MAC_update(ctx.get(), bytes, part.size()) != 1) {
      throw ProtocolError("HMAC update failed: " + openssl_error());
    }
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  std::size_t size = 0;
  if (EVP_MAC_final(ctx.get(), digest.data(), &size, digest.size()) != 1) {
    throw ProtocolError("HMAC final failed: " + openssl_error());
  }
  return detail::to_hex(digest.data(), size);
}

bool Signer::verify(std::string_view signature, const std::vector<std::string_view>& parts) const {
  if (!impl_) return true;
  // Length and alphabet are public (every valid signature shares them), so checking them
  // first leaks nothing; only the comparison of the digest itself must be constant time.
  if (signature.size() != signature_length() || !detail::is_lower_hex(signature)) return false;
  const std::string expected = sign(parts);
  return CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) == 0;
}

}  // namespace nbexec::protocol
