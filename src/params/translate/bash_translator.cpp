#include "params/translate/languages.hpp"

#include "params/common/utf8.hpp"

#include <nbexec/error.hpp>

namespace nbexec::params::detail {
namespace {

// Python's shlex.quote: bare when every byte is [A-Za-z0-9_@%+=:,./-] (re.ASCII), else single
// quotes with each ' written as '"'"'.
std::string shell_quote(std::string_view text) {
  if (text.empty()) return "''";
  std::size_t bad = 0;
  if (!decode_utf8(text, &bad)) {
    throw ParameterError("string parameter value is not valid UTF-8 (byte " + std::to_string(bad) +
                         "): cannot render it");
  }
  const auto safe = [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_@%+=:,./-").find(static_cast<char>(c)) != std::string_view::npos;
  };
  bool all_safe = true;
  for (const char c : text) all_safe = all_safe && safe(static_cast<unsigned char>(c));
  if (all_safe) return std::string(text);
  return "'" + replace_all(text, "'", "'\"'\"'") + "'";
}

// papermill's BashTranslator: scalars and flat arrays.
class BashTranslator final : public Translator {
 public:
  std::string language_name() const override { return "bash"; }

  std::string translate_none() const override { return ""; }

  std::string translate_escaped_str(std::string_view text) const override {
    return shell_quote(text);
  }

  // papermill writes a nested list as "((1 2) 3)", which bash rejects, and a None element as
  // nothing, which silently drops it from the array; nbexec refuses the first and writes ''.
  std::string translate_list(const nlohmann::ordered_json& value) const override {
    std::string out = "(";
    bool first = true;
    for (const auto& item : value) {
      if (!first) out += " ";
      first = false;
      if (item.is_array() || item.is_object()) unsupported("nested lists and dicts");
      out += item.is_null() ? "''" : translate(item);
    }
    return out + ")";
  }

  std::string comment(std::string_view text) const override {
    return strip("# " + std::string(text));
  }

  std::string assign(std::string_view name, std::string_view value) const override {
    return std::string(name) + "=" + std::string(value);
  }
};

}  // namespace

std::shared_ptr<const Translator> make_bash_translator() {
  return std::make_shared<BashTranslator>();
}

}  // namespace nbexec::params::detail
