#include "params/translate/languages.hpp"

#include <cmath>

namespace nbexec::params::detail {
namespace {

// papermill's PowershellTranslator.
class PowershellTranslator final : public Translator {
 public:
  std::string language_name() const override { return "PowerShell"; }

  std::string translate_escaped_str(std::string_view text) const override {
    return "\"" + replace_all(unicode_escape(text), "\"", "`\"") + "\"";
  }

  std::string translate_float(double value) const override {
    if (std::isfinite(value)) return Translator::translate_float(value);
    if (std::isnan(value)) return "[double]::NaN";
    return value < 0 ? "[double]::NegativeInfinity" : "[double]::PositiveInfinity";
  }

  std::string translate_none() const override { return "$Null"; }

  std::string translate_bool(bool value) const override { return value ? "$True" : "$False"; }

  std::string translate_dict(const nlohmann::ordered_json& value) const override {
    return "@{" + join_pairs(*this, value, " = ", "\n ") + "}";
  }

  std::string translate_list(const nlohmann::ordered_json& value) const override {
    return "@(" + join_items(*this, value, ", ") + ")";
  }

  std::string comment(std::string_view text) const override {
    return strip("# " + std::string(text));
  }

  std::string assign(std::string_view name, std::string_view value) const override {
    return "$" + std::string(name) + " = " + std::string(value);
  }
};

}  // namespace

std::shared_ptr<const Translator> make_powershell_translator() {
  return std::make_shared<PowershellTranslator>();
}

}  // namespace nbexec::params::detail
