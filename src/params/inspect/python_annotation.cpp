// Python annotations and type comments read for the JSON kind they admit.
#include "params/inspect/inspect_detail.hpp"

#include <algorithm>
#include <array>

namespace nbexec::params::detail {
namespace {

template <std::size_t N>
bool one_of(std::string_view word, const std::array<std::string_view, N>& words) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

// typing's spellings and the builtins, by the last component of a dotted name (typing.List,
// t.Optional, collections.abc.Mapping).
DeclaredType simple_type(std::string_view name) {
  static constexpr std::array<std::string_view, 8> kLists = {
      "list", "List", "tuple", "Tuple", "Sequence", "MutableSequence", "Iterable", "Collection"};
  static constexpr std::array<std::string_view, 7> kDicts = {
      "dict", "Dict", "Mapping", "MutableMapping", "OrderedDict", "defaultdict", "DefaultDict"};
  if (name == "int") return {ValueKind::integer, false};
  if (name == "float") return {ValueKind::number, false};
  if (name == "str") return {ValueKind::string, false};
  if (name == "bool") return {ValueKind::boolean, false};
  if (name == "None" || name == "NoneType") return {ValueKind::none, true};
  if (one_of(name, kLists)) return {ValueKind::list, false};
  if (one_of(name, kDicts)) return {ValueKind::dict, false};
  return {};
}

class TypeParser {
 public:
  TypeParser(const Token* first, const Token* last) : p_(first), end_(last) {}
  bool at_end() const { return p_ == end_; }

  // union := primary ('|' primary)*
  std::optional<DeclaredType> union_type() {
    const DepthGuard guard(depth_);
    if (guard.too_deep()) return std::nullopt;
    std::vector<DeclaredType> alternatives;
    do {
      auto alternative = primary();
      if (!alternative) return std::nullopt;
      alternatives.push_back(*alternative);
    } while (take_op("|"));
    return alternatives.size() == 1 ? alternatives.front() : union_of(alternatives);
  }

 private:
  bool take_op(std::string_view op) {
    if (p_ == end_ || !p_->is_op(op)) return false;
    ++p_;
    return true;
  }
  bool take_close(std::string_view close) {
    if (p_ == end_ || p_->kind != TokenKind::close || p_->text != close) return false;
    ++p_;
    return true;
  }

  std::optional<DeclaredType> primary() {
    if (p_ == end_) return std::nullopt;
    const Token& t = *p_++;
    if (t.kind == TokenKind::string) {  // a forward reference: "List[int]"
      auto text = python_string_value(t.text);
      if (!text) return std::nullopt;
      return python_declared_type(*text);
    }
    if (t.is(TokenKind::open, "(")) {
      auto inner = union_type();
      if (!inner || !take_close(")")) return std::nullopt;
      return inner;
    }
    if (t.is(TokenKind::open, "[")) {  // Callable[[int], str]'s argument list
      while (p_ != end_ && !take_close("]")) ++p_;
      return DeclaredType{};
    }
    if (t.kind != TokenKind::name) return std::nullopt;
    std::string_view name = t.text;
    while (p_ != end_ && p_->is_op(".") && end_ - p_ >= 2 && p_[1].kind == TokenKind::name) {
      name = p_[1].text;
      p_ += 2;
    }
    if (p_ == end_ || !p_->is(TokenKind::open, "[")) return simple_type(name);
    ++p_;
    std::vector<DeclaredType> args;
    do {
      if (p_ != end_ && p_->kind == TokenKind::close) break;  // trailing comma
      auto arg = argument(name);
      if (!arg) return std::nullopt;
      args.push_back(*arg);
    } while (take_op(","));
    if (!take_close("]")) return std::nullopt;
    if (name == "Optional" && args.size() == 1) {
      return DeclaredType{args[0].kind, true};
    }
    if (name == "Union") return union_of(args);
    if (name == "Literal") return union_of(args);
    if ((name == "Annotated" || name == "Final" || name == "ClassVar" || name == "Required" ||
         name == "NotRequired") &&
        !args.empty()) {
      return args.front();
    }
    return simple_type(name);  // List[int] is a list whatever its items
  }

  // Literal["a", 1] holds values, every other subscript holds types.
  std::optional<DeclaredType> argument(std::string_view outer) {
    if (outer != "Literal") return union_type();
    const Token* start = p_;
    int depth = 0;
    while (p_ != end_ && !(depth == 0 && (p_->is_op(",") || p_->kind == TokenKind::close))) {
      if (p_->kind == TokenKind::open) ++depth;
      if (p_->kind == TokenKind::close) --depth;
      ++p_;
    }
    const Literal literal = python_literal(start, p_);
    return DeclaredType{literal.kind, literal.kind == ValueKind::none};
  }

  const Token* p_;
  const Token* end_;
  int depth_ = 0;
};

}  // namespace

DeclaredType union_of(const std::vector<DeclaredType>& alternatives) {
  DeclaredType out{ValueKind::none, false};
  bool first = true;
  for (const DeclaredType& alternative : alternatives) {
    if (alternative.nullable || alternative.kind == ValueKind::none) out.nullable = true;
    if (alternative.kind == ValueKind::none) continue;
    if (first) {
      out.kind = alternative.kind;
      first = false;
    } else if (out.kind != alternative.kind) {
      const bool numeric =
          (out.kind == ValueKind::integer || out.kind == ValueKind::number) &&
          (alternative.kind == ValueKind::integer || alternative.kind == ValueKind::number);
      out.kind = numeric ? ValueKind::number : ValueKind::unknown;
    }
  }
  return out;
}

DeclaredType python_declared_type(std::string_view annotation) {
  const Tokens tokens = tokenize_python(annotation);
  std::vector<Token> significant;
  for (const Token& token : tokens.tokens) {
    if (token.kind != TokenKind::comment && token.kind != TokenKind::newline) {
      significant.push_back(token);
    }
  }
  if (!tokens.error.empty() || significant.empty()) return {};
  TypeParser parser(significant.data(), significant.data() + significant.size());
  auto type = parser.union_type();
  if (!type || !parser.at_end()) return {};
  return *type;
}

}  // namespace nbexec::params::detail
