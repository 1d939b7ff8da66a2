#include "params/sources/yaml_documents.hpp"

#include <yaml-cpp/eventhandler.h>

#include <sstream>
#include <vector>

namespace nbexec::params::detail {
namespace {

// Remembers where each document starts and where its root node is; builds nothing.
class DocumentMarks final : public YAML::EventHandler {
 public:
  struct Document {
    YAML::Mark start;
    std::optional<YAML::Mark> root;
  };
  std::vector<Document> documents;

  void OnDocumentStart(const YAML::Mark& mark) override { documents.push_back({mark, {}}); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnMapEnd() override {}

 private:
  void node(const YAML::Mark& mark) {
    if (!documents.empty() && !documents.back().root) documents.back().root = mark;
  }
};

}  // namespace

YamlDocuments load_yaml_documents(const std::string& text) {
  std::istringstream input(text);
  YAML::Parser parser(input);
  DocumentMarks marks;
  auto& documents = marks.documents;
  while (documents.size() < 3 && parser.HandleNextDocument(marks)) {
    const std::size_t n = documents.size();
    if (n >= 2 && documents[n - 1].start.pos == documents[n - 2].start.pos) {
      throw YAML::ParserException(documents[n - 1].start,
                                  "found a character that cannot start any token");
    }
  }
  YamlDocuments out;
  if (documents.size() >= 2) {
    out.another = documents[1].root.value_or(documents[1].start);
  } else if (documents.size() == 1) {
    out.first = YAML::Load(text);
  }
  return out;
}

}  // namespace nbexec::params::detail
