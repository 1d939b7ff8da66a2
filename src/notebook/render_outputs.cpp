#include "render_outputs.hpp"

#include "render_ansi.hpp"
#include "render_escape.hpp"
#include "render_markdown.hpp"

#include <algorithm>
#include <array>

namespace nbexec::notebook::detail {
namespace {

using json = nlohmann::json;

constexpr std::array<std::string_view, 10> mime_order = {
    "text/html",  "image/svg+xml",   "image/png",  "image/jpeg",
    "image/gif",  "text/markdown",   "text/latex", "application/javascript",
    "text/plain", "application/json"};

// What an iframe's document starts with: the page's policy again (the iframe inherits it too,
// this says it where the markup is) and a readable default style.
constexpr std::string_view frame_head =
    "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" "
    "content=\"default-src 'none'; script-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "form-action 'none'; base-uri 'none'\"><meta charset=\"utf-8\"><style>body{margin:4px;"
    "font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:14px}"
    "table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd}"
    "</style></head><body>";

// A height for the iframe from the rows the markup is likely to take; the user can resize.
int frame_height(std::string_view html) {
  std::size_t rows = 1;
  for (const std::string_view mark : {"<tr", "<br", "<p", "<li", "<div", "<h", "\n"}) {
    for (std::size_t at = html.find(mark); at != std::string_view::npos;
         at = html.find(mark, at + 1)) {
      ++rows;
    }
  }
  return static_cast<int>(std::clamp<std::size_t>(rows * 22 + 24, 60, 640));
}

std::string pre(std::string_view css_class, std::string_view escaped_body) {
  std::string out = "<pre class=\"";
  out += css_class;
  out += "\">";
  out += escaped_body;
  out += "</pre>";
  return out;
}

// An image's width and height from the output's metadata, when numbers.
std::string image_size(const json& output, std::string_view mime) {
  const auto metadata = output.find("metadata");
  if (metadata == output.end() || !metadata->is_object()) return "";
  const auto entry = metadata->find(std::string(mime));
  if (entry == metadata->end() || !entry->is_object()) return "";
  std::string out;
  for (const char* key : {"width", "height"}) {
    const auto value = entry->find(key);
    if (value == entry->end() || !value->is_number()) continue;
    const double pixels = value->get<double>();
    if (pixels >= 1 && pixels <= 100000) {  // in range before the conversion
      out += " " + std::string(key) + "=\"" + std::to_string(static_cast<long>(pixels)) + "\"";
    }
  }
  return out;
}

std::string render_mime(const json& output, std::string_view mime, const json& value) {
  const std::string text = field_text(value);
  if (mime == "text/html") return sandboxed_iframe(text);
  if (is_inline_image_mime(mime)) {
    const std::string uri = image_data_uri(mime, value);
    if (uri.empty()) return "";
    return "<img class=\"image-output\" alt=\"output image\"" + image_size(output, mime) +
           " src=\"" + uri + "\">";
  }
  if (mime == "text/markdown") return "<div class=\"markdown\">" + render_markdown(text) + "</div>";
  if (mime == "application/javascript") return pre("javascript", html_escape(text));
  if (mime == "text/plain") return pre("text", render_ansi(text));
  if (mime == "application/json") return pre("text", html_escape(value.dump(1)));
  return pre("text", html_escape(text));  // text/latex, shown as its source
}

std::string render_data(const json& output) {
  const auto data = output.find("data");
  if (data == output.end() || !data->is_object()) return "";
  for (const std::string_view mime : mime_order) {
    const auto found = data->find(std::string(mime));
    if (found != data->end()) return render_mime(output, mime, *found);
  }
  return "";
}

std::string string_field(const json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : "";
}

std::string render_error(const json& output) {
  std::string trace;
  const auto traceback = output.find("traceback");
  if (traceback != output.end() && traceback->is_array()) {
    for (const auto& line : *traceback) {
      if (!line.is_string()) continue;
      if (!trace.empty()) trace += '\n';
      trace += line.get<std::string>();
    }
  }
  if (trace.empty()) trace = string_field(output, "ename") + ": " + string_field(output, "evalue");
  return pre("error-output", render_ansi(trace));
}

}  // namespace

bool is_scrap_output(const json& output) {
  const auto data = output.find("data");
  if (data == output.end() || !data->is_object()) return false;
  return std::any_of(data->items().begin(), data->items().end(), [](const auto& item) {
    return item.key().starts_with("application/scrapbook.scrap") ||
           item.key().starts_with("application/papermill.record");
  });
}

std::string sandboxed_iframe(std::string_view html) {
  std::string document(frame_head);
  document += html;
  document += "</body></html>";
  std::string out = "<iframe class=\"html-output\" sandbox title=\"HTML output\" style=\"height:";
  out += std::to_string(frame_height(html));
  out += "px\" srcdoc=\"";
  append_escaped(out, document);
  out += "\"></iframe>";
  return out;
}

std::string render_output(const json& output) {
  if (!output.is_object() || is_scrap_output(output)) return "";
  const std::string kind = string_field(output, "output_type");
  if (kind == "stream") {
    const std::string name = string_field(output, "name") == "stderr" ? "stderr" : "stdout";
    return pre("stream " + name, render_ansi(field_text(output.value("text", json()))));
  }
  if (kind == "error") return render_error(output);
  if (kind == "execute_result" || kind == "display_data") return render_data(output);
  return "";
}

}  // namespace nbexec::notebook::detail
