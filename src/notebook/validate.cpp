#include "validator.hpp"

#include "json_path.hpp"

#include <algorithm>

namespace nbexec::notebook {

namespace detail {

bool is_cell_id_text(std::string_view s) {
  return python_anchored_match(s, [](std::string_view t) {
    return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '_';
    });
  });
}

bool is_json_mime_pattern(std::string_view mime) {
  return python_anchored_match(mime, [](std::string_view t) {
    constexpr std::string_view prefix = "application/";
    constexpr std::string_view suffix = "json";
    if (t.size() < prefix.size() + suffix.size() || !t.starts_with(prefix) || !t.ends_with(suffix))
      return false;
    const std::string_view middle =
        t.substr(prefix.size(), t.size() - prefix.size() - suffix.size());
    return middle.empty() || (middle.ends_with('+') && no_newline(middle));
  });
}

std::vector<Diagnostic> Validator::run(const json& doc) {
  if (!doc.is_object()) {
    add("", std::string("expected a notebook (a JSON object), found ") + describe_type(doc));
    return std::move(out_);
  }
  if (!version(doc)) return std::move(out_);
  required(doc, "", {"metadata", "nbformat_minor", "nbformat", "cells"});
  allowed(doc, "", {"metadata", "nbformat_minor", "nbformat", "cells"});
  if (const auto it = doc.find("metadata"); it != doc.end()) notebook_metadata(*it, "/metadata");
  if (const auto it = doc.find("cells"); it != doc.end()) {
    if (!it->is_array()) {
      type_error("/cells", "an array of cells", *it);
    } else {
      for (std::size_t i = 0; i < it->size(); ++i) cell((*it)[i], child_path("/cells", i));
      if (minor_ >= 5) unique_ids(*it);
    }
  }
  return std::move(out_);
}

void Validator::add(std::string path, std::string message) {
  out_.push_back(Diagnostic{std::move(path), std::move(message)});
}

void Validator::type_error(const std::string& path, const std::string& expected,
                           const json& found) {
  add(path, "expected " + expected + ", found " + describe_type(found));
}

void Validator::required(const json& obj, const std::string& path,
                         std::initializer_list<const char*> keys) {
  for (const char* key : keys)
    if (!obj.contains(key)) add(path, std::string("missing required property \"") + key + "\"");
}

void Validator::allowed(const json& obj, const std::string& path,
                        std::initializer_list<const char*> keys, CellIds ids) {
  if (future_) return;  // nbformat relaxes additionalProperties for newer minor versions
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(keys.begin(), keys.end(), it.key()) != keys.end()) continue;
    if (it.key() == "id" && ids == CellIds::allowed) continue;
    if (it.key() == "id" && ids == CellIds::forbidden)
      add(child_path(path, "id"), "unexpected property: cell ids need nbformat_minor 5 or more");
    else
      add(child_path(path, it.key()), "unexpected property (the nbformat 4." +
                                          std::to_string(minor_) + " schema has no \"" + it.key() +
                                          "\" here)");
  }
}

void Validator::string_field(const json& obj, const std::string& path, const char* key) {
  const auto it = obj.find(key);
  if (it != obj.end() && !it->is_string()) type_error(child_path(path, key), "a string", *it);
}

void Validator::object_field(const json& obj, const std::string& path, const char* key) {
  const auto it = obj.find(key);
  if (it != obj.end() && !it->is_object()) type_error(child_path(path, key), "an object", *it);
}

void Validator::multiline(const json& v, const std::string& path) {
  if (!is_multiline(v)) type_error(path, "a string or a list of strings", v);
}

void Validator::execution_count(const json& obj, const std::string& path) {
  const auto it = obj.find("execution_count");
  if (it == obj.end() || it->is_null()) return;
  if (!it->is_number_integer() || *it < 0)
    add(child_path(path, "execution_count"),
        std::string("expected a non-negative integer or null, found ") +
            (it->is_number_integer() ? it->dump() : describe_type(*it)));
}

// Checks nbformat and nbformat_minor and picks the schema, as nbformat's get_version and
// get_validator do; false when the rest cannot be checked as nbformat 4.
bool Validator::version(const json& doc) {
  const auto major = doc.find("nbformat");
  if (major != doc.end()) {
    if (!major->is_number_integer()) {
      type_error("/nbformat", "the integer 4", *major);
      return false;
    }
    if (*major != 4) {
      add("/nbformat", "expected 4, found " + major->dump() + " (only nbformat 4 is checked)");
      return false;
    }
  }
  const auto minor = doc.find("nbformat_minor");
  if (minor == doc.end()) {
    minor_ = 0;  // read as 0, as nbformat does; "required" reports it missing
  } else if (!minor->is_number_integer()) {
    type_error("/nbformat_minor", "an integer", *minor);
  } else if (*minor < 0) {
    add("/nbformat_minor", "expected 0 or more, found " + minor->dump());
    minor_ = 0;
  } else if (*minor > latest_minor) {
    future_ = true;
  } else {
    minor_ = minor->get<int>();
  }
  return true;
}

void Validator::notebook_metadata(const json& m, const std::string& path) {
  if (!m.is_object()) return type_error(path, "an object", m);
  if (const auto ks = m.find("kernelspec"); ks != m.end()) {
    const std::string ks_path = child_path(path, "kernelspec");
    if (!ks->is_object()) {
      type_error(ks_path, "an object", *ks);
    } else {
      required(*ks, ks_path, {"name", "display_name"});
      string_field(*ks, ks_path, "name");
      string_field(*ks, ks_path, "display_name");
    }
  }
  if (const auto li = m.find("language_info"); li != m.end()) {
    const std::string li_path = child_path(path, "language_info");
    if (!li->is_object()) {
      type_error(li_path, "an object", *li);
    } else {
      required(*li, li_path, {"name"});
      for (const char* key : {"name", "file_extension", "mimetype", "pygments_lexer"})
        string_field(*li, li_path, key);
      const auto cm = li->find("codemirror_mode");
      if (cm != li->end() && !cm->is_string() && !cm->is_object())
        type_error(child_path(li_path, "codemirror_mode"), "a string or an object", *cm);
    }
  }
  if (const auto orig = m.find("orig_nbformat"); orig != m.end()) {
    if (!orig->is_number_integer() || *orig < 1)
      add(child_path(path, "orig_nbformat"), "expected an integer of 1 or more");
  }
  if (minor_ >= 2) {  // title and authors arrived in 4.2
    string_field(m, path, "title");
    if (const auto authors = m.find("authors"); authors != m.end() && !authors->is_array())
      type_error(child_path(path, "authors"), "an array", *authors);
  }
}

}  // namespace detail

std::vector<Diagnostic> validate_notebook(const json& document) {
  return detail::Validator().run(document);
}

}  // namespace nbexec::notebook
