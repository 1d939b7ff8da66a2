// The source of a notebook's parameters cell, read with the Python, R or Julia grammar.
//
// Input: a byte choosing the kernel name and language (table below), then the cell's source.
//
// Asserts: inspection never throws for these languages; every parameter has a name and, when
// its default was evaluated, a value of the kind it reports; the JSON Schema of the result is
// built and (for UTF-8 source) dumped without throwing; the notebook-level call agrees with the
// source-level one; a parameter's own default passes check_parameters when nothing else is
// declared; and an evaluated default rendered by the same language's translator reads back as
// the same value.

#include <nbexec/error.hpp>
#include <nbexec/params/check/check.hpp>
#include <nbexec/params/inspect/inspect.hpp>
#include <nbexec/params/translate/render.hpp>

#include <array>
#include <map>

#include "fuzz_support.hpp"

namespace {

namespace params = nbexec::params;
using nlohmann::ordered_json;

struct Kernel {
  const char* kernel_name;
  const char* language;
};

constexpr std::array<Kernel, 8> kernels{{{"python3", "python"},
                                         {"ir", "R"},
                                         {"julia-1.10", "julia"},
                                         {"pysparkkernel", ""},
                                         {"sparkrkernel", ""},
                                         {"", "Python"},
                                         {"", "r"},
                                         {"", "Julia"}}};

bool kind_matches(params::ValueKind reported, const ordered_json& value) {
  const params::ValueKind actual = params::kind_of_value(value);
  return reported == actual ||
         (reported == params::ValueKind::number && actual == params::ValueKind::integer);
}

std::string names_of(const std::vector<params::ParameterInfo>& found) {
  std::string out;
  for (const auto& info : found) out += info.name + "=" + info.default_text + "\n";
  return out;
}

void check_render_round_trip(const params::ParameterInfo& info, const Kernel& kernel) {
  if (!info.default_value) return;
  params::Parameters one = params::Parameters::object();
  one[info.name] = *info.default_value;
  std::string source;
  try {
    source = params::render_parameters_source(one, kernel.kernel_name, kernel.language);
  } catch (const nbexec::ParameterError&) {
    return;  // a value the language cannot express, or a name it does not take
  }
  const auto again = params::inspect_parameters_source(source, kernel.kernel_name, kernel.language);
  NBEXEC_FUZZ_CHECK(again.size() == 1 && again[0].name == info.name, source);
  NBEXEC_FUZZ_CHECK(again[0].default_value &&
                        nbexec::fuzz::same_json(*again[0].default_value, *info.default_value),
                    source + "\nfirst read: " + info.default_value->dump());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Kernel& kernel = kernels[data[0] % kernels.size()];
  const std::string_view source = nbexec::fuzz::as_text(data + 1, size - 1);

  std::vector<std::string> warnings;
  const auto found =
      params::inspect_parameters_source(source, kernel.kernel_name, kernel.language, &warnings);
  for (const auto& info : found) {
    NBEXEC_FUZZ_CHECK(!info.name.empty(), names_of(found));
    if (info.default_value)
      NBEXEC_FUZZ_CHECK(kind_matches(info.default_kind, *info.default_value),
                        info.name + " = " + info.default_text);
  }

  params::NotebookParameters declared;
  declared.has_parameters_cell = true;
  declared.language = kernel.language;
  declared.parameters = found;
  const ordered_json schema = params::parameters_json_schema(declared, "fuzz");
  const bool utf8 = nbexec::fuzz::is_valid_utf8(source);
  if (utf8) (void)schema.dump();

  // A notebook holds only valid UTF-8 (its JSON reader sees to that).
  if (utf8) {
    nbexec::notebook::Notebook nb;
    auto cell = nbexec::notebook::new_code_cell(std::string(source), 5);
    cell["metadata"]["tags"] = {"parameters"};
    nb.cells().push_back(cell);
    nb.metadata()["kernelspec"] = {
        {"name", kernel.kernel_name}, {"language", kernel.language}, {"display_name", "fuzz"}};
    const auto from_notebook = params::inspect_notebook_parameters(nb);
    NBEXEC_FUZZ_CHECK(from_notebook.has_parameters_cell, "");
    NBEXEC_FUZZ_CHECK(names_of(from_notebook.parameters) == names_of(found), names_of(found));
  }

  // The last definition of a name is the one that counts; its own default must pass.
  std::map<std::string, const params::ParameterInfo*> last;
  for (const auto& info : found) last[info.name] = &info;
  params::Parameters supplied = params::Parameters::object();
  for (const auto& [name, info] : last) {
    if (info->declared_kind == params::ValueKind::unknown && info->default_value)
      supplied[name] = *info->default_value;
  }
  const auto problems = params::check_parameters(supplied, declared);
  NBEXEC_FUZZ_CHECK(problems.empty(), problems.empty() ? "" : problems[0].message);

  for (const auto& [name, info] : last) check_render_round_trip(*info, kernel);
  return 0;
}
