#pragma once
// Helpers shared by the parameter-inspection tests of every language: the four fields
// papermill reports for a parameter, compared one by one so that a failure names the field.

#include <catch2/catch.hpp>

#include <nbexec/params/inspect/inspect.hpp>

#include <string_view>

namespace nbexec_test {

// What papermill's inspect_notebook says about a parameter.
struct PapermillFields {
  std::string_view name;
  std::string_view type;
  std::string_view default_text;
  std::string_view help;
};

inline void check_papermill_fields(const nbexec::params::ParameterInfo& got,
                                   const PapermillFields& expected) {
  CHECK(got.name == expected.name);
  CHECK(got.inferred_type_name == expected.type);
  CHECK(got.default_text == expected.default_text);
  CHECK(got.help == expected.help);
}

}  // namespace nbexec_test
