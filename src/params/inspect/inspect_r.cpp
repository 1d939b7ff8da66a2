// R parameters cells: `name = value`, `name <- value` (and `value -> name`), help from the
// trailing comment. R has no annotations: the type comes from the default's literal.
#include "params/inspect/inspect_detail.hpp"

#include <algorithm>
#include <array>

namespace nbexec::params::detail {
namespace {

bool is_assign(const Token& token) {
  return token.is_op("=") || token.is_op("<-") || token.is_op("<<-");
}

bool is_target(const Token& token) {
  static constexpr std::array<std::string_view, 17> kReserved = {
      "if",   "else",  "repeat",      "while",    "function",     "for",
      "next", "break", "TRUE",        "FALSE",    "NULL",         "Inf",
      "NaN",  "NA",    "NA_integer_", "NA_real_", "NA_character_"};
  // R refuses the empty quoted name: "attempt to use zero-length variable name".
  return token.kind == TokenKind::name && token.text != "``" &&
         std::find(kReserved.begin(), kReserved.end(), token.text) == kReserved.end();
}

constexpr std::string_view kAssignments[] = {"=", "<-", "<<-", "->", "->>"};

std::string target_name(const Token& token) {
  const std::string_view text = token.text;
  if (text.starts_with('`')) return std::string(text.substr(1, text.size() - 2));
  return std::string(text);
}

}  // namespace

std::vector<ParameterInfo> inspect_r(std::string_view source, std::vector<std::string>& warnings) {
  std::vector<ParameterInfo> out;
  for (const Statement& statement : readable_statements(tokenize_r(source), Dialect::r, warnings)) {
    const std::vector<Token>& t = statement.tokens;
    const Token* begin = t.data();
    const Token* end = t.data() + t.size();
    const std::string text = join_tokens(source, begin, end);
    if (warn_unclosed(statement, "bracket", text, warnings)) continue;
    std::vector<const Token*> targets;
    const Token* value_begin = begin;
    const Token* value_end = end;
    while (value_end - value_begin >= 2 && is_target(*value_begin) && is_assign(value_begin[1])) {
      targets.push_back(value_begin);
      value_begin += 2;
    }
    // `value -> name`: R's rightward assignment.
    if (targets.empty() && t.size() >= 3 && is_target(t.back()) &&
        (t[t.size() - 2].is_op("->") || t[t.size() - 2].is_op("->>")) &&
        find_top_level(t, 0, t[t.size() - 2].text) == t.size() - 2) {
      targets.push_back(&t.back());
      value_end = end - 2;
    }
    if (targets.empty()) {
      const bool assigns = std::any_of(
          std::begin(kAssignments), std::end(kAssignments),
          [&t](std::string_view op) { return find_top_level(t, 0, op) != std::string_view::npos; });
      if (assigns) {
        warnings.push_back(line_prefix(statement.first_line) + "not a parameter assignment: '" +
                           text + "'");
      }
      continue;
    }
    if (value_begin == value_end) {
      warnings.push_back(line_prefix(statement.first_line) + "no value in '" + text + "'");
      continue;
    }

    ParameterInfo info;
    info.inferred_type_name = "None";
    info.default_text = strip_text(join_tokens(source, value_begin, value_end));
    if (auto comment = documenting_comment(statement)) info.help = strip_text(*comment);
    // R declares no types: everything comes from the literal.
    add_parameters(std::move(info), DeclaredType{}, r_literal(value_begin, value_end), targets,
                   target_name, out);
  }
  return out;
}

}  // namespace nbexec::params::detail
