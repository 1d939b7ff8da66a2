// papermill's Python parameters grammar (PythonTranslator.inspect), read with a tokenizer:
// `name = value`, `name: annotation = value`, `# type: T` comments, values over several lines,
// help from the trailing comment.
#include "params/inspect/inspect_detail.hpp"

#include <algorithm>
#include <array>

namespace nbexec::params::detail {
namespace {

bool is_keyword(std::string_view word) {
  static constexpr std::array<std::string_view, 35> kKeywords = {
      "False", "None",     "True",  "and",    "as",   "assert", "async",  "await",    "break",
      "class", "continue", "def",   "del",    "elif", "else",   "except", "finally",  "for",
      "from",  "global",   "if",    "import", "in",   "is",     "lambda", "nonlocal", "not",
      "or",    "pass",     "raise", "return", "try",  "while",  "with",   "yield"};
  return std::find(kKeywords.begin(), kKeywords.end(), word) != kKeywords.end();
}

bool is_target(const Token& token) {
  return token.kind == TokenKind::name && !is_keyword(token.text);
}

// A type comment's type runs to the first blank outside brackets and quotes, so that
// `# type: Dict[str, int] help` keeps the whole type (papermill stops at the first blank).
struct TypeComment {
  std::string type;
  std::string help;
};

TypeComment split_comment(std::string_view comment) {
  std::string text = strip_text(comment);
  if (!text.starts_with("type:")) return {"", text};
  std::string_view rest = std::string_view(text).substr(5);
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  int depth = 0;
  char quote = 0;
  std::size_t i = 0;
  for (; i < rest.size(); ++i) {
    const char c = rest[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '[' || c == '(' || c == '{') {
      ++depth;
    } else if (c == ']' || c == ')' || c == '}') {
      --depth;
    } else if (depth <= 0 && (c == ' ' || c == '\t')) {
      break;
    }
  }
  TypeComment out{std::string(rest.substr(0, i)), strip_text(rest.substr(i))};
  // `# type: ignore` silences a type checker; it declares nothing.
  if (out.type == "ignore" || out.type.starts_with("ignore[")) out.type.clear();
  return out;
}

// A quoted annotation is reported without its quotes, as papermill does.
std::string annotation_name(std::string_view source, const Token* first, const Token* last) {
  if (last - first == 1 && first->kind == TokenKind::string) {
    if (auto text = python_string_value(first->text)) return strip_text(*text);
  }
  return strip_text(join_tokens(source, first, last));
}

}  // namespace

std::vector<ParameterInfo> inspect_python(std::string_view source,
                                          std::vector<std::string>& warnings) {
  const std::vector<Statement> statements =
      readable_statements(tokenize_python(source), Dialect::python, warnings);

  std::vector<ParameterInfo> out;
  const int base_indent = statements.empty() ? 0 : statements.front().indent;
  for (const Statement& statement : statements) {
    const std::vector<Token>& t = statement.tokens;
    const std::string text = join_tokens(source, t.data(), t.data() + t.size());
    const bool assigns = find_top_level(t, 0, "=") != std::string_view::npos;
    if (warn_unclosed(statement, "bracket", text, warnings)) continue;
    if (statement.indent > base_indent || (t[0].kind == TokenKind::name && is_keyword(t[0].text))) {
      // A block's body (if/for/def) is not the cell's top level: not a parameter.
      if (assigns && statement.indent > base_indent) {
        warnings.push_back(line_prefix(statement.first_line) +
                           "assignment inside a block is not a parameter: '" + text + "'");
      }
      continue;
    }

    std::vector<const Token*> targets;
    const Token* annotation_begin = nullptr;
    const Token* annotation_end = nullptr;
    std::size_t value_at = 0;
    if (t.size() >= 2 && is_target(t[0]) && t[1].is_op(":")) {
      const std::size_t equals = find_top_level(t, 2, "=");
      if (equals == std::string_view::npos) {
        warnings.push_back(line_prefix(statement.first_line) +
                           "annotation without a value is not a parameter: '" + text + "'");
        continue;
      }
      targets.push_back(&t[0]);
      annotation_begin = t.data() + 2;
      annotation_end = t.data() + equals;
      value_at = equals + 1;
    } else {
      // `a = b = 1` assigns every name of the chain.
      while (value_at + 1 < t.size() && is_target(t[value_at]) && t[value_at + 1].is_op("=")) {
        targets.push_back(&t[value_at]);
        value_at += 2;
      }
    }
    if (targets.empty()) {
      if (assigns) {
        warnings.push_back(line_prefix(statement.first_line) + "not a parameter assignment: '" +
                           text + "'");
      }
      continue;
    }
    if (value_at >= t.size() ||
        (annotation_begin != nullptr && annotation_begin == annotation_end)) {
      warnings.push_back(line_prefix(statement.first_line) + "no value in '" + text + "'");
      continue;
    }

    const Token* value_begin = t.data() + value_at;
    const Token* value_end = t.data() + t.size();
    TypeComment comment;
    if (auto raw = documenting_comment(statement)) comment = split_comment(*raw);

    ParameterInfo info;
    std::string annotation;
    if (annotation_begin != nullptr) {
      annotation = annotation_name(source, annotation_begin, annotation_end);
    }
    info.inferred_type_name =
        !annotation.empty() ? annotation : (!comment.type.empty() ? comment.type : "None");
    info.default_text = strip_text(join_tokens(source, value_begin, value_end));
    info.help = comment.help;

    DeclaredType declared;
    if (annotation_begin != nullptr) {
      declared = python_declared_type(join_tokens(source, annotation_begin, annotation_end));
    } else if (!comment.type.empty()) {
      declared = python_declared_type(comment.type);
    }
    add_parameters(std::move(info), declared, python_literal(value_begin, value_end), targets,
                   token_text, out);
  }
  return out;
}

}  // namespace nbexec::params::detail
