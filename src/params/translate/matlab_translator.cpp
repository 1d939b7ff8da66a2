#include "params/translate/languages.hpp"

namespace nbexec::params::detail {
namespace {

// papermill's MatlabTranslator. MATLAB's nan, inf and -inf are functions, so Python's repr
// of a non-finite float is already valid MATLAB.
class MatlabTranslator final : public Translator {
 public:
  std::string language_name() const override { return "MATLAB"; }

  std::string translate_escaped_str(std::string_view text) const override {
    return "\"" + replace_all(unicode_escape(text), "\"", "\"\"") + "\"";
  }

  std::string translate_none() const override { return "NaN"; }

  std::string translate_dict(const nlohmann::ordered_json& value) const override {
    std::string keys;
    std::string values;
    for (const auto& [key, item] : value.items()) {
      if (!keys.empty()) keys += ", ", values += ", ";
      keys += char_array(key);
      values += translate(item);
    }
    return "containers.Map({" + keys + "}, {" + values + "})";
  }

  std::string translate_list(const nlohmann::ordered_json& value) const override {
    return "{" + join_items(*this, value, ", ") + "}";
  }

  std::string comment(std::string_view text) const override {
    return strip("% " + std::string(text));
  }

  // papermill's codify ends each assignment with ';' so MATLAB does not echo it.
  std::string assign(std::string_view name, std::string_view value) const override {
    return Translator::assign(name, value) + ";";
  }

 private:
  // Dict keys are char arrays: single quotes, a quote doubled.
  static std::string char_array(std::string_view text) {
    return "'" + replace_all(unicode_escape(text), "'", "''") + "'";
  }
};

}  // namespace

std::shared_ptr<const Translator> make_matlab_translator() {
  return std::make_shared<MatlabTranslator>();
}

}  // namespace nbexec::params::detail
