// R literals evaluated to JSON: NULL, TRUE/FALSE, NA, numbers (1 is a double, 1L an integer),
// strings, and c(...) / list(...) of those, named (a dict) or not (a list).
#include "params/common/python_number.hpp"
#include "params/inspect/literal_parser.hpp"

#include <limits>

namespace nbexec::params::detail {
namespace {

using json = nlohmann::ordered_json;

Literal r_number(std::string_view text) {
  if (text.ends_with('i')) return {};  // complex
  const bool integer = text.ends_with('L');
  if (integer) text.remove_suffix(1);
  const ValueKind kind = integer ? ValueKind::integer : ValueKind::number;
  if (text.starts_with("0x") || text.starts_with("0X")) {
    const auto parsed = python_int(text, 16);
    if (!parsed) return {};
    return {kind, json_integer(*parsed)};
  }
  if (text.find('_') != std::string_view::npos) return {};
  // A plain "10" stays an integer in JSON (R holds it as the double 10).
  if (text.find_first_of(".eE") == std::string_view::npos) {
    if (auto parsed = python_int(text, 10)) return {kind, json_integer(*parsed)};
    return {};
  }
  const auto value = python_float(text);
  if (!value) return {};
  if (integer) {
    if (*value != static_cast<double>(static_cast<long long>(*value))) return {};
    return {kind, json(static_cast<long long>(*value))};
  }
  return {kind, json(*value)};
}

class Parser : public LiteralParser<Parser> {
 public:
  using LiteralParser::LiteralParser;

 private:
  friend class LiteralParser<Parser>;

  static Literal number(std::string_view text) { return r_number(text); }

  std::optional<Literal> term() {
    const Token& t = *p_++;
    if (t.kind == TokenKind::string) {
      auto value = r_string_value(t.text);
      return Literal{ValueKind::string, value ? std::optional<json>(*value) : std::nullopt};
    } else if (t.kind == TokenKind::name) {
      const std::string_view n = t.text;
      if (n == "NULL" || n == "NA" || n == "NA_integer_" || n == "NA_real_" ||
          n == "NA_character_") {
        return Literal{ValueKind::none, json(nullptr)};
      }
      if (n == "TRUE" || n == "T") return Literal{ValueKind::boolean, json(true)};
      if (n == "FALSE" || n == "F") return Literal{ValueKind::boolean, json(false)};
      if (n == "Inf")
        return Literal{ValueKind::number, json(std::numeric_limits<double>::infinity())};
      if (n == "NaN")
        return Literal{ValueKind::number, json(std::numeric_limits<double>::quiet_NaN())};
      if ((n == "c" || n == "list") && p_ != end_ && p_->is(TokenKind::open, "(")) {
        ++p_;
        return call(n == "c");
      }
    } else if (t.is(TokenKind::open, "(")) {
      auto inner = expression();
      if (inner && p_ != end_ && p_->is(TokenKind::close, ")")) {
        ++p_;
        return inner;
      }
    }
    return std::nullopt;
  }

  struct Item {
    std::optional<std::string> name;
    Literal literal;
  };

  // c(...) and list(...): `name = value` items make a dict, plain items a list; c() flattens
  // nested vectors and is NULL when empty.
  std::optional<Literal> call(bool vector) {
    std::vector<Item> items;
    while (p_ != end_ && p_->kind != TokenKind::close) {
      Item item;
      if (end_ - p_ >= 2 && p_[1].is_op("=") &&
          (p_->kind == TokenKind::name || p_->kind == TokenKind::string)) {
        const std::string_view n = p_->text;
        item.name = p_->kind == TokenKind::string ? r_string_value(n)
                    : n.starts_with('`')          ? std::string(n.substr(1, n.size() - 2))
                                                  : std::string(n);
        p_ += 2;
      }
      const Token* start = p_;
      auto literal = expression();
      if (literal && (p_ == end_ || p_->is_op(",") || p_->kind == TokenKind::close)) {
        item.literal = *literal;
      } else {
        p_ = skip_element(start, end_, {","});
      }
      items.push_back(std::move(item));
      if (p_ != end_ && p_->is_op(",")) ++p_;
    }
    if (p_ == end_ || p_->text != ")") return std::nullopt;
    ++p_;
    if (items.empty()) {
      return vector ? Literal{ValueKind::none, json(nullptr)}
                    : Literal{ValueKind::list, json::array()};
    }
    std::size_t named = 0;
    for (const Item& item : items) named += item.name.has_value() ? 1 : 0;
    if (named == items.size()) {
      Literal out{ValueKind::dict, json::object()};
      for (const Item& item : items) {
        if (!item.name || !item.literal.value) {
          out.value.reset();
          break;
        }
        (*out.value)[*item.name] = *item.literal.value;
      }
      return out;
    }
    Literal out{ValueKind::list, json::array()};
    if (named != 0) out.value.reset();
    std::optional<ValueKind> scalar;  // c() coerces mixed scalars: their value is R's business
    for (const Item& item : items) {
      if (!out.value) break;
      if (!item.literal.value) {
        out.value.reset();
      } else if (vector && item.literal.value->is_array()) {
        for (const auto& v : *item.literal.value) out.value->push_back(v);
      } else {
        if (vector && item.literal.kind != ValueKind::none) {
          const ValueKind k = numeric(item.literal.kind) ? ValueKind::number : item.literal.kind;
          if (scalar && *scalar != k) out.value.reset();
          scalar = k;
        }
        if (out.value) out.value->push_back(*item.literal.value);
      }
    }
    return out;
  }
};

}  // namespace

Literal r_literal(const Token* first, const Token* last) {
  return Parser::whole(first, last);
}

}  // namespace nbexec::params::detail
