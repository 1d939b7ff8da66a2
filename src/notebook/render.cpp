// The HTML page of a notebook: head (policy, title, style) and one block per cell. Markdown,
// outputs and terminal text have files of their own (render_*.cpp).
#include <nbexec/notebook/render.hpp>

#include "render_ansi.hpp"
#include "render_escape.hpp"
#include "render_markdown.hpp"
#include "render_outputs.hpp"
#include "render_style.hpp"

#include <optional>

namespace nbexec::notebook {
namespace {

using json = nlohmann::json;
using detail::html_escape;

constexpr std::string_view error_marker_tag = "papermill-error-cell-tag";
constexpr std::string_view error_anchor = "papermill-error-cell";

bool jupyter_flag(const json& cell, const char* key) {
  const auto metadata = cell.find("metadata");
  if (metadata == cell.end() || !metadata->is_object()) return false;
  const auto jupyter = metadata->find("jupyter");
  if (jupyter == metadata->end() || !jupyter->is_object()) return false;
  const auto flag = jupyter->find(key);
  return flag != jupyter->end() && flag->is_boolean() && flag->get<bool>();
}

bool has_error_output(const json& cell) {
  const auto outputs = cell.find("outputs");
  if (outputs == cell.end() || !outputs->is_array()) return false;
  for (const auto& output : *outputs) {
    if (output.is_object() && output.value("output_type", json()) == "error") return true;
  }
  return false;
}

std::string prompt_number(const json& cell) {
  const auto count = cell.find("execution_count");
  if (count != cell.end() && count->is_number_integer()) return std::to_string(count->get<long>());
  return " ";
}

std::string prompt(std::string_view label, const std::string& number, std::string_view css) {
  return "<div class=\"prompt" + std::string(css) + "\">" + std::string(label) + "[" +
         html_escape(number) + "]:</div>";
}

struct Page {
  const json& cells;
  std::optional<std::size_t> failing;  // the first code cell with an error output
  std::string html;
};

// papermill's two banner cells are HTML inside markdown (a link at the top, an anchor before
// the failing cell). Raw HTML in markdown is shown as text, so the page writes them itself, with
// a link it makes to the failing cell rather than the cell's own markup.
bool append_papermill_banner(Page& page, const json& cell) {
  if (!cell_has_tag(cell, error_marker_tag)) return false;
  const std::string source = cell_source(cell);
  if (source.find("id=\"papermill-error-cell\"") != std::string::npos) {
    page.html +=
        "<div class=\"cell papermill-banner\">Execution using papermill encountered "
        "an exception here and stopped:</div>\n";
    return true;
  }
  if (source.find("href=\"#papermill-error-cell\"") == std::string::npos) return false;
  page.html += "<div class=\"cell papermill-banner\">An Exception was encountered at ";
  if (page.failing) {
    page.html += "<a href=\"#" + std::string(error_anchor) + "\">In [" +
                 html_escape(prompt_number(page.cells[*page.failing])) + "]</a>";
  } else {
    page.html += "a cell";
  }
  page.html += ".</div>\n";
  return true;
}

void append_markdown_cell(Page& page, const json& cell) {
  if (append_papermill_banner(page, cell)) return;
  if (jupyter_flag(cell, "source_hidden")) return;
  const auto attachments = cell.find("attachments");
  page.html += "<div class=\"cell markdown\">";
  page.html +=
      detail::render_markdown(cell_source(cell), attachments != cell.end() ? *attachments : json());
  page.html += "</div>\n";
}

void append_code_cell(Page& page, const json& cell, std::size_t index) {
  const bool failed = has_error_output(cell);
  page.html += failed ? "<div class=\"cell code error\"" : "<div class=\"cell code\"";
  if (page.failing == index) page.html += " id=\"" + std::string(error_anchor) + "\"";
  page.html += ">\n";
  const std::string number = prompt_number(cell);
  if (!jupyter_flag(cell, "source_hidden")) {
    page.html += "<div class=\"input\">" + prompt("In ", number, "") + "<pre class=\"source\">" +
                 html_escape(cell_source(cell)) + "</pre></div>\n";
  }
  const auto outputs = cell.find("outputs");
  if (!jupyter_flag(cell, "outputs_hidden") && outputs != cell.end() && outputs->is_array()) {
    for (const auto& output : *outputs) {
      const std::string body = detail::render_output(output);
      if (body.empty()) continue;
      const bool result = output.value("output_type", json()) == "execute_result";
      page.html += "<div class=\"output-area\">";
      page.html += result ? prompt("Out", number, " out") : "<div class=\"prompt\"></div>";
      page.html += "<div class=\"output\">" + body + "</div></div>\n";
    }
  }
  page.html += "</div>\n";
}

// Raw cells meant as HTML are untrusted markup like an HTML output; other raw cells are not
// shown (as nbconvert's HTML exporter does).
void append_raw_cell(Page& page, const json& cell) {
  const auto metadata = cell.find("metadata");
  if (metadata == cell.end() || !metadata->is_object()) return;
  const json format = metadata->value("format", metadata->value("raw_mimetype", json()));
  if (format != "text/html" || jupyter_flag(cell, "source_hidden")) return;
  page.html +=
      "<div class=\"cell raw\">" + detail::sandboxed_iframe(cell_source(cell)) + "</div>\n";
}

}  // namespace

std::string render_html(const Notebook& nb, const RenderOptions& options) {
  static const json no_cells = json::array();
  const auto& document = nb.document();
  const auto found = document.is_object() ? document.find("cells") : document.end();
  const json& cells =
      document.is_object() && found != document.end() && found->is_array() ? *found : no_cells;
  Page page{cells, std::nullopt, {}};
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (cells[i].is_object() && cells[i].value("cell_type", json()) == "code" &&
        has_error_output(cells[i])) {
      page.failing = i;
      break;
    }
  }
  const std::string title = options.title.empty() ? "notebook" : options.title;
  page.html.reserve(16384);
  page.html +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"";
  page.html += detail::page_security_policy();
  page.html +=
      "\">\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"nbexec\">\n<title>";
  page.html += html_escape(title);
  page.html += "</title>\n<style>";
  page.html += detail::page_style();
  page.html += "</style>\n</head>\n<body>\n<main class=\"notebook\">\n";
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const json& cell = cells[i];
    if (!cell.is_object()) continue;
    const json kind = cell.value("cell_type", json());
    if (kind == "markdown") {
      append_markdown_cell(page, cell);
    } else if (kind == "code") {
      append_code_cell(page, cell, i);
    } else if (kind == "raw") {
      append_raw_cell(page, cell);
    }
  }
  page.html += "</main>\n</body>\n</html>\n";
  return std::move(page.html);
}

}  // namespace nbexec::notebook
