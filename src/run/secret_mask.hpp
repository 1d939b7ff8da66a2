#pragma once

#include <nbexec/execute/executor.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <utility>
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

  // How many bytes at the end of `masked` (text apply() has masked) could be the start of a
  // form that the next text would complete: the longest such tail after the last mask.
  std::size_t unfinished_tail(const std::string& masked) const;

 private:
  std::vector<std::string> forms_;  // longest first, so a longer form is masked whole
};

// The mask over a cell's streams: a stream's tail is held back while it could be the start of
// a secret, so a value printed in two messages (print(a, end=""); print(b)) is masked whole.
// The executor keeps one stream at a time here (it releases before another stream's text).
class SecretStreamMask final : public execute::StreamFilter {
 public:
  explicit SecretStreamMask(const SecretMask& mask) : mask_(mask) {}

  std::string feed(const std::string& stream_name, const std::string& text) override;
  std::string release() override;

 private:
  const SecretMask& mask_;
  std::string held_;  // unmasked: a proper prefix of a form, no mask inside
};

// The same over a whole run, one per stream name, for what the stream outputs become outside
// the notebook (stream files, --log-output, events). There the pieces of every message and
// every cell follow each other, so a tail is held across other outputs and cells, until the
// stream's next text or the run's end. Fed the notebook's outputs, already masked: masking
// again changes nothing (check_secrets refuses a value the mask itself contains).
class RunStreamMasks {
 public:
  explicit RunStreamMasks(const SecretMask& mask) : mask_(mask) {}

  std::string feed(const std::string& stream_name, const std::string& text);
  // What is held, by stream name; forgotten.
  std::vector<std::pair<std::string, std::string>> release();

 private:
  const SecretMask& mask_;
  std::map<std::string, SecretStreamMask> streams_;
};

}  // namespace nbexec::run_detail
