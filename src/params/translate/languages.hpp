#pragma once

#include <nbexec/params/translate/translator.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace nbexec::params::detail {

// The built-in languages, one file each; translator_registry.cpp registers them under
// papermill's names.
std::shared_ptr<const Translator> make_python_translator();      // python_translator.cpp
std::shared_ptr<const Translator> make_r_translator();           // r_translator.cpp
std::shared_ptr<const Translator> make_scala_translator();       // scala_translator.cpp
std::shared_ptr<const Translator> make_julia_translator();       // julia_translator.cpp
std::shared_ptr<const Translator> make_matlab_translator();      // matlab_translator.cpp
std::shared_ptr<const Translator> make_csharp_translator();      // csharp_translator.cpp
std::shared_ptr<const Translator> make_fsharp_translator();      // fsharp_translator.cpp
std::shared_ptr<const Translator> make_powershell_translator();  // powershell_translator.cpp
std::shared_ptr<const Translator> make_bash_translator();        // bash_translator.cpp

// ", ".join(translator.translate(v) for v in list).
std::string join_items(const Translator& translator, const nlohmann::ordered_json& list,
                       std::string_view separator);

// separator.join(f"{translate_str(k)}{between}{translate(v)}" for k, v in dict.items()).
std::string join_pairs(const Translator& translator, const nlohmann::ordered_json& dict,
                       std::string_view between, std::string_view separator);

// Rewrites escapes in unicode_escape's output for languages that read some differently:
// \xHH becomes \u00HH (all of them, or only from 0x80 where \x writes a raw byte), and
// \UHHHHHHHH a UTF-16 surrogate pair where the language has no \U.
struct Reescape {
  bool high_x_as_u = false;
  bool all_x_as_u = false;
  bool astral_as_surrogates = false;
};
std::string reescape(std::string_view escaped, Reescape how);

// `text` with every `from` replaced by `to`.
std::string replace_all(std::string_view text, std::string_view from, std::string_view to);

// Scala, C# and F# add an L suffix outside int32, as papermill does.
bool outside_int32(const nlohmann::ordered_json& integer);
// Above INT64_MAX: a JSON uint64 that no Long/long/int64 literal holds.
bool above_int64(const nlohmann::ordered_json& integer);

}  // namespace nbexec::params::detail
