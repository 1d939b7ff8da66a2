#include "params/translate/languages.hpp"

#include <cmath>

namespace nbexec::params::detail {
namespace {

// papermill's PythonTranslator. Its codify also runs black when black is importable; nbexec
// writes what papermill writes without black (black only re-wraps and re-spaces).
class PythonTranslator final : public Translator {
 public:
  std::string language_name() const override { return "Python"; }

  std::string translate_float(double value) const override {
    if (std::isfinite(value)) return Translator::translate_float(value);
    if (std::isnan(value)) return "float('nan')";
    return value < 0 ? "float('-inf')" : "float('inf')";
  }

  std::string translate_bool(bool value) const override {
    return translate_raw_str(value ? "True" : "False");
  }

  std::string translate_dict(const nlohmann::ordered_json& value) const override {
    return "{" + join_pairs(*this, value, ": ", ", ") + "}";
  }

  std::string translate_list(const nlohmann::ordered_json& value) const override {
    return "[" + join_items(*this, value, ", ") + "]";
  }

  std::string comment(std::string_view text) const override {
    return strip("# " + std::string(text));
  }
};

}  // namespace

std::shared_ptr<const Translator> make_python_translator() {
  return std::make_shared<PythonTranslator>();
}

}  // namespace nbexec::params::detail
