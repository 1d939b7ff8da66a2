#pragma once

#include <nbexec/params/parameters.hpp>

#include <string>
#include <string_view>

namespace nbexec::params::detail {

// Python's str.encode('unicode_escape').decode('utf-8'). Throws ParameterError for text that is
// not valid UTF-8.
std::string unicode_escape(std::string_view utf8);

// papermill's Translator: one hook per JSON/YAML type, so a language overrides only what it
// renders differently. The defaults are papermill's.
class Translator {
 public:
  virtual ~Translator() = default;

  // Dispatches on the value's type the way Translator.translate does (bool before int).
  std::string translate(const nlohmann::ordered_json& value) const;

  // "<comment>\n" then "<assign>\n" for each parameter, in order.
  virtual std::string codify(const Parameters& parameters, std::string_view comment) const;

  virtual std::string translate_raw_str(std::string_view text) const;
  // '"' + unicode_escape(text) with '"' escaped + '"'.
  virtual std::string translate_escaped_str(std::string_view text) const;
  virtual std::string translate_str(std::string_view text) const;
  virtual std::string translate_none() const;
  virtual std::string translate_int(const nlohmann::ordered_json& value) const;
  virtual std::string translate_float(double value) const;
  virtual std::string translate_bool(bool value) const;
  virtual std::string translate_dict(const nlohmann::ordered_json& value) const;
  virtual std::string translate_list(const nlohmann::ordered_json& value) const;
  virtual std::string comment(std::string_view text) const;
  virtual std::string assign(std::string_view name, std::string_view value) const;

 protected:
  // Which language this is, for "not supported" messages.
  virtual std::string_view language_name() const = 0;
};

// papermill's PythonTranslator without black.
const Translator& python_translator();

// papermill_translators.find_translator: the kernel name first, then the language. Throws
// ParameterError naming both when neither is registered, or when papermill knows the language
// but nbexec has no translator for it yet.
const Translator& find_translator(std::string_view kernel_name, std::string_view language);

}  // namespace nbexec::params::detail
