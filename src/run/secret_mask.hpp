#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace nbexec::run_detail {

// The forms a secret's value takes in what a kernel commonly prints: the value itself, the
// inside of Python's repr of it (either quote style), of json.dumps (ASCII-escaped or not)
// and of html.escape. Distinct, longest first.
std::vector<std::string> secret_forms(const std::string& value);

// Replaces every form of every secret with secret_mask. Best effort by design: a value the
// cell transformed (base64, sliced, upper-cased) is not recognised.
class SecretMask {
 public:
  SecretMask() = default;
  explicit SecretMask(const std::map<std::string, std::string>& secrets);

  bool empty() const { return forms_.empty(); }

  // The text with every form replaced.
  std::string apply(std::string text) const;

  // Every string inside `value`, recursively, except the data of binary MIME types
  // (image/png, ...: base64 a mask would corrupt) under a "data" key.
  void apply(nlohmann::json& value) const;

 private:
  std::vector<std::string> forms_;  // longest first, so a longer form is masked whole
};

}  // namespace nbexec::run_detail
