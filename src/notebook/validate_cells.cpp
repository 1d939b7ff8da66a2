#include "json_path.hpp"
#include "validator.hpp"

#include <algorithm>
#include <map>

namespace nbexec::notebook::detail {

namespace {

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

void Validator::cell(const json& c, const std::string& path) {
  if (!c.is_object()) return type_error(path, "a cell (an object)", c);
  const auto type = c.find("cell_type");
  if (type == c.end()) return add(path, "missing required property \"cell_type\"");
  const std::string kind = type->is_string() ? type->get<std::string>() : "";
  if (kind != "code" && kind != "markdown" && kind != "raw") {
    if (future_) {  // an unrecognized cell from a newer minor version
      required(c, path, {"metadata"});
      if (const auto m = c.find("metadata"); m != c.end())
        cell_metadata(*m, child_path(path, "metadata"), "");
    } else if (!type->is_string()) {
      type_error(child_path(path, "cell_type"), "a string", *type);
    } else {
      add(child_path(path, "cell_type"),
          "unknown cell type \"" + kind + "\" (expected \"code\", \"markdown\" or \"raw\")");
    }
    return;
  }
  const bool code = kind == "code";
  const bool with_id = minor_ >= 5;
  const CellIds ids = with_id ? CellIds::allowed : CellIds::forbidden;
  if (with_id) required(c, path, {"id"});
  required(c, path, {"cell_type", "metadata", "source"});
  if (code) {
    required(c, path, {"outputs", "execution_count"});
    allowed(c, path, {"cell_type", "metadata", "source", "outputs", "execution_count"}, ids);
  } else {
    allowed(c, path, {"cell_type", "metadata", "source", "attachments"}, ids);
  }
  if (const auto id = c.find("id"); with_id && id != c.end()) cell_id(*id, child_path(path, "id"));
  if (const auto m = c.find("metadata"); m != c.end())
    cell_metadata(*m, child_path(path, "metadata"), kind);
  if (const auto source = c.find("source"); source != c.end())
    multiline(*source, child_path(path, "source"));
  if (const auto att = c.find("attachments"); !code && att != c.end()) {
    const std::string att_path = child_path(path, "attachments");
    if (!att->is_object()) {
      type_error(att_path, "an object", *att);
    } else {
      for (auto it = att->begin(); it != att->end(); ++it)
        mimebundle(*it, child_path(att_path, it.key()));
    }
  }
  if (!code) return;
  if (const auto outputs = c.find("outputs"); outputs != c.end()) {
    const std::string outputs_path = child_path(path, "outputs");
    if (!outputs->is_array()) {
      type_error(outputs_path, "an array of outputs", *outputs);
    } else {
      for (std::size_t j = 0; j < outputs->size(); ++j)
        output((*outputs)[j], child_path(outputs_path, j));
    }
  }
  execution_count(c, path);
}

void Validator::cell_id(const json& id, const std::string& path) {
  if (!id.is_string()) return type_error(path, "a string", id);
  const auto& text = id.get_ref<const std::string&>();
  const std::size_t length = code_points(text);
  if (length < 1 || length > 64)
    add(path, "a cell id is 1 to 64 characters long, found " + std::to_string(length));
  else if (!is_cell_id_text(text))
    add(path, "cell id " + id.dump() + " may only hold letters, digits, '-' and '_'");
}

// `kind` is "code", "markdown", "raw", or "" for a cell type from a newer minor version.
void Validator::cell_metadata(const json& m, const std::string& path, const std::string& kind) {
  if (!m.is_object()) return type_error(path, "an object", m);
  if (const auto name = m.find("name"); name != m.end()) {
    const auto single_line = [](std::string_view t) { return !t.empty() && no_newline(t); };
    if (!name->is_string() ||
        !python_anchored_match(name->get_ref<const std::string&>(), single_line))
      add(child_path(path, "name"), "expected a non-empty single-line string");
  }
  if (const auto t = m.find("tags"); t != m.end()) tags(*t, child_path(path, "tags"));
  if (kind.empty()) return;
  if (minor_ >= 3) object_field(m, path, "jupyter");  // official "jupyter" metadata: 4.3
  if (kind == "raw") string_field(m, path, "format");
  if (kind != "code") return;
  if (const auto execution = m.find("execution"); minor_ >= 4 && execution != m.end()) {
    const std::string execution_path = child_path(path, "execution");
    if (!execution->is_object()) {
      type_error(execution_path, "an object", *execution);
    } else {
      // patternProperties "^.*$": every key without an inner newline holds a timestamp string.
      for (auto it = execution->begin(); it != execution->end(); ++it)
        if (python_anchored_match(it.key(), no_newline) && !it->is_string())
          type_error(child_path(execution_path, it.key()), "a string (an ISO 8601 time)", *it);
    }
  }
  if (const auto collapsed = m.find("collapsed"); collapsed != m.end() && !collapsed->is_boolean())
    type_error(child_path(path, "collapsed"), "a boolean", *collapsed);
  if (const auto scrolled = m.find("scrolled");
      scrolled != m.end() && !scrolled->is_boolean() && *scrolled != "auto")
    add(child_path(path, "scrolled"), "expected true, false or \"auto\"");
}

void Validator::tags(const json& t, const std::string& path) {
  if (!t.is_array()) return type_error(path, "an array of strings", t);
  for (std::size_t i = 0; i < t.size(); ++i) {
    const json& tag = t[i];
    if (!tag.is_string() || tag.get_ref<const std::string&>().empty() ||
        tag.get_ref<const std::string&>().find(',') != std::string::npos) {
      add(child_path(path, i), "expected a non-empty string without commas");
      continue;
    }
    if (std::find(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(i), tag) !=
        t.begin() + static_cast<std::ptrdiff_t>(i))
      add(child_path(path, i), "tag " + tag.dump() + " appears twice (tags must be unique)");
  }
}

void Validator::output(const json& o, const std::string& path) {
  if (!o.is_object()) return type_error(path, "an output (an object)", o);
  const auto type = o.find("output_type");
  if (type == o.end()) return add(path, "missing required property \"output_type\"");
  const std::string kind = type->is_string() ? type->get<std::string>() : "";
  if (kind == "execute_result") {
    required(o, path, {"output_type", "data", "metadata", "execution_count"});
    allowed(o, path, {"output_type", "data", "metadata", "execution_count"});
    execution_count(o, path);
  } else if (kind == "display_data") {
    required(o, path, {"output_type", "data", "metadata"});
    allowed(o, path, {"output_type", "data", "metadata"});
  } else if (kind == "stream") {
    required(o, path, {"output_type", "name", "text"});
    allowed(o, path, {"output_type", "name", "text"});
    string_field(o, path, "name");
    if (const auto text = o.find("text"); text != o.end())
      multiline(*text, child_path(path, "text"));
    return;
  } else if (kind == "error") {
    required(o, path, {"output_type", "ename", "evalue", "traceback"});
    allowed(o, path, {"output_type", "ename", "evalue", "traceback"});
    string_field(o, path, "ename");
    string_field(o, path, "evalue");
    const auto tb = o.find("traceback");
    if (tb != o.end() && (!tb->is_array() || !is_multiline(*tb)))
      type_error(child_path(path, "traceback"), "an array of strings", *tb);
    return;
  } else {
    if (future_) return;  // an unrecognized output from a newer minor version
    if (!type->is_string())
      type_error(child_path(path, "output_type"), "a string", *type);
    else
      add(child_path(path, "output_type"),
          "unknown output type \"" + kind +
              "\" (expected \"execute_result\", \"display_data\", \"stream\" or \"error\")");
    return;
  }
  // execute_result and display_data
  if (const auto data = o.find("data"); data != o.end())
    mimebundle(*data, child_path(path, "data"));
  object_field(o, path, "metadata");
}

void Validator::mimebundle(const json& bundle, const std::string& path) {
  if (!bundle.is_object()) return type_error(path, "a mime bundle (an object)", bundle);
  // The value rule is an additionalProperties schema, which nbformat relaxes for newer minors.
  if (future_) return;
  for (auto it = bundle.begin(); it != bundle.end(); ++it) {
    if (is_json_mime_pattern(it.key()) || is_multiline(*it)) continue;
    add(child_path(path, it.key()),
        std::string("expected a string or a list of strings, found ") + describe_type(*it) +
            " (only application/json and application/*+json data may be other JSON)");
  }
}

void Validator::unique_ids(const json& cells) {
  std::map<std::string, std::size_t> first_use;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const json& c = cells[i];
    if (!c.is_object()) continue;
    const auto id = c.find("id");
    if (id == c.end() || !id->is_string()) continue;
    const auto [it, fresh] = first_use.emplace(id->get<std::string>(), i);
    if (!fresh)
      add(child_path(child_path("/cells", i), "id"), "duplicate cell id \"" + it->first +
                                                         "\" (first used by /cells/" +
                                                         std::to_string(it->second) + ")");
  }
}

}  // namespace nbexec::notebook::detail
