#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

namespace nbexec::params::detail {

// The first YAML document of a text, and where a second one starts if there is one.
struct YamlDocuments {
  std::optional<YAML::Node> first;    // absent for a text with no document at all
  std::optional<YAML::Mark> another;  // the root of the second document
};

// What YAML::LoadAll gives for parameter files, without its endless loop: yaml-cpp 0.7
// (Debian 12) keeps producing empty documents, allocating each, when its parser meets a token
// it cannot consume (",", found by fuzz/fuzz_parameters; fixed upstream after 0.8). Documents
// are counted first, at most three, and a document that starts where the previous one did
// means the parser is stuck: that is a syntax error, as PyYAML reports it.
// Throws YAML::Exception (ParserException for the stuck case) like YAML::LoadAll.
YamlDocuments load_yaml_documents(const std::string& text);

}  // namespace nbexec::params::detail
