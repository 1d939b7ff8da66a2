#include "execute/output_builder.hpp"

#include <nbexec/notebook/lines.hpp>

#include "core/json_fields.hpp"

#include <cmath>
#include <cstdint>

namespace nbexec::execute {

namespace {

const json& field(const json& content, const char* key) {
  static const json empty_object = json::object();
  auto it = content.find(key);
  return it == content.end() ? empty_object : *it;
}

// nbclient reads transient.display_id defensively (transient may be absent or null) and takes
// any truthy value as an id: IPython passes display(obj, display_id=5) through unchanged, so a
// number is an id too. The returned key is empty for "no id"; otherwise it compares as Python
// compares dict keys: "5" and 5 differ, 5, 5.0 and True are the same key. Arrays and objects
// (unhashable, nbclient fails on them) count as no id.
std::string display_id_of(const json& content) {
  auto transient = content.find("transient");
  if (transient == content.end() || !transient->is_object()) return {};
  auto id = transient->find("display_id");
  if (id == transient->end()) return {};
  if (id->is_string()) {
    const auto& text = id->get_ref<const std::string&>();
    return text.empty() ? std::string() : "s:" + text;
  }
  if (id->is_boolean()) return id->get<bool>() ? "n:1" : std::string();
  if (id->is_number_integer() || id->is_number_unsigned()) {
    return *id == 0 ? std::string() : "n:" + id->dump();
  }
  if (id->is_number_float()) {
    const double value = id->get<double>();
    if (value == 0.0) return {};
    constexpr double int64_limit = 9223372036854775808.0;  // 2^63
    if (std::isfinite(value) && std::trunc(value) == value && value > -int64_limit &&
        value < int64_limit) {
      return "n:" + std::to_string(static_cast<std::int64_t>(value));
    }
    return "n:" + id->dump();
  }
  return {};
}

// Field types nbformat's schema requires of an output; a message that breaks them would make
// the saved notebook invalid, so it yields no output (nbclient copies such fields as they come
// and leaves nbformat to refuse the result when it is read again).
bool holds(const json& content, const char* key, bool (*ok)(const json&)) {
  const auto it = content.find(key);
  return it == content.end() || ok(*it);
}

bool is_string(const json& value) {
  return value.is_string();
}
bool is_object(const json& value) {
  return value.is_object();
}
bool is_string_list(const json& value) {
  return value.is_array() && notebook::is_multiline(value);
}

// nbformat: an integer of at least 0, or null.
bool is_execution_count(const json& value) {
  return value.is_null() || value.is_number_unsigned() ||
         (value.is_number_integer() && value.get<std::int64_t>() >= 0);
}

}  // namespace

json output_from_message(const std::string& msg_type, const json& content) {
  if (!content.is_object()) return json();
  if (msg_type == "stream") {
    if (!holds(content, "name", is_string) || !holds(content, "text", notebook::is_multiline))
      return json();
    const auto text = content.find("text");
    return json{{"output_type", "stream"},
                {"name", nbexec::detail::string_field(content, "name", "stdout")},
                {"text", text == content.end() ? std::string() : notebook::join_lines(*text)}};
  }
  if (msg_type == "display_data" || msg_type == "execute_result") {
    if (!holds(content, "data", is_object) || !holds(content, "metadata", is_object)) return json();
    json output{{"output_type", msg_type},
                {"data", field(content, "data")},
                {"metadata", field(content, "metadata")}};
    if (msg_type == "display_data") return output;
    if (!holds(content, "execution_count", is_execution_count)) return json();
    output["execution_count"] = nbexec::detail::any_field(content, "execution_count");
    return output;
  }
  if (msg_type == "error") {
    if (!holds(content, "ename", is_string) || !holds(content, "evalue", is_string) ||
        !holds(content, "traceback", is_string_list))
      return json();
    return json{{"output_type", "error"},
                {"ename", nbexec::detail::string_field(content, "ename")},
                {"evalue", nbexec::detail::string_field(content, "evalue")},
                {"traceback", nbexec::detail::any_field(content, "traceback", json::array())}};
  }
  return json();
}

void OutputBuilder::begin_cell(json& cell, std::size_t cell_index) {
  cell["outputs"] = json::array();
  clear_before_next_output_ = false;
  for (auto& [id, cells] : display_ids_) cells.erase(cell_index);
}

void OutputBuilder::clear_outputs(json& cell, std::size_t cell_index) {
  cell["outputs"] = json::array();
  for (auto& [id, cells] : display_ids_) {
    auto it = cells.find(cell_index);
    if (it != cells.end()) it->second.clear();
  }
}

void OutputBuilder::update_display(const std::string& display_id, const json& content,
                                   json& cells) {
  auto map = display_ids_.find(display_id);
  if (map == display_ids_.end()) return;
  for (const auto& [cell_index, output_indices] : map->second) {
    if (cell_index >= cells.size()) continue;
    json& outputs = cells[cell_index]["outputs"];
    for (std::size_t output_index : output_indices) {
      if (output_index >= outputs.size()) continue;
      outputs[output_index]["data"] = field(content, "data");
      outputs[output_index]["metadata"] = field(content, "metadata");
    }
  }
}

bool OutputBuilder::extend_last_stream(json& cell, const std::string& name,
                                       const std::string& text) const {
  if (clear_before_next_output_) return false;
  auto outputs = cell.find("outputs");
  if (outputs == cell.end() || !outputs->is_array() || outputs->empty()) return false;
  json& last = outputs->back();
  const auto last_text = last.find("text");
  if (nbexec::detail::string_field(last, "output_type") != "stream" ||
      nbexec::detail::string_field(last, "name") != name || last_text == last.end() ||
      !last_text->is_string()) {
    return false;
  }
  last_text->get_ref<std::string&>() += text;
  return true;
}

const json* OutputBuilder::handle(const protocol::Message& message, json& cells,
                                  std::size_t cell_index) {
  const std::string msg_type = message.msg_type();
  const json& content = message.content;
  if (!content.is_object()) return nullptr;
  json& cell = cells[cell_index];

  const std::string display_id = display_id_of(content);
  if (!display_id.empty() &&
      (msg_type == "execute_result" || msg_type == "display_data" ||
       msg_type == "update_display_data") &&
      holds(content, "data", is_object) && holds(content, "metadata", is_object)) {
    update_display(display_id, content, cells);
  }
  if (auto count = content.find("execution_count");
      count != content.end() && is_execution_count(*count)) {
    cell["execution_count"] = *count;
  }

  if (msg_type == "status" || msg_type == "execute_input" || msg_type == "update_display_data" ||
      msg_type.rfind("comm", 0) == 0) {
    return nullptr;
  }
  if (msg_type == "clear_output") {
    if (nbexec::detail::bool_field(content, "wait", false)) {
      clear_before_next_output_ = true;
    } else {
      clear_outputs(cell, cell_index);
    }
    return nullptr;
  }

  json output = output_from_message(msg_type, content);
  if (output.is_null()) return nullptr;  // nbclient logs "unhandled iopub msg" and goes on

  if (clear_before_next_output_) {
    clear_outputs(cell, cell_index);
    clear_before_next_output_ = false;
  }
  json& outputs = cell["outputs"];
  if (!display_id.empty()) display_ids_[display_id][cell_index].push_back(outputs.size());
  outputs.push_back(std::move(output));
  return &outputs.back();
}

}  // namespace nbexec::execute
