#include "params/translate/languages.hpp"

#include <cmath>

namespace nbexec::params::detail {
namespace {

// papermill's JuliaTranslator.
class JuliaTranslator final : public Translator {
 public:
  std::string language_name() const override { return "Julia"; }

  std::string translate_none() const override { return "nothing"; }

  // papermill's "\xe9" is a raw byte in Julia (invalid UTF-8), not "é", and its "$x"
  // interpolates a variable.
  std::string translate_escaped_str(std::string_view text) const override {
    const auto escaped = reescape(unicode_escape(text), {.high_x_as_u = true});
    return "\"" + replace_all(replace_all(escaped, "\"", "\\\""), "$", "\\$") + "\"";
  }

  // papermill writes Python's nan/inf, which Julia reads as undefined names.
  std::string translate_float(double value) const override {
    if (std::isfinite(value)) return Translator::translate_float(value);
    if (std::isnan(value)) return "NaN";
    return value < 0 ? "-Inf" : "Inf";
  }

  std::string translate_dict(const nlohmann::ordered_json& value) const override {
    return "Dict(" + join_pairs(*this, value, " => ", ", ") + ")";
  }

  std::string translate_list(const nlohmann::ordered_json& value) const override {
    return "[" + join_items(*this, value, ", ") + "]";
  }

  std::string comment(std::string_view text) const override {
    return strip("# " + std::string(text));
  }
};

}  // namespace

std::shared_ptr<const Translator> make_julia_translator() {
  return std::make_shared<JuliaTranslator>();
}

}  // namespace nbexec::params::detail
