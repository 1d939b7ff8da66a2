#include "params/translate/languages.hpp"

#include <cmath>

namespace nbexec::params::detail {
namespace {

// papermill's ScalaTranslator.
class ScalaTranslator final : public Translator {
 public:
  std::string language_name() const override { return "Scala"; }

  // Scala (like Java) has neither \x nor \U escapes: papermill's text does not compile.
  std::string translate_escaped_str(std::string_view text) const override {
    const auto escaped =
        reescape(unicode_escape(text), {.all_x_as_u = true, .astral_as_surrogates = true});
    return "\"" + replace_all(escaped, "\"", "\\\"") + "\"";
  }

  std::string translate_int(const nlohmann::ordered_json& value) const override {
    // papermill writes 18446744073709551615L, which overflows a Scala Long.
    if (above_int64(value)) unsupported("the integer " + value.dump() + " (above a Long)");
    const std::string text = translate_raw_str(value.dump());
    return outside_int32(value) ? text + "L" : text;
  }

  // papermill writes Python's nan/inf, which Scala reads as undefined names.
  std::string translate_float(double value) const override {
    if (std::isfinite(value)) return Translator::translate_float(value);
    if (std::isnan(value)) return "Double.NaN";
    return value < 0 ? "Double.NegativeInfinity" : "Double.PositiveInfinity";
  }

  std::string translate_dict(const nlohmann::ordered_json& value) const override {
    return "Map(" + join_pairs(*this, value, " -> ", ", ") + ")";
  }

  std::string translate_list(const nlohmann::ordered_json& value) const override {
    return "Seq(" + join_items(*this, value, ", ") + ")";
  }

  std::string comment(std::string_view text) const override {
    return strip("// " + std::string(text));
  }

  std::string assign(std::string_view name, std::string_view value) const override {
    return "val " + std::string(name) + " = " + std::string(value);
  }
};

}  // namespace

std::shared_ptr<const Translator> make_scala_translator() {
  return std::make_shared<ScalaTranslator>();
}

}  // namespace nbexec::params::detail
