// Julia parameters cells: `name = value`, `name::Type = value` (also after const/global),
// help from the trailing comment.
#include "params/inspect/inspect_detail.hpp"

#include <algorithm>
#include <array>

namespace nbexec::params::detail {
namespace {

template <std::size_t N>
bool one_of(std::string_view word, const std::array<std::string_view, N>& words) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

bool is_keyword(std::string_view word) {
  static constexpr std::array<std::string_view, 31> kKeywords = {
      "function", "if",         "elseif",    "else",    "for",   "while",    "let",   "begin",
      "module",   "baremodule", "struct",    "mutable", "macro", "try",      "catch", "finally",
      "quote",    "do",         "end",       "return",  "break", "continue", "using", "import",
      "export",   "abstract",   "primitive", "true",    "false", "nothing",  "local"};
  return one_of(word, kKeywords);
}

bool is_target(const Token& token) {
  return token.kind == TokenKind::name && !is_keyword(token.text);
}

DeclaredType simple_type(std::string_view name) {
  static constexpr std::array<std::string_view, 15> kIntegers = {
      "Int",    "Int8",   "Int16",  "Int32",   "Int64",   "Int128", "UInt",    "UInt8",
      "UInt16", "UInt32", "UInt64", "UInt128", "Integer", "Signed", "Unsigned"};
  static constexpr std::array<std::string_view, 8> kNumbers = {
      "Float16", "Float32", "Float64", "BigFloat", "AbstractFloat", "Real", "Number", "BigInt"};
  static constexpr std::array<std::string_view, 4> kStrings = {"String", "AbstractString", "Char",
                                                               "SubString"};
  static constexpr std::array<std::string_view, 7> kLists = {
      "Vector", "Array", "AbstractVector", "AbstractArray", "Tuple", "NTuple", "AbstractRange"};
  static constexpr std::array<std::string_view, 3> kDicts = {"Dict", "AbstractDict", "OrderedDict"};
  if (name == "BigInt") return {ValueKind::integer, false};
  if (one_of(name, kIntegers)) return {ValueKind::integer, false};
  if (one_of(name, kNumbers)) return {ValueKind::number, false};
  if (one_of(name, kStrings)) return {ValueKind::string, false};
  if (name == "Bool") return {ValueKind::boolean, false};
  if (name == "Nothing" || name == "Missing") return {ValueKind::none, true};
  if (one_of(name, kLists)) return {ValueKind::list, false};
  if (one_of(name, kDicts)) return {ValueKind::dict, false};
  return {};
}

// type := dotted_name ('{' type (',' type)* '}')?
std::optional<DeclaredType> parse_type(const Token*& p, const Token* end, int depth = 0) {
  if (p == end || p->kind != TokenKind::name || depth > kMaxLiteralDepth) return std::nullopt;
  std::string_view name = (p++)->text;
  while (end - p >= 2 && p->is_op(".") && p[1].kind == TokenKind::name) {
    name = p[1].text;
    p += 2;
  }
  if (p == end || !p->is(TokenKind::open, "{")) return simple_type(name);
  ++p;
  std::vector<DeclaredType> args;
  while (p != end && p->kind != TokenKind::close) {
    const Token* start = p;
    auto arg = parse_type(p, end, depth + 1);
    if (!arg || (p != end && !p->is_op(",") && p->kind != TokenKind::close)) {
      p = skip_element(start, end, {","});  // Array{Int, 1}'s 1, Vector{<:Real}
      arg = DeclaredType{};
    }
    args.push_back(*arg);
    if (p != end && p->is_op(",")) ++p;
  }
  if (p == end || p->text != "}") return std::nullopt;
  ++p;
  if (name == "Union") return union_of(args);
  return simple_type(name);
}

}  // namespace

DeclaredType julia_declared_type(std::string_view type) {
  const Tokens tokens = tokenize_julia(type);
  std::vector<Token> significant;
  for (const Token& token : tokens.tokens) {
    if (token.kind != TokenKind::comment && token.kind != TokenKind::newline) {
      significant.push_back(token);
    }
  }
  const Token* p = significant.data();
  const Token* end = p + significant.size();
  auto parsed = parse_type(p, end);
  if (!tokens.error.empty() || !parsed || p != end) return {};
  return *parsed;
}

std::vector<ParameterInfo> inspect_julia(std::string_view source,
                                         std::vector<std::string>& warnings) {
  std::vector<ParameterInfo> out;
  for (const Statement& statement :
       readable_statements(tokenize_julia(source), Dialect::julia, warnings)) {
    const std::vector<Token>& t = statement.tokens;
    const Token* p = t.data();
    const Token* end = t.data() + t.size();
    const std::string text = join_tokens(source, p, end);
    if (warn_unclosed(statement, "block", text, warnings)) continue;
    if (end - p >= 2 && (p->text == "const" || p->text == "global") &&
        p[1].kind == TokenKind::name) {
      ++p;
    }
    std::vector<const Token*> targets;
    const Token* type_begin = nullptr;
    const Token* type_end = nullptr;
    if (end - p >= 2 && is_target(*p) && p[1].is_op("::")) {
      const std::size_t equals = find_top_level(t, static_cast<std::size_t>(p + 2 - t.data()), "=");
      if (equals != std::string_view::npos) {
        targets.push_back(p);
        type_begin = p + 2;
        type_end = t.data() + equals;
        p = type_end + 1;
      }
    } else {
      while (end - p >= 2 && is_target(*p) && p[1].is_op("=")) {
        targets.push_back(p);
        p += 2;
      }
    }
    if (targets.empty()) {
      // `f(x) = 2x` defines a function: no parameter, and nothing to warn about.
      const bool function = t.size() >= 2 && t[1].is(TokenKind::open, "(");
      if (!function && !is_keyword(t[0].text) &&
          find_top_level(t, 0, "=") != std::string_view::npos) {
        warnings.push_back(line_prefix(statement.first_line) + "not a parameter assignment: '" +
                           text + "'");
      }
      continue;
    }
    if (p == end || (type_begin != nullptr && type_begin == type_end)) {
      warnings.push_back(line_prefix(statement.first_line) + "no value in '" + text + "'");
      continue;
    }

    ParameterInfo info;
    DeclaredType declared;
    if (type_begin != nullptr) {
      const std::string type = strip_text(join_tokens(source, type_begin, type_end));
      info.inferred_type_name = type;
      declared = julia_declared_type(type);
    } else {
      info.inferred_type_name = "None";
    }
    info.default_text = strip_text(join_tokens(source, p, end));
    if (auto comment = documenting_comment(statement)) info.help = strip_text(*comment);
    add_parameters(std::move(info), declared, julia_literal(p, end), targets, token_text, out);
  }
  return out;
}

}  // namespace nbexec::params::detail
