// Python literals (what ast.literal_eval accepts, plus float('nan') and friends) evaluated to
// JSON, so that inspection can say what a default is without running the notebook.
#include "params/common/python_number.hpp"
#include "params/inspect/literal_parser.hpp"

#include <cstdint>
#include <limits>
#include <set>
#include <string>

namespace nbexec::params::detail {
namespace {

using json = nlohmann::ordered_json;

Literal integer_literal(std::string_view text, int base) {
  const auto parsed = python_int(text, base);
  if (!parsed) return {};
  Literal out{ValueKind::integer, std::nullopt};
  if (auto value = json_integer(*parsed)) out.value = std::move(*value);
  return out;  // beyond 64 bits: still an integer, value unknown
}

Literal number_literal(std::string_view text) {
  if (text.ends_with('j') || text.ends_with('J')) return {};  // complex
  if (text.size() > 1 && text[0] == '0') {
    const char p = text[1];
    if (p == 'x' || p == 'X') return integer_literal(text, 16);
    if (p == 'o' || p == 'O') return integer_literal(text, 8);
    if (p == 'b' || p == 'B') return integer_literal(text, 2);
  }
  if (text.find_first_of(".eE") != std::string_view::npos) {
    if (auto value = python_float(text)) return {ValueKind::number, json(*value)};
    return {};
  }
  return integer_literal(text, 10);
}

class Parser : public LiteralParser<Parser> {
 public:
  using LiteralParser::LiteralParser;

 private:
  friend class LiteralParser<Parser>;

  static Literal number(std::string_view text) { return number_literal(text); }

  std::optional<Literal> term() {
    const Token& t = *p_;
    if (t.kind == TokenKind::string) {
      return strings();
    } else if (t.kind == TokenKind::name) {
      if (auto named = name_literal()) return named;
    } else if (t.kind == TokenKind::open) {
      ++p_;
      if (t.text == "[") return list(ValueKind::list, "]");
      if (t.text == "(") return parenthesized();
      return braces();
    }
    return std::nullopt;
  }

  bool at_op(std::string_view op) const { return p_ != end_ && p_->is_op(op); }
  bool at_close() const { return p_ != end_ && p_->kind == TokenKind::close; }

  // Adjacent literals concatenate ("a" 'b'); bytes, or bytes next to str, are not JSON.
  std::optional<Literal> strings() {
    Literal out{ValueKind::string, json("")};
    for (; p_ != end_ && p_->kind == TokenKind::string; ++p_) {
      const std::string_view text = p_->text;
      const std::string_view prefix = text.substr(0, text.find_first_of("'\""));
      if (prefix.find_first_of("bB") != std::string_view::npos) out.kind = ValueKind::unknown;
      auto value = python_string_value(text);
      if (value && out.value) {
        out.value = out.value->get<std::string>() + *value;
      } else {
        out.value.reset();
      }
    }
    if (out.kind == ValueKind::unknown) out.value.reset();
    return out;
  }

  std::optional<Literal> name_literal() {
    const std::string_view name = p_->text;
    if (name == "True" || name == "False") {
      ++p_;
      return Literal{ValueKind::boolean, json(name == "True")};
    }
    if (name == "None") {
      ++p_;
      return Literal{ValueKind::none, json(nullptr)};
    }
    // float('nan'), float("-inf"), float(1): the usual spelling of non-finite defaults.
    if (name == "float" && end_ - p_ >= 3 && p_[1].is(TokenKind::open, "(")) {
      p_ += 2;
      auto arg = expression();
      if (!arg || !at_close() || p_->text != ")") return std::nullopt;
      ++p_;
      Literal out{ValueKind::number, std::nullopt};
      if (arg->kind == ValueKind::string && arg->value) {
        if (auto v = python_float(arg->value->get<std::string>())) out.value = json(*v);
      } else if ((arg->kind == ValueKind::integer || arg->kind == ValueKind::number) &&
                 arg->value) {
        out.value = json(arg->value->get<double>());
      } else {
        return std::nullopt;
      }
      return out;
    }
    // math.inf, np.nan: as plain as float('inf') once math or numpy is imported.
    if ((name == "math" || name == "np" || name == "numpy") && end_ - p_ >= 3 && p_[1].is_op(".") &&
        (p_[2].is(TokenKind::name, "inf") || p_[2].is(TokenKind::name, "nan"))) {
      const bool inf = p_[2].text == "inf";
      p_ += 3;
      return Literal{ValueKind::number, json(inf ? std::numeric_limits<double>::infinity()
                                                 : std::numeric_limits<double>::quiet_NaN())};
    }
    return std::nullopt;
  }

  // One element of a container: a literal followed by a separator or the closing bracket;
  // anything else (a name, a call, a comprehension) is skipped and is unknown.
  Literal element() {
    const Token* start = p_;
    auto literal = expression();
    if (literal && (at_end() || at_op(",") || at_op(":") || at_close())) return *literal;
    p_ = start;
    int depth = 0;
    for (; p_ != end_; ++p_) {
      if (p_->kind == TokenKind::open) {
        ++depth;
      } else if (p_->kind == TokenKind::close) {
        if (depth-- == 0) break;
      } else if (depth == 0 && (p_->is_op(",") || p_->is_op(":"))) {
        break;
      }
    }
    return {};
  }

  // Skips to just past the bracket that closes the current container.
  void skip_to_close() {
    int depth = 0;
    for (; p_ != end_; ++p_) {
      if (p_->kind == TokenKind::open) ++depth;
      if (p_->kind == TokenKind::close && depth-- == 0) {
        ++p_;
        return;
      }
    }
  }

  // Elements up to `close`; `first` when the caller already read the first one.
  Literal list(ValueKind kind, std::string_view close, std::optional<Literal> first = {}) {
    Literal out{kind, json::array()};
    auto take = [&out](const Literal& item) {
      if (out.value && item.value) {
        out.value->push_back(*item.value);
      } else {
        out.value.reset();
      }
    };
    if (first) {
      take(*first);
      if (at_op(",")) ++p_;
    }
    while (p_ != end_) {
      if (at_close()) {
        const bool matches = p_->text == close;
        ++p_;
        if (!matches) return {};
        return out;
      }
      take(element());
      if (at_op(",")) {
        ++p_;
      } else if (!at_close()) {
        out.value.reset();  // `[x for x in y]`, `[*a]`: a list, of unknown value
        skip_to_close();
        return out;
      }
    }
    return {};
  }

  Literal parenthesized() {
    if (at_close()) {
      ++p_;
      return {ValueKind::list, json::array()};  // ()
    }
    Literal first = element();
    if (at_close() && p_->text == ")") {
      ++p_;
      return first;  // (1) is 1, not a tuple
    }
    return list(ValueKind::list, ")", first);
  }

  // A dict, or a set (no JSON counterpart: unknown).
  Literal braces() {
    if (at_close()) {
      ++p_;
      return {ValueKind::dict, json::object()};
    }
    Literal out{ValueKind::dict, json::object()};
    std::set<std::string> unknown_keys;
    while (p_ != end_) {
      if (at_close()) {
        ++p_;
        if (!unknown_keys.empty()) out.value.reset();
        return out;
      }
      if (at_op("**")) {  // {**other}: a dict, of unknown value
        out.value.reset();
        skip_to_close();
        return out;
      }
      Literal key = element();
      if (!at_op(":")) {
        skip_to_close();
        return {};  // a set, or a set comprehension
      }
      ++p_;
      Literal value = element();
      if (out.value && key.kind == ValueKind::string && key.value) {
        // A repeated key keeps its first place and its last value, as in Python; a value
        // nbexec cannot evaluate is held as a marker until a later one replaces it.
        const std::string& name = key.value->get_ref<const std::string&>();
        (*out.value)[name] = value.value ? *value.value : json();
        if (value.value) {
          unknown_keys.erase(name);
        } else {
          unknown_keys.insert(name);
        }
      } else {
        out.value.reset();  // keys that are not strings have no JSON form
      }
      if (at_op(",")) {
        ++p_;
      } else if (!at_close()) {
        out.value.reset();
        skip_to_close();
        return out;
      }
    }
    return {};
  }
};

}  // namespace

std::optional<nlohmann::ordered_json> negate_number(const nlohmann::ordered_json& value) {
  if (value.is_number_float()) return json(-value.get<double>());
  if (value.is_number_unsigned()) {
    const std::uint64_t u = value.get<std::uint64_t>();
    constexpr std::uint64_t kMinMagnitude = std::uint64_t{1} << 63;
    if (u < kMinMagnitude) return json(-static_cast<std::int64_t>(u));
    if (u == kMinMagnitude) return json(std::numeric_limits<std::int64_t>::min());
    return std::nullopt;
  }
  if (value.is_number_integer()) {
    const std::int64_t i = value.get<std::int64_t>();
    if (i == std::numeric_limits<std::int64_t>::min()) {
      return json(static_cast<std::uint64_t>(1) << 63);
    }
    return json(-i);
  }
  return std::nullopt;
}

Literal python_literal(const Token* first, const Token* last) {
  return Parser::whole(first, last);
}

}  // namespace nbexec::params::detail
