#include "params/translate/languages.hpp"

#include <cmath>

namespace nbexec::params::detail {
namespace {

// papermill's FSharpTranslator.
class FSharpTranslator final : public Translator {
 public:
  std::string language_name() const override { return "F#"; }

  std::string translate_int(const nlohmann::ordered_json& value) const override {
    const std::string text = translate_raw_str(value.dump());
    // papermill's L suffix makes an int64, which overflows above 2**63-1; UL is a uint64.
    if (above_int64(value)) return text + "UL";
    return outside_int32(value) ? text + "L" : text;
  }

  // F# has nan but spells infinity out; papermill writes Python's inf.
  std::string translate_float(double value) const override {
    if (std::isfinite(value)) return Translator::translate_float(value);
    if (std::isnan(value)) return "nan";
    return value < 0 ? "-infinity" : "infinity";
  }

  std::string translate_dict(const nlohmann::ordered_json& value) const override {
    std::string tuples;
    for (const auto& [key, item] : value.items()) {
      if (!tuples.empty()) tuples += "; ";
      tuples += "(" + translate_str(key) + ", " + translate(item) + " :> IComparable)";
    }
    return "[ " + tuples + " ] |> Map.ofList";
  }

  std::string translate_list(const nlohmann::ordered_json& value) const override {
    return "[ " + join_items(*this, value, "; ") + " ]";
  }

  std::string comment(std::string_view text) const override {
    return strip("(* " + std::string(text) + " *)");
  }

  std::string assign(std::string_view name, std::string_view value) const override {
    return "let " + std::string(name) + " = " + std::string(value);
  }
};

}  // namespace

std::shared_ptr<const Translator> make_fsharp_translator() {
  return std::make_shared<FSharpTranslator>();
}

}  // namespace nbexec::params::detail
