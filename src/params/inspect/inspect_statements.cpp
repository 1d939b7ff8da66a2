// Statements of a parameters cell from its tokens, the text papermill reports for them, and the
// steps every grammar shares (reading statements, warning, emitting parameters).
#include "params/common/utf8.hpp"
#include "params/inspect/inspect_detail.hpp"

#include <algorithm>
#include <array>

namespace nbexec::params::detail {
namespace {

// Julia's block keywords: each opens a block that `end` closes.
bool opens_julia_block(std::string_view word) {
  static constexpr std::array<std::string_view, 13> kOpeners = {
      "function",   "if",     "for",   "while", "let",   "begin", "module",
      "baremodule", "struct", "macro", "try",   "quote", "do"};
  return std::find(kOpeners.begin(), kOpeners.end(), word) != kOpeners.end();
}

// R and Julia read on after a line ending in a binary operator (`x <-` / `a = 1 +`).
bool continues_on_next_line(const Statement& statement, Dialect dialect) {
  if (dialect == Dialect::python || statement.tokens.empty()) return false;
  const Token& last = statement.tokens.back();
  return last.kind == TokenKind::op && last.text != "'";
}

int end_line(const Token& token) {
  return token.line + static_cast<int>(std::count(token.text.begin(), token.text.end(), '\n'));
}

// Only identifier characters (and digits) need a space between them; papermill glues the rest,
// `"a"` + `"b"` included, and so does nbexec.
bool wordish(char c) {
  return is_name_char(c);
}

}  // namespace

std::vector<Statement> split_statements(const std::vector<Token>& tokens, Dialect dialect) {
  std::vector<Statement> out;
  Statement current;
  std::vector<char> open;  // '(', '[', '{', or 'k' for a Julia keyword block

  // A statement after a semicolon has the indentation of its line's first statement.
  bool after_semicolon = false;
  int line_indent = 0;
  auto finish = [&] {
    if (!current.tokens.empty()) out.push_back(std::move(current));
    current = Statement{};
  };
  auto add = [&](const Token& token) {
    if (current.tokens.empty()) {
      current.first_line = token.line;
      if (!after_semicolon) line_indent = token.column;
      current.indent = line_indent;
      after_semicolon = false;
    }
    current.tokens.push_back(token);
    current.last_line = end_line(token);
  };

  for (const Token& token : tokens) {
    switch (token.kind) {
      case TokenKind::comment:
        // A comment on a line of its own, before any statement, documents nothing.
        if (!current.tokens.empty()) current.comments.push_back(token);
        break;
      case TokenKind::newline:
        if (open.empty() && !continues_on_next_line(current, dialect)) {
          finish();
          after_semicolon = false;
        }
        break;
      case TokenKind::open:
        open.push_back(token.text.front());
        add(token);
        break;
      case TokenKind::close:
        if (!open.empty() && open.back() != 'k') open.pop_back();
        add(token);
        break;
      case TokenKind::op:
        if (token.text == ";" && open.empty()) {
          finish();
          after_semicolon = true;
        } else {
          add(token);
        }
        break;
      case TokenKind::name:
        if (dialect == Dialect::julia) {
          const bool in_block = open.empty() || open.back() == 'k';
          if (in_block && opens_julia_block(token.text)) {
            open.push_back('k');
          } else if (token.text == "end" && !open.empty() && open.back() == 'k') {
            open.pop_back();
          }
        }
        add(token);
        break;
      default:
        add(token);
        break;
    }
  }
  if (!current.tokens.empty()) current.unclosed = !open.empty();
  finish();
  return out;
}

std::string join_tokens(std::string_view source, const Token* first, const Token* last) {
  std::string out;
  for (const Token* token = first; token != last; ++token) {
    if (token != first) {
      const Token& previous = token[-1];
      const std::string_view gap = source.substr(previous.end, token->begin - previous.end);
      if (gap.find('\n') != std::string_view::npos) {
        if (!out.empty() && wordish(out.back()) && wordish(token->text.front())) out += ' ';
      } else if (gap.find('#') != std::string_view::npos) {
        out += ' ';  // a Julia #= inline =# comment
      } else {
        out += gap;
      }
    }
    out += token->text;
  }
  return out;
}

std::optional<std::string_view> documenting_comment(const Statement& statement) {
  if (statement.tokens.empty()) return std::nullopt;
  const std::size_t last_end = statement.tokens.back().end;
  const Token* first_line_comment = nullptr;
  for (const Token& comment : statement.comments) {
    if (comment.text.starts_with("#=")) continue;  // Julia block comments are not help
    if (comment.line == statement.last_line && comment.begin >= last_end) {
      return comment.text.substr(1);
    }
    if (comment.line == statement.first_line && first_line_comment == nullptr) {
      first_line_comment = &comment;
    }
  }
  if (first_line_comment != nullptr && statement.first_line != statement.last_line) {
    return first_line_comment->text.substr(1);
  }
  return std::nullopt;
}

std::size_t find_top_level(const std::vector<Token>& tokens, std::size_t from,
                           std::string_view op) {
  int depth = 0;
  for (std::size_t i = from; i < tokens.size(); ++i) {
    if (tokens[i].kind == TokenKind::open) {
      ++depth;
    } else if (tokens[i].kind == TokenKind::close) {
      --depth;
    } else if (depth == 0 && tokens[i].is_op(op)) {
      return i;
    }
  }
  return std::string_view::npos;
}

const Token* skip_element(const Token* p, const Token* end,
                          std::initializer_list<std::string_view> stops) {
  int depth = 0;
  for (; p != end; ++p) {
    if (p->kind == TokenKind::open) {
      ++depth;
    } else if (p->kind == TokenKind::close) {
      if (depth-- == 0) break;
    } else if (depth == 0 && p->kind == TokenKind::op &&
               std::find(stops.begin(), stops.end(), p->text) != stops.end()) {
      break;
    }
  }
  return p;
}

std::string strip_text(std::string_view text) {
  if (decode_utf8(text)) return python_strip(text);
  const auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return std::string(text);
}

std::string line_prefix(int line) {
  return "line " + std::to_string(line) + ": ";
}

std::vector<Statement> readable_statements(const Tokens& tokens, Dialect dialect,
                                           std::vector<std::string>& warnings) {
  std::vector<Statement> statements = split_statements(tokens.tokens, dialect);
  if (!tokens.error.empty()) {
    warnings.push_back(line_prefix(tokens.error_line) + tokens.error +
                       "; the rest of the cell is not read");
    if (!statements.empty() && statements.back().last_line >= tokens.error_line) {
      statements.pop_back();
    }
  }
  return statements;
}

bool warn_unclosed(const Statement& statement, std::string_view what, std::string_view text,
                   std::vector<std::string>& warnings) {
  if (!statement.unclosed) return false;
  warnings.push_back(line_prefix(statement.first_line) + "unclosed " + std::string(what) + " in '" +
                     std::string(text) + "'");
  return true;
}

void add_parameters(ParameterInfo info, const DeclaredType& declared, Literal literal,
                    const std::vector<const Token*>& targets, std::string (*name)(const Token&),
                    std::vector<ParameterInfo>& out) {
  info.declared_kind = declared.kind;
  info.default_kind = literal.kind;
  info.nullable = declared.nullable || literal.kind == ValueKind::none;
  info.default_value = std::move(literal.value);
  for (const Token* target : targets) {
    ParameterInfo named = info;
    named.name = name(*target);
    out.push_back(std::move(named));
  }
}

}  // namespace nbexec::params::detail
