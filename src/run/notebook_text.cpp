#include <nbexec/notebook_text.hpp>

#include <nbexec/error.hpp>
#include <nbexec/notebook/read.hpp>
#include <nbexec/notebook/write.hpp>

#include <optional>

namespace nbexec {
namespace {

// Python's reading (NaN, Infinity), without parse_notebook's repair of cell ids, so the
// validator sees the document as written.
std::optional<nlohmann::json> read_and_validate(std::string_view text,
                                                std::vector<NotebookFinding>& findings) {
  nlohmann::json document;
  try {
    document = notebook::read_json_text(text, "<string>");
  } catch (const NotebookError& error) {
    findings.push_back({"", error.what()});
    return std::nullopt;
  }
  findings = notebook::validate_notebook(document);
  return document;
}

}  // namespace

notebook::Notebook parse_notebook_text(std::string_view text, std::string_view origin) {
  return notebook::parse_notebook_text(text, std::string(origin));
}

std::string write_notebook_text(const notebook::Notebook& nb) {
  return notebook::serialize_notebook(nb);
}

std::vector<NotebookFinding> validate_notebook_text(std::string_view text) {
  std::vector<NotebookFinding> findings;
  read_and_validate(text, findings);
  return findings;
}

std::pair<std::vector<NotebookFinding>, std::string> validate_and_write_notebook_text(
    std::string_view text) {
  std::vector<NotebookFinding> findings;
  auto document = read_and_validate(text, findings);
  if (!findings.empty()) return {std::move(findings), std::string()};
  return {std::move(findings),
          notebook::serialize_notebook(notebook::parse_notebook(std::move(*document), "<string>"))};
}

}  // namespace nbexec
