#pragma once

#include <nbexec/params/parameters.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nbexec::params {

// papermill's Translator: one hook per JSON/YAML type, so a language overrides only what it
// renders differently. The defaults are papermill's base class. A hook that meets a value its
// language cannot express throws ParameterError (see unsupported()); codify() adds the
// parameter's name to the message.
class Translator {
 public:
  virtual ~Translator() = default;

  // The language as users name it, for error messages ("bash", "C#").
  virtual std::string language_name() const = 0;

  // Dispatches on the value's type the way Translator.translate does (bool before int).
  std::string translate(const nlohmann::ordered_json& value) const;

  // "<comment>\n" then "<assign>\n" for each parameter, in order.
  virtual std::string codify(const Parameters& parameters, std::string_view comment) const;

  virtual std::string translate_raw_str(std::string_view text) const;
  // '"' + Python's unicode_escape(text) with '"' escaped + '"'.
  virtual std::string translate_escaped_str(std::string_view text) const;
  virtual std::string translate_str(std::string_view text) const;
  virtual std::string translate_none() const;
  virtual std::string translate_int(const nlohmann::ordered_json& value) const;
  // The default is Python's repr(): 0.1, 1e+16, nan, inf, -inf.
  virtual std::string translate_float(double value) const;
  virtual std::string translate_bool(bool value) const;
  virtual std::string translate_dict(const nlohmann::ordered_json& value) const;
  virtual std::string translate_list(const nlohmann::ordered_json& value) const;
  virtual std::string comment(std::string_view text) const;
  virtual std::string assign(std::string_view name, std::string_view value) const;

 protected:
  // The ParameterError a hook throws for a value its language has no form for.
  [[noreturn]] void unsupported(std::string_view what) const;
};

// Python's str.encode('unicode_escape').decode('utf-8'), the escaping papermill's translators
// share. Throws ParameterError for text that is not valid UTF-8.
std::string unicode_escape(std::string_view utf8);

// Python's str.strip(), which papermill applies to every comment line.
std::string strip(std::string_view utf8);

// Adds (or replaces) the translator for a kernel name or language, as papermill's
// papermill_translators.register does. Thread-safe; the translator is shared with callers that
// found it before a replacement.
void register_translator(std::string name, std::shared_ptr<const Translator> translator);

// papermill's find_translator: the kernel name first, then the language (exact matches).
// Throws ParameterError naming both when neither is registered.
std::shared_ptr<const Translator> find_translator(std::string_view kernel_name,
                                                  std::string_view language);

// The registered names, in registration order.
std::vector<std::string> translator_names();

}  // namespace nbexec::params
