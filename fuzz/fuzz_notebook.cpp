// Notebook text from anywhere: read as JSON, validated, parsed into a Notebook, written back.
//
// Asserts: only NotebookError escapes reading and parsing; validation and writing never throw;
// the input read as the tail of a 64 KiB string reads as it does alone (check_long_string_path,
// for inputs whose length is a multiple of 16);
// a notebook that parsed is written and read back to the same document (minus the transient
// fields nbformat never stores) and written again to the same bytes; a document validation
// accepts also parses, and its written form validates too.

#include <nbexec/error.hpp>
#include <nbexec/notebook/read.hpp>
#include <nbexec/notebook/validate.hpp>
#include <nbexec/notebook/write.hpp>

#include "fuzz_support.hpp"

namespace {

using nbexec::notebook::json;

// The document as serialize_notebook means to store it: strip_transient applied.
json without_transient(json doc) {
  if (auto metadata = doc.find("metadata"); metadata != doc.end() && metadata->is_object()) {
    for (const char* key : {"orig_nbformat", "orig_nbformat_minor", "signature"})
      metadata->erase(key);
  }
  if (auto cells = doc.find("cells"); cells != doc.end() && cells->is_array()) {
    for (auto& cell : *cells) {
      if (!cell.is_object()) continue;
      if (auto metadata = cell.find("metadata"); metadata != cell.end() && metadata->is_object())
        metadata->erase("trusted");
    }
  }
  return doc;
}

std::string describe(const std::vector<nbexec::notebook::Diagnostic>& findings) {
  std::string out;
  for (const auto& finding : findings) out += finding.path + ": " + finding.message + "\n";
  return out;
}

// Strings of 64 KiB or more take their own path in the reader (reserved at their raw length,
// which is found by looking ahead for the closing quote). The input as the rest of a string
// that starts with such a plain run must read as it reads without the run, with the run
// prepended to that first string, or fail as it fails.
void check_long_string_path(std::string_view text) {
  namespace nb = nbexec::notebook;
  const std::string run(std::size_t{1} << 16, 'a');
  const std::string plain = "[\"" + std::string(text) + "\"]";
  const std::string longer = "[\"" + run + std::string(text) + "\"]";
  json expected;
  json actual;
  bool expected_ok = true;
  bool actual_ok = true;
  try {
    expected = nb::read_json_text(plain, "plain.ipynb");
  } catch (const nbexec::NotebookError&) {
    expected_ok = false;
  }
  try {
    actual = nb::read_json_text(longer, "longer.ipynb");
  } catch (const nbexec::NotebookError&) {
    actual_ok = false;
  }
  NBEXEC_FUZZ_CHECK(expected_ok == actual_ok, "a 64 KiB run changed whether this reads");
  if (!expected_ok) return;
  NBEXEC_FUZZ_CHECK(expected.is_array() && actual.is_array() && !expected.empty() &&
                        expected.size() == actual.size() && expected[0].is_string(),
                    "the string did not stay the first element");
  expected[0] = run + expected[0].get<std::string>();
  NBEXEC_FUZZ_CHECK(nbexec::fuzz::same_json(expected, actual),
                    "a 64 KiB run changed what this reads as");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace nb = nbexec::notebook;
  const std::string_view text = nbexec::fuzz::as_text(data, size);
  // Sixteen times the text is costly under the sanitizers (8x fewer inputs a second when done
  // for all); one input in 16, by length, keeps the notebook walk's pace.
  if (size % 16 == 0) check_long_string_path(text);

  json document;
  try {
    document = nb::read_json_text(text, "fuzz.ipynb");
  } catch (const nbexec::NotebookError&) {
    return 0;
  }
  const auto findings = nb::validate_notebook(document);
  for (const auto& finding : findings) {
    NBEXEC_FUZZ_CHECK(finding.path.empty() || finding.path.front() == '/', finding.path);
    NBEXEC_FUZZ_CHECK(!finding.message.empty(), finding.path);
  }

  nb::Notebook notebook;
  try {
    notebook = nb::parse_notebook(document, "fuzz.ipynb");
  } catch (const nbexec::NotebookError& error) {
    NBEXEC_FUZZ_CHECK(!findings.empty(), std::string("valid per validate_notebook, refused by "
                                                     "parse_notebook: ") +
                                             error.what());
    return 0;
  }
  // The accessors promise "" or 0 rather than an exception, whatever the metadata holds.
  (void)notebook.kernel_name();
  (void)notebook.language();
  (void)notebook.nbformat();
  (void)notebook.nbformat_minor();
  (void)nb::find_tagged_cell(notebook, "parameters");

  const std::string first = nb::serialize_notebook(notebook);
  nb::Notebook reread;
  try {
    reread = nb::parse_notebook_text(first, "written.ipynb");
  } catch (const nbexec::NotebookError& error) {
    NBEXEC_FUZZ_CHECK(
        false, std::string("written notebook does not read back: ") + error.what() + "\n" + first);
  }
  NBEXEC_FUZZ_CHECK(
      nbexec::fuzz::same_json(reread.document(), without_transient(notebook.document())), first);
  const std::string second = nb::serialize_notebook(reread);
  NBEXEC_FUZZ_CHECK(first == second, first + "\n-- then --\n" + second);

  if (findings.empty()) {
    const auto written = nb::validate_notebook(nb::read_json_text(first, "written.ipynb"));
    NBEXEC_FUZZ_CHECK(written.empty(), describe(written));
  }

  // What nbexec does to every notebook papermill-style before running it must not throw.
  nb::upgrade_to_current_minor(reread);
  nb::normalize_cell_ids(reread);
  (void)nb::serialize_notebook(reread);
  return 0;
}
