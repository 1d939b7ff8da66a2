// read_scraps: the values a notebook recorded in its outputs. The rules are those of
// python/nbexec/scraps.py's read_scraps, so a sweep's summary and the Python reader agree on
// every notebook; keep the two in step.
#include <nbexec/sweep.hpp>

#include <algorithm>
#include <string>
#include <string_view>

namespace nbexec {
namespace {

using json = nlohmann::json;

constexpr std::string_view glue_prefix = "application/scrapbook.scrap";
constexpr std::string_view record_prefix = "application/papermill.record";

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Python's str() of a JSON value, for the text encoder given data that is not a string:
// True/False/None as Python spells them; numbers, lists and objects as JSON text (Python's
// repr of a dict differs in quotes and spacing; no encoder nbexec or scrapbook writes gets
// here).
std::string python_str(const json& value) {
  if (value.is_boolean()) return value.get<bool>() ? "True" : "False";
  if (value.is_null()) return "None";
  return value.dump();
}

// scrapbook's decoders: json reads a JSON string (left as it is when it is not JSON), text
// makes a string; other encoders' data (pandas, arrow) stays as stored.
json decode(std::string_view encoder, const json& data) {
  if (encoder == "json" && data.is_string()) {
    json parsed = json::parse(data.get_ref<const std::string&>(), nullptr, false);
    return parsed.is_discarded() ? data : parsed;
  }
  if (encoder == "text" && !data.is_string()) return python_str(data);
  return data;
}

// One output's scraps into `scraps`, in the order of its MIME bundle.
void add_output_scraps(const json& output, json& scraps) {
  if (!output.is_object()) return;
  const auto data = output.find("data");
  if (data == output.end() || !data->is_object()) return;
  for (auto it = data->begin(); it != data->end(); ++it) {
    const std::string& mime = it.key();
    const json& payload = it.value();
    if (starts_with(mime, record_prefix)) {
      // papermill 1.x's pm.record: {name: value}, its first key only; the encoder is what
      // follows the prefix's "+" ("json" for application/papermill.record+json).
      if (!payload.is_object() || payload.empty()) continue;
      std::string_view encoder =
          std::string_view(mime).substr(std::min(mime.size(), record_prefix.size() + 1));
      encoder = encoder.substr(0, encoder.find('+'));
      scraps[payload.begin().key()] = decode(encoder, payload.begin().value());
    } else if (starts_with(mime, glue_prefix)) {
      if (!payload.is_object()) continue;
      const auto name = payload.find("name");
      // A name that is not a string cannot be an object key; scrapbook writes only strings.
      if (name == payload.end() || !name->is_string()) continue;
      const auto encoder = payload.find("encoder");
      const std::string encoder_name = encoder != payload.end() && encoder->is_string()
                                           ? encoder->get<std::string>()
                                           : std::string();
      const auto found = payload.find("data");
      const json value = found == payload.end() ? json(nullptr) : *found;
      const auto reference = payload.find("reference");
      // Display-only scraps have no data; scrapbook's data_dict leaves them out too.
      if (value.is_null() && (reference == payload.end() || reference->is_null())) continue;
      scraps[name->get<std::string>()] = decode(encoder_name, value);
    }
  }
}

}  // namespace

json read_scraps(const notebook::Notebook& notebook) {
  json scraps = json::object();
  const json& document = notebook.document();
  const auto cells = document.find("cells");
  if (cells == document.end() || !cells->is_array()) return scraps;
  // Every cell with outputs, as the Python reader walks them: a later record of a name wins.
  for (const json& cell : *cells) {
    if (!cell.is_object()) continue;
    const auto outputs = cell.find("outputs");
    if (outputs == cell.end() || !outputs->is_array()) continue;
    for (const json& output : *outputs) add_output_scraps(output, scraps);
  }
  return scraps;
}

}  // namespace nbexec
