// Typing of YAML parameter values: yaml-cpp's nodes built into JSON the way PyYAML's
// SafeConstructor builds Python values (see yaml_scalar.hpp for the scalars).
#include "params/sources/yaml_converter.hpp"

#include <nbexec/error.hpp>

#include "params/common/python_number.hpp"
#include "params/common/utf8.hpp"
#include "params/sources/yaml_checks.hpp"
#include "params/sources/yaml_scalar.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace nbexec::params::detail {
namespace {

using Json = nlohmann::ordered_json;
// A mapping's entries after merge keys are applied, named by their Python key strings.
using Entries = std::vector<std::pair<std::string, YAML::Node>>;

constexpr std::string_view kYamlTag = "tag:yaml.org,2002:";

std::string shorten(const std::string& text, std::size_t limit = 60) {
  if (text.size() <= limit) return text;
  while (limit > 0 && (static_cast<unsigned char>(text[limit]) & 0xC0) == 0x80) --limit;
  return text.substr(0, limit) + "...";
}

class Converter {
 public:
  Converter(std::string_view text, const std::string& origin) : text_(text), origin_(origin) {}

  // Refuses a document whose values, with every alias expanded, number more than kMaxYamlValues,
  // before any of them is built: a 1 KB "billion laughs" is a few hundred shared nodes to
  // yaml-cpp, and building its first million values took 2 s and 80 MB. Each collection is
  // sized once, however many aliases name it, so this is linear in the text. A mapping counts
  // its entries after merge keys (flatten, which convert reuses), a key and a value each.
  void check_expansion(const YAML::Node& root) { expanded_size(root, 0); }

  Json mapping(const YAML::Node& node, int depth) {
    Json result = Json::object();
    for (const auto& [key, value] : flatten(node, depth)) result[key] = convert(value, depth + 1);
    return result;
  }

  Json convert(const YAML::Node& node, int depth) {
    check_depth(node, depth);
    const std::string& tag = node.Tag();
    switch (node.Type()) {
      case YAML::NodeType::Sequence: {
        if (!is_default_tag(tag, "seq")) unsupported(node);
        Json result = Json::array();
        for (const auto& item : node) result.push_back(convert(item, depth + 1));
        return result;
      }
      case YAML::NodeType::Map:
        if (!is_default_tag(tag, "map")) unsupported(node);
        return mapping(node, depth);
      case YAML::NodeType::Scalar:
        return scalar(node);
      default:
        return nullptr;
    }
  }

 private:
  std::size_t expanded_size(const YAML::Node& node, int depth) {
    check_depth(node, depth);
    if (!node.IsMap() && !node.IsSequence()) return 1;
    const YAML::Mark mark = node.Mark();
    // A collection's position identifies it (flatten relies on the same); aliases share it.
    const std::size_t id = static_cast<std::size_t>(mark.pos) * 2 + (node.IsMap() ? 1 : 0);
    if (!mark.is_null()) {
      if (const auto known = sizes_.find(id); known != sizes_.end()) return known->second;
    }
    std::size_t size = 1;
    const auto add = [&](std::size_t more) {
      size += more;
      if (size > kMaxYamlValues) {
        fail(node, "the document expands to more than a million values (alias expansion?)");
      }
    };
    if (node.IsSequence()) {
      for (const auto& item : node) add(expanded_size(item, depth + 1));
    } else {
      for (const auto& [key, value] : flatten(node, depth))
        add(1 + expanded_size(value, depth + 1));
    }
    if (!mark.is_null()) sizes_.emplace(id, size);
    return size;
  }

  // The same bound and words for convert and for expanded_size, which meets it first.
  void check_depth(const YAML::Node& node, int depth) const {
    if (depth > kMaxYamlDepth) {
      fail(node, "values are nested more than " + std::to_string(kMaxYamlDepth) + " levels deep");
    }
  }

  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const {
    throw ParameterError(yaml_place(origin_, node.Mark()) + ": " + message);
  }

  [[noreturn]] void unsupported(const YAML::Node& node) const {
    fail(node, "unsupported YAML tag '" + node.Tag() +
                   "' (parameters are null, booleans, numbers, strings, lists and mappings)");
  }

  static bool is_default_tag(const std::string& tag, std::string_view name) {
    return tag == "?" || tag == "!" || tag == std::string(kYamlTag) + std::string(name);
  }

  static bool is_plain(const YAML::Node& node) { return node.IsScalar() && node.Tag() == "?"; }

  static bool is_merge_key(const YAML::Node& key) {
    return (is_plain(key) && key.Scalar() == "<<") || key.Tag() == std::string(kYamlTag) + "merge";
  }

  // SafeConstructor.flatten_mapping: entries merged in through "<<" come first (for a list of
  // mappings, the last one first), then the mapping's own entries; then dict semantics: a
  // repeated key takes the later value and keeps the first position. Keys are deduplicated
  // here and each mapping is flattened once however many aliases merge it, so merging a mapping
  // into itself through aliases stays linear (as in PyYAML) instead of doubling per level. A
  // value that a later one replaces is therefore not checked; PyYAML would construct it.
  Entries flatten(const YAML::Node& node, int depth) {
    if (depth > kMaxYamlDepth) {
      fail(node, "merge keys nest more than " + std::to_string(kMaxYamlDepth) + " levels deep");
    }
    const YAML::Mark mark = node.Mark();
    if (!mark.is_null()) {
      if (const auto cached = flattened_.find(mark.pos); cached != flattened_.end()) {
        return cached->second;
      }
    }
    Entries entries;
    std::unordered_map<std::string, std::size_t> position;
    const auto add = [&](const std::string& key, const YAML::Node& value) {
      const auto [it, inserted] = position.emplace(key, entries.size());
      if (inserted) {
        entries.emplace_back(key, value);
      } else {
        // reset, not =: assigning a YAML::Node writes into the node it refers to, which
        // would change the merged mapping itself for every other alias of it.
        entries[it->second].second.reset(value);
      }
    };
    std::vector<std::pair<YAML::Node, YAML::Node>> own;
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      const YAML::Node& value = entry.second;
      if (!is_merge_key(key)) {
        own.emplace_back(key, value);
        continue;
      }
      if (value.IsMap()) {
        for (const auto& [k, v] : flatten(value, depth + 1)) add(k, v);
      } else if (value.IsSequence()) {
        std::vector<Entries> subs;
        for (const auto& item : value) {
          if (!item.IsMap()) {
            fail(item,
                 std::string("expected a mapping for merging, but found ") + yaml_kind_name(item));
          }
          subs.push_back(flatten(item, depth + 1));
        }
        std::reverse(subs.begin(), subs.end());
        for (const auto& sub : subs) {
          for (const auto& [k, v] : sub) add(k, v);
        }
      } else {
        fail(value, std::string("expected a mapping or list of mappings for merging, but found ") +
                        yaml_kind_name(value));
      }
    }
    for (const auto& [key, value] : own) add(key_string(key, depth), value);
    if (own.size() != entries.size()) merged_entries_ += entries.size();
    if (merged_entries_ > kMaxYamlValues) {
      fail(node, "merge keys expand to more than a million entries (alias expansion?)");
    }
    if (!mark.is_null()) flattened_.emplace(mark.pos, entries);
    return entries;
  }

  // Parameter names are strings; a YAML key of another type is named by Python's str() of the
  // value PyYAML builds (1 -> "1", true -> "True", ~ -> "None", 1.5 -> "1.5").
  std::string key_string(const YAML::Node& key, int depth) {
    if (key.IsMap() || key.IsSequence()) {
      fail(key, "found unhashable key (a mapping key must be a scalar)");
    }
    if (is_plain(key) && key.Scalar() == "=") return "=";
    const Json value = convert(key, depth + 1);
    switch (value.type()) {
      case Json::value_t::string:
        return value.get<std::string>();
      case Json::value_t::null:
        return "None";
      case Json::value_t::boolean:
        return value.get<bool>() ? "True" : "False";
      case Json::value_t::number_float:
        return python_float_repr(value.get<double>());
      default:
        return value.dump();
    }
  }

  Json scalar(const YAML::Node& node) {
    check_quote_closed(node);
    const std::string& tag = node.Tag();
    const std::string& text = node.Scalar();
    std::string_view kind;
    if (tag == "?" || ((tag == "!" || tag == kYamlTag) && has_non_specific_tag(node))) {
      switch (resolve_plain_scalar(text)) {
        case ScalarKind::null:
          return nullptr;
        case ScalarKind::boolean:
          kind = "bool";
          break;
        case ScalarKind::integer:
          kind = "int";
          break;
        case ScalarKind::floating:
          kind = "float";
          break;
        case ScalarKind::merge:
          fail(node, "'<<' (a YAML merge key) cannot be a value");
        case ScalarKind::value:
          fail(node, "'=' (the YAML value key) cannot be a value; quote it");
        case ScalarKind::string:
          kind = "str";
          break;
      }
    } else if (tag == "!") {
      kind = "str";
    } else if (tag.rfind(kYamlTag, 0) == 0) {
      kind = std::string_view(tag).substr(kYamlTag.size());
    } else {
      unsupported(node);
    }
    try {
      if (kind == "str") return string_value(node, text);
      if (kind == "null") return nullptr;
      if (kind == "bool") return construct_yaml_bool(text);
      if (kind == "int") return construct_yaml_int(text);
      if (kind == "float") return construct_yaml_float(text);
    } catch (const std::out_of_range&) {
      fail(node, "integer " + shorten(text) +
                     " does not fit in 64 bits (nbexec's limit); quote it to pass a string");
    } catch (const std::invalid_argument& error) {
      fail(node, "cannot read '" + shorten(text) + "' as !!" + std::string(kind) + ": " +
                     shorten(error.what(), 200));
    }
    unsupported(node);
  }

  Json string_value(const YAML::Node& node, const std::string& text) const {
    if (!decode_utf8(text)) {
      fail(node, "the string is not valid UTF-8 (a lone surrogate escape?)");
    }
    return text;
  }

  // PyYAML resolves a scalar with the non-specific tag "!" as if it were plain, even a quoted
  // one. yaml-cpp reports "!" for that and for every quoted scalar alike (and a bare "!" at the
  // end of the text as "tag:yaml.org,2002:"), so look at the source where the node starts,
  // past its anchor.
  bool has_non_specific_tag(const YAML::Node& node) const {
    if (node.Tag() == kYamlTag) return true;
    const YAML::Mark mark = node.Mark();
    if (mark.is_null() || mark.pos < 0 || static_cast<std::size_t>(mark.pos) >= text_.size()) {
      return false;
    }
    std::size_t i = static_cast<std::size_t>(mark.pos);
    if (text_[i] == '&') {
      while (i < text_.size() && text_[i] != ' ' && text_[i] != '\t' && text_[i] != '\n') ++i;
      while (i < text_.size() && (text_[i] == ' ' || text_[i] == '\t')) ++i;
    }
    if (i >= text_.size() || text_[i] != '!') return false;
    // "!" alone, not the start of "!!int" or "!local".
    return i + 1 == text_.size() || text_[i + 1] == ' ' || text_[i + 1] == '\t' ||
           text_[i + 1] == '\n' || text_[i + 1] == '\r';
  }

  // yaml-cpp ends a quoted scalar that is still open at the end of the text (after a line
  // break) without an error, so a truncated file would pass a cut value; PyYAML says "found
  // unexpected end of stream". Each scalar is looked at once, however many aliases name it.
  void check_quote_closed(const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null() || mark.pos < 0 || static_cast<std::size_t>(mark.pos) >= text_.size()) {
      return;
    }
    const auto start = static_cast<std::size_t>(mark.pos);
    const char quote = text_[start];
    if ((quote != '"' && quote != '\'') || !checked_quotes_.insert(start).second) return;
    for (std::size_t i = start + 1; i < text_.size(); ++i) {
      if (quote == '"' && text_[i] == '\\') {
        ++i;
      } else if (text_[i] == quote) {
        if (quote == '"' || i + 1 >= text_.size() || text_[i + 1] != '\'') return;
        ++i;  // '' is a quote inside a single-quoted scalar
      }
    }
    fail(node, std::string("the ") + (quote == '"' ? "double" : "single") +
                   "-quoted string is not closed before the end of the text (truncated file?)");
  }

  std::string_view text_;
  const std::string& origin_;
  std::size_t merged_entries_ = 0;
  std::unordered_map<std::size_t, std::size_t> sizes_;  // expanded_size of each collection
  std::unordered_set<std::size_t> checked_quotes_;
  std::unordered_map<int, Entries> flattened_;
};

}  // namespace

Json convert_yaml_parameters(const YAML::Node& root, std::string_view text,
                             const std::string& origin) {
  Converter converter(text, origin);
  converter.check_expansion(root);
  return converter.convert(root, 0);
}

}  // namespace nbexec::params::detail
