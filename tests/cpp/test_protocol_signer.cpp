#include <nbexec/error.hpp>

#include "protocol/signer.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using nbexec::ProtocolError;
using nbexec::protocol::is_supported_signature_scheme;
using nbexec::protocol::Signer;

namespace {

const std::string key = "5f0e6c2a-test-key";
// Four dict frames; the content holds 2-, 3- and 4-byte UTF-8 sequences.
const std::vector<std::string_view> parts{
    R"({"msg_id":"a1","msg_type":"execute_request"})", "{}", "{}",
    "{\"code\":\"print('h\xc3\xa9llo \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80')\"}"};

struct Vector {
  const char* scheme;
  const char* hex;
};

// Computed independently with Python's hmac module:
//   hmac.HMAC(key, digestmod=getattr(hashlib, name)); h.update(p) for p in parts; h.hexdigest()
const Vector vectors[] = {
    {"hmac-md5", "60e14ee8cdd2589ae4ca372c80a7ee38"},
    {"hmac-sha1", "265d7ee112a67d7cf494169e8dee61544f69aad2"},
    {"hmac-sha224", "657225948bfe1c07d6b17c9f0543f82a547ec56a70efcc6b872ce5d6"},
    {"hmac-sha256", "3bd62d0b6fdfa5773d2aeda7d7d23e56b046d7c1c48afe016bd4fe5343dfecbb"},
    {"hmac-sha384",
     "b84cb672e21026eb693218a6e050c6d647171f3ad06c0e0d07921b66594eae6c841b5b88d7888161f41d50bb2"
     "26e7327"},
    {"hmac-sha512",
     "14c833d9ecbc605a605207339b296e86a51b9d0406b93380b5d2f9ad1248c0adbc760350fe39bb0588e9d5736"
     "3cdf411f7809f92768396ad05c9b178d48a509e"},
    {"hmac-sha3_224", "6829656821fdea4b8873cd015e05a2dee49c64859815e67df1c200b3"},
    {"hmac-sha3_256", "98d1485b7b2c251366e1956a74f279dd7d98cb09c7daaa9868525782c092a606"},
    {"hmac-sha3_384",
     "3ec134bc882ac7b64862c2c109851c7eeaaa1cce252b64c52034df137d6977ee190e25824dcdc5b0502a94629"
     "6fb5575"},
    {"hmac-sha3_512",
     "378b5f32eeaeb2f45eac95364bbd315e851a434f302aa65bdf0bf5be259f3fdfa97b2b7f17cf512b0bdd11bb8"
     "d23e18e168a947413b79857e073e406d5da2294"},
    {"hmac-blake2b",
     "53e5340b930fe4e845c9ee13d2f9a4f0134871b536175f229a6e5e7e3dc48106d110ec5e34ab88b45e3a6e235"
     "8ae958322e1ada7fd3181a1d9c134417a6dac2b"},
    {"hmac-blake2s", "f43c49554363abebe7ab47fff54b9a8fc28eb7bc7d65b0738f6023983cc22783"},
};

}  // namespace

TEST_CASE("Signer matches Python's hmac for every scheme", "[protocol]") {
  for (const auto& v : vectors) {
    INFO(v.scheme);
    Signer signer(v.scheme, key);
    CHECK(signer.enabled());
    CHECK(signer.signature_length() == std::string_view(v.hex).size());
    CHECK(signer.sign(parts) == v.hex);
    CHECK(signer.verify(v.hex, parts));
    CHECK(is_supported_signature_scheme(v.scheme));
  }
}

TEST_CASE("Signer handles non-ASCII and long keys like Python's hmac", "[protocol]") {
  // Python: hmac.HMAC("clé-密钥".encode(), digestmod=hashlib.sha256) over `parts`.
  Signer non_ascii("hmac-sha256", "cl\xc3\xa9-\xe5\xaf\x86\xe9\x92\xa5");
  CHECK(non_ascii.sign(parts) ==
        "ef29dd8e00aab87aabbd1d2187b939bea86c12f93065385964194a473630bb3e");
  // Python: key b"k" * 200, longer than the block size so HMAC hashes it first.
  const std::string long_key(200, 'k');
  CHECK(Signer("hmac-sha256", long_key).sign(parts) ==
        "0ee98aa13db5800d8cd911b84c9c1a6eea00864b09583bd2b7bdc8dcb1796c7e");
  CHECK(Signer("hmac-sha512", long_key).sign(parts) ==
        "3722a9440e661ac7e44fbafcf596bbea221b67d97157d8496988a67c12bcd2ef96743f20ca8f956e60b2a35"
        "053fb74f245b5bbb3e346b0182480d2fe83d4c14c");
}

TEST_CASE("Signer signs the concatenation of the parts", "[protocol]") {
  Signer signer("hmac-sha256", key);
  std::string joined;
  for (auto part : parts) joined += part;
  // Python: hmac.HMAC(key, b"".join(parts), hashlib.sha256).hexdigest()
  CHECK(signer.sign({joined}) ==
        "3bd62d0b6fdfa5773d2aeda7d7d23e56b046d7c1c48afe016bd4fe5343dfecbb");
  // ... and the result does not depend on an earlier call (the keyed context is copied).
  CHECK(signer.sign({"other"}) != signer.sign(parts));
  CHECK(signer.sign(parts) == signer.sign(parts));
}

TEST_CASE("Signer with an empty key is unsigned", "[protocol]") {
  Signer signer("hmac-sha256", "");
  CHECK_FALSE(signer.enabled());
  CHECK(signer.signature_length() == 0);
  CHECK(signer.sign(parts).empty());
  CHECK(signer.verify("", parts));
  CHECK(signer.verify("anything at all", parts));
}

TEST_CASE("Signer rejects unknown schemes", "[protocol]") {
  for (const char* scheme : {"hmac-sha999", "sha256", "HMAC-SHA256", "", "hmac-", "md5"}) {
    INFO(scheme);
    CHECK_FALSE(is_supported_signature_scheme(scheme));
    CHECK_THROWS_AS(Signer(scheme, key), ProtocolError);
  }
  // The scheme is checked even without a key: a typo must not silently turn signing off.
  CHECK_THROWS_AS(Signer("hmac-sha25", ""), ProtocolError);
  CHECK_THROWS_WITH(Signer("hmac-whirlpool", key),
                    Catch::Contains("hmac-whirlpool") && Catch::Contains("hmac-sha256"));
}

TEST_CASE("Signer::verify checks length, alphabet and every bit", "[protocol]") {
  Signer signer("hmac-sha256", key);
  const std::string good = signer.sign(parts);
  REQUIRE(signer.verify(good, parts));

  CHECK_FALSE(signer.verify("", parts));
  CHECK_FALSE(signer.verify(good.substr(0, 63), parts));
  CHECK_FALSE(signer.verify(good + "0", parts));
  CHECK_FALSE(signer.verify(good + good, parts));
  // Upper case is the same digest in another spelling; jupyter_client rejects it too.
  std::string upper = good;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  REQUIRE(upper != good);
  CHECK_FALSE(signer.verify(upper, parts));
  std::string not_hex = good;
  not_hex[10] = 'g';
  CHECK_FALSE(signer.verify(not_hex, parts));

  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string flipped = good;
    flipped[i] = flipped[i] == '0' ? '1' : '0';
    CHECK_FALSE(signer.verify(flipped, parts));
  }
  // A different key or altered parts do not verify.
  CHECK_FALSE(Signer("hmac-sha256", key + "x").verify(good, parts));
  CHECK_FALSE(signer.verify(good, {parts[0], parts[1], parts[2]}));
  CHECK_FALSE(signer.verify(good, {parts[1], parts[0], parts[2], parts[3]}));
}

TEST_CASE("Signer is movable and usable from several threads", "[protocol]") {
  Signer first("hmac-sha256", key);
  Signer moved(std::move(first));
  CHECK(moved.sign(parts) == vectors[3].hex);
  Signer assigned("hmac-md5", "");
  assigned = std::move(moved);
  CHECK(assigned.enabled());

  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      int good = 0;
      for (int i = 0; i < 200; ++i) good += assigned.verify(vectors[3].hex, parts) ? 1 : 0;
      ok[t] = good;
    });
  }
  for (auto& thread : threads) thread.join();
  for (int good : ok) CHECK(good == 200);
}
