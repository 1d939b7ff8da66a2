// Julia literals evaluated to JSON: nothing/missing, true/false, numbers, strings and chars,
// [..] vectors, tuples and Dict(k => v, ...).
#include "params/common/python_number.hpp"
#include "params/inspect/literal_parser.hpp"

#include <limits>

namespace nbexec::params::detail {
namespace {

using json = nlohmann::ordered_json;

Literal integer_literal(std::string_view text, int base) {
  const auto parsed = python_int(text, base);
  if (!parsed) return {};
  return {ValueKind::integer, json_integer(*parsed)};
}

Literal julia_number(std::string_view text) {
  if (text.size() > 1 && text[0] == '0') {
    if (text[1] == 'x') return integer_literal(text, 16);
    if (text[1] == 'o') return integer_literal(text, 8);
    if (text[1] == 'b') return integer_literal(text, 2);
  }
  if (text.find_first_of(".eEf") == std::string_view::npos) return integer_literal(text, 10);
  std::string decimal(text);
  for (char& c : decimal) {
    if (c == 'f') c = 'e';  // 1f0 is a Float32 literal
  }
  if (decimal.ends_with('.')) decimal += '0';
  const auto value = python_float(decimal);
  if (!value) return {};
  return {ValueKind::number, json(*value)};
}

std::optional<Literal> named_constant(std::string_view n) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  if (n == "nothing" || n == "missing") return Literal{ValueKind::none, json(nullptr)};
  if (n == "true" || n == "false") return Literal{ValueKind::boolean, json(n == "true")};
  if (n == "Inf" || n == "Inf64" || n == "Inf32" || n == "Inf16") {
    return Literal{ValueKind::number, json(inf)};
  }
  if (n == "NaN" || n == "NaN64" || n == "NaN32" || n == "NaN16") {
    return Literal{ValueKind::number, json(nan)};
  }
  return std::nullopt;
}

class Parser : public LiteralParser<Parser> {
 public:
  using LiteralParser::LiteralParser;

 private:
  friend class LiteralParser<Parser>;

  static Literal number(std::string_view text) { return julia_number(text); }

  std::optional<Literal> term() {
    const Token& t = *p_++;
    if (t.kind == TokenKind::string) {
      const std::size_t quote = t.text.find_first_of("\"'");
      const std::string_view macro = t.text.substr(0, quote);
      if (!macro.empty() && macro != "raw") return Literal{};  // r"regex", b"bytes", ...
      auto value = julia_string_value(t.text);
      return Literal{ValueKind::string, value ? std::optional<json>(*value) : std::nullopt};
    } else if (t.kind == TokenKind::name) {
      if (auto constant = named_constant(t.text)) return constant;
      if (t.text == "Dict" || t.text == "OrderedDict") {
        if (p_ != end_ && p_->is(TokenKind::open, "{")) {  // Dict{String, Any}(...)
          p_ = skip_element(p_ + 1, end_, {});
          if (p_ != end_) ++p_;
        }
        if (p_ != end_ && p_->is(TokenKind::open, "(")) {
          ++p_;
          return dict();
        }
      }
    } else if (t.is(TokenKind::open, "[")) {
      return sequence("]");
    } else if (t.is(TokenKind::open, "(")) {
      if (p_ != end_ && p_->is(TokenKind::close, ")")) {
        ++p_;
        return Literal{ValueKind::list, json::array()};
      }
      const Token* inner_start = p_;
      auto inner = element();
      if (p_ != end_ && p_->is(TokenKind::close, ")")) {
        ++p_;
        return inner;  // (1) is 1; (1,) is a tuple
      }
      p_ = inner_start;
      return sequence(")");
    }
    return std::nullopt;
  }

  Literal element() {
    const Token* start = p_;
    auto literal = expression();
    if (literal &&
        (p_ == end_ || p_->is_op(",") || p_->is_op("=>") || p_->kind == TokenKind::close)) {
      return *literal;
    }
    p_ = skip_element(start, end_, {",", "=>"});
    return {};
  }

  void skip_to_close() {
    p_ = skip_element(p_, end_, {});
    if (p_ != end_) ++p_;
  }

  // After a container's item: past its comma, or at the closing bracket. Anything else
  // (`[1 2]`, a generator) leaves the container without a plain value: skipped, and false.
  bool after_item(Literal& out) {
    if (p_ != end_ && p_->is_op(",")) {
      ++p_;
      return true;
    }
    if (p_ != end_ && p_->kind == TokenKind::close) return true;
    out.value.reset();
    skip_to_close();
    return false;
  }

  // [a, b] and (a, b); `[1 2]` (a matrix), `[a; b]` and comprehensions have no plain value.
  std::optional<Literal> sequence(std::string_view close) {
    Literal out{ValueKind::list, json::array()};
    while (p_ != end_ && p_->kind != TokenKind::close) {
      Literal item = element();
      if (out.value && item.value) {
        out.value->push_back(*item.value);
      } else {
        out.value.reset();
      }
      if (!after_item(out)) {
        if (close == ")") out.kind = ValueKind::unknown;
        return out;
      }
    }
    if (p_ == end_ || p_->text != close) return std::nullopt;
    ++p_;
    return out;
  }

  // Dict("a" => 1, ...): string keys give a JSON object.
  std::optional<Literal> dict() {
    Literal out{ValueKind::dict, json::object()};
    while (p_ != end_ && p_->kind != TokenKind::close) {
      Literal key = element();
      if (p_ == end_ || !p_->is_op("=>")) {
        out.value.reset();  // Dict(pairs), Dict(k => v for ...)
        skip_to_close();
        return out;
      }
      ++p_;
      Literal value = element();
      if (out.value && key.kind == ValueKind::string && key.value && value.value) {
        (*out.value)[key.value->get<std::string>()] = *value.value;
      } else {
        out.value.reset();
      }
      if (!after_item(out)) return out;
    }
    if (p_ == end_ || p_->text != ")") return std::nullopt;
    ++p_;
    return out;
  }
};

}  // namespace

Literal julia_literal(const Token* first, const Token* last) {
  return Parser::whole(first, last);
}

}  // namespace nbexec::params::detail
