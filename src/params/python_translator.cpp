#include "params/translator.hpp"
#include "params/utf8.hpp"

#include <cmath>

namespace nbexec::params::detail {
namespace {

// papermill's PythonTranslator.codify also runs black when it is importable; nbexec renders
// what papermill produces without black (black only re-wraps long lines).
class PythonTranslator final : public Translator {
 public:
  std::string translate_float(double value) const override {
    if (std::isfinite(value)) return Translator::translate_float(value);
    if (std::isnan(value)) return "float('nan')";
    return value < 0 ? "float('-inf')" : "float('inf')";
  }

  std::string translate_bool(bool value) const override {
    return translate_raw_str(value ? "True" : "False");
  }

  std::string translate_dict(const nlohmann::ordered_json& value) const override {
    std::string out = "{";
    bool first = true;
    for (const auto& [key, item] : value.items()) {
      if (!first) out += ", ";
      first = false;
      out += translate_str(key) + ": " + translate(item);
    }
    return out + "}";
  }

  std::string translate_list(const nlohmann::ordered_json& value) const override {
    std::string out = "[";
    bool first = true;
    for (const auto& item : value) {
      if (!first) out += ", ";
      first = false;
      out += translate(item);
    }
    return out + "]";
  }

  std::string comment(std::string_view text) const override {
    return python_strip("# " + std::string(text));
  }

 protected:
  std::string_view language_name() const override { return "python"; }
};

}  // namespace

const Translator& python_translator() {
  static const PythonTranslator translator;
  return translator;
}

}  // namespace nbexec::params::detail
