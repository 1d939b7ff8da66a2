#pragma once

// The part of a literal parser that Python, R and Julia share: the nesting limit, a unary
// sign in front of a number, and the number itself. Each language's parser derives from
// LiteralParser<Self> (CRTP, so no virtual calls on the hot path) and supplies
//   static Literal number(std::string_view text);  // its number syntax
//   std::optional<Literal> term();                 // everything else, at *p_
// term() may leave p_ anywhere when it returns nullopt: expression() puts it back.

#include "params/inspect/inspect_detail.hpp"

#include <optional>

namespace nbexec::params::detail {

inline bool numeric(ValueKind kind) {
  return kind == ValueKind::integer || kind == ValueKind::number;
}

template <class Language>
class LiteralParser {
 public:
  LiteralParser(const Token* first, const Token* last) : p_(first), end_(last) {}

  bool at_end() const { return p_ == end_; }

  // The literal starting here, or nullopt (nothing consumed) when none does.
  std::optional<Literal> expression() {
    const DepthGuard guard(depth_);
    if (p_ == end_ || guard.too_deep()) return std::nullopt;
    const Token* start = p_;
    const Token& t = *p_;
    if (t.is_op("-") || t.is_op("+")) {
      ++p_;
      auto inner = expression();
      // A sign makes sense only in front of a number: -"a" or -[1] is not a literal.
      if (inner && numeric(inner->kind)) {
        if (t.text == "-" && inner->value) inner->value = negate_number(*inner->value);
        return inner;
      }
    } else if (t.kind == TokenKind::number) {
      ++p_;
      return Language::number(t.text);
    } else if (auto literal = static_cast<Language*>(this)->term()) {
      return literal;
    }
    p_ = start;
    return std::nullopt;
  }

  // Tokens [first, last) as one whole literal; unknown when anything is left over.
  static Literal whole(const Token* first, const Token* last) {
    Language parser(first, last);
    auto literal = parser.expression();
    if (!literal || !parser.at_end()) return {};
    return *literal;
  }

 protected:
  const Token* p_;
  const Token* end_;

 private:
  int depth_ = 0;
};

}  // namespace nbexec::params::detail
