#include "params/translate/languages.hpp"

#include <cmath>

namespace nbexec::params::detail {
namespace {

// papermill's CSharpTranslator.
class CSharpTranslator final : public Translator {
 public:
  std::string language_name() const override { return "C#"; }

  // C#'s \x takes one to four hex digits, so papermill's "\x01a" is U+001A, not "\x01" "a".
  std::string translate_escaped_str(std::string_view text) const override {
    const auto escaped = reescape(unicode_escape(text), {.all_x_as_u = true});
    return "\"" + replace_all(escaped, "\"", "\\\"") + "\"";
  }

  // papermill raises NotImplementedError: var needs a type, and null has none.
  std::string translate_none() const override { unsupported("None (null)"); }

  // A literal above long.MaxValue with an L suffix is a ulong, so papermill's text is valid.
  std::string translate_int(const nlohmann::ordered_json& value) const override {
    const std::string text = translate_raw_str(value.dump());
    return outside_int32(value) ? text + "L" : text;
  }

  // papermill writes Python's nan/inf, which C# reads as undefined names.
  std::string translate_float(double value) const override {
    if (std::isfinite(value)) return Translator::translate_float(value);
    if (std::isnan(value)) return "double.NaN";
    return value < 0 ? "double.NegativeInfinity" : "double.PositiveInfinity";
  }

  std::string translate_dict(const nlohmann::ordered_json& value) const override {
    std::string pairs;
    for (const auto& [key, item] : value.items()) {
      if (!pairs.empty()) pairs += ", ";
      pairs += "{ " + translate_str(key) + " , " + translate(item) + " }";
    }
    return "new Dictionary<string,Object>{ " + pairs + " }";
  }

  std::string translate_list(const nlohmann::ordered_json& value) const override {
    return "new [] { " + join_items(*this, value, ", ") + " }";
  }

  std::string comment(std::string_view text) const override {
    return strip("// " + std::string(text));
  }

  std::string assign(std::string_view name, std::string_view value) const override {
    return "var " + std::string(name) + " = " + std::string(value) + ";";
  }
};

}  // namespace

std::shared_ptr<const Translator> make_csharp_translator() {
  return std::make_shared<CSharpTranslator>();
}

}  // namespace nbexec::params::detail
