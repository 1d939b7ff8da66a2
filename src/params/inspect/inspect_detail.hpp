#pragma once

// The per-language halves of parameter inspection (inspect.hpp is the public face).

#include "params/inspect/inspect_tokens.hpp"

#include <nbexec/params/inspect/inspect.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nbexec::params::detail {

// Literals nested deeper than this are unknown: a pathological cell must not exhaust the stack
// (CPython's own parser stops at 200 nested brackets).
inline constexpr int kMaxLiteralDepth = 200;

// Counts one level of nesting for as long as it lives.
class DepthGuard {
 public:
  explicit DepthGuard(int& depth) : depth_(++depth) {}
  ~DepthGuard() { --depth_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;
  bool too_deep() const { return depth_ > kMaxLiteralDepth; }

 private:
  int& depth_;
};

// What a default's source says about its value.
struct Literal {
  ValueKind kind = ValueKind::unknown;
  std::optional<nlohmann::ordered_json> value;  // when the literal can be evaluated exactly
};

// What an annotation (or Julia type) says about the values it admits.
struct DeclaredType {
  ValueKind kind = ValueKind::unknown;
  bool nullable = false;
};

// Literals of each language; tokens [first, last) are one whole expression. Anything that is
// not a literal (a call, a name, arithmetic) is unknown.
Literal python_literal(const Token* first, const Token* last);
Literal r_literal(const Token* first, const Token* last);
Literal julia_literal(const Token* first, const Token* last);

// A Python annotation or type comment (`Optional[int]`, `"List[str]"`, `int | None`).
DeclaredType python_declared_type(std::string_view annotation);
// A Julia type (`Int64`, `Union{Nothing, String}`, `Vector{Float64}`).
DeclaredType julia_declared_type(std::string_view type);

// Python's string literal (prefix and quotes included) decoded; nullopt for bytes, an
// f-string with replacement fields, or an escape that names no valid character.
std::optional<std::string> python_string_value(std::string_view token);

// R's "..." / '...' / r"(...)" and Julia's "..." / raw"..." / 'c' decoded; nullopt for what
// is not a plain literal (Julia interpolation, string macros) or an invalid escape.
std::optional<std::string> r_string_value(std::string_view token);
std::optional<std::string> julia_string_value(std::string_view token);

// "line N: ", the start of every inspection warning.
std::string line_prefix(int line);

// The statements of a tokenized cell the grammars can read. A tokenizer error is warned about
// and the statement it interrupted is dropped: it is incomplete, and nothing after it is read.
std::vector<Statement> readable_statements(const Tokens& tokens, Dialect dialect,
                                           std::vector<std::string>& warnings);

// A statement still open at the end of the cell cannot be split into its parts: warns that its
// `what` ("bracket", "block") is unclosed and returns true; false for a closed statement.
bool warn_unclosed(const Statement& statement, std::string_view what, std::string_view text,
                   std::vector<std::string>& warnings);

// A target's name as written (R's backquoted names need more).
inline std::string token_text(const Token& token) {
  return std::string(token.text);
}

// Completes `info` with what the declared type and the default's literal say, then appends one
// parameter per target of the assignment (`a = b = 1` defines two), named by `name`.
void add_parameters(ParameterInfo info, const DeclaredType& declared, Literal literal,
                    const std::vector<const Token*>& targets, std::string (*name)(const Token&),
                    std::vector<ParameterInfo>& out);

// The grammars. Each appends "line N: ..." to `warnings` for what it cannot read.
std::vector<ParameterInfo> inspect_python(std::string_view source,
                                          std::vector<std::string>& warnings);
std::vector<ParameterInfo> inspect_r(std::string_view source, std::vector<std::string>& warnings);
std::vector<ParameterInfo> inspect_julia(std::string_view source,
                                         std::vector<std::string>& warnings);

// Negation of a JSON number literal; nullopt when it leaves the 64-bit range.
std::optional<nlohmann::ordered_json> negate_number(const nlohmann::ordered_json& value);

// Combines alternatives of a union type: one kind (integer widening to number) or unknown.
DeclaredType union_of(const std::vector<DeclaredType>& alternatives);

}  // namespace nbexec::params::detail
