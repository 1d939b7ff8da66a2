#include "params/translate/languages.hpp"

#include <nbexec/error.hpp>

#include <cmath>

namespace nbexec::params::detail {
namespace {

// papermill's RTranslator.
class RTranslator final : public Translator {
 public:
  std::string language_name() const override { return "R"; }

  std::string translate_none() const override { return "NULL"; }

  // papermill's "\xe9" is a raw Latin-1 byte in R, not "é"; R strings cannot hold NUL at all.
  std::string translate_escaped_str(std::string_view text) const override {
    if (text.find('\0') != std::string_view::npos) unsupported("strings holding a NUL character");
    const auto escaped = reescape(unicode_escape(text), {.high_x_as_u = true});
    return "\"" + replace_all(escaped, "\"", "\\\"") + "\"";
  }

  std::string translate_bool(bool value) const override { return value ? "TRUE" : "FALSE"; }

  // papermill writes Python's nan/inf, which R reads as undefined names.
  std::string translate_float(double value) const override {
    if (std::isfinite(value)) return Translator::translate_float(value);
    if (std::isnan(value)) return "NaN";
    return value < 0 ? "-Inf" : "Inf";
  }

  std::string translate_dict(const nlohmann::ordered_json& value) const override {
    return "list(" + join_pairs(*this, value, " = ", ", ") + ")";
  }

  std::string translate_list(const nlohmann::ordered_json& value) const override {
    return "list(" + join_items(*this, value, ", ") + ")";
  }

  std::string comment(std::string_view text) const override {
    return strip("# " + std::string(text));
  }

  // papermill drops leading underscores (R names cannot start with one); a name made only of
  // underscores would leave "= value", which papermill writes and R rejects.
  std::string assign(std::string_view name, std::string_view value) const override {
    const auto start = name.find_first_not_of('_');
    if (start == std::string_view::npos) {
      throw ParameterError("a name made only of underscores cannot be expressed in R");
    }
    return std::string(name.substr(start)) + " = " + std::string(value);
  }
};

}  // namespace

std::shared_ptr<const Translator> make_r_translator() {
  return std::make_shared<RTranslator>();
}

}  // namespace nbexec::params::detail
