#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace nbexec::notebook::detail {

// Python's repr(float) as json.dumps writes it: shortest round-trip digits, fixed notation for
// decimal exponents -4..15 ("1.0", "0.0001", "1000000000000000.0"), else scientific with a
// signed two-digit-minimum exponent ("1e-05", "1e+16"); NaN, Infinity and -Infinity.
std::string python_float_repr(double value);

// Writes JSON the way Python's json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False,
// separators=(",", ": ")) does. nlohmann's dump differs in float formatting and NaN/Infinity,
// and offers no hook for nbformat's line splitting, hence this writer. Objects come out in key
// order because nlohmann::json keeps keys sorted by UTF-8 bytes, which is code point order,
// the order Python's sort_keys uses.
class PythonJsonWriter {
 public:
  explicit PythonJsonWriter(std::string& out) : out_(out) {}

  // Any value, recursively, at nesting `depth` (0 for the document).
  void value(const nlohmann::json& v, int depth);

  // A JSON string literal: escapes '"', '\\' and control characters only (\n, \r, \t, \b, \f
  // short forms, else \u00xx); invalid UTF-8 becomes U+FFFD.
  void string(std::string_view text);

  // A list of strings, as json.dumps lays out ["a\n", "b"].
  void string_list(const std::vector<std::string_view>& items, int depth);

  // An object whose members pass `keep(key)`, each written by `member(key, value, depth + 1)`;
  // "{}" when none is kept, as Python prints an empty dict.
  template <class Keep, class Member>
  void object(const nlohmann::json& obj, int depth, Keep&& keep, Member&& member) {
    check_depth(depth);
    bool first = true;
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      if (!keep(it.key())) continue;
      out_ += first ? "{" : ",";
      first = false;
      newline(depth + 1);
      string(it.key());
      out_ += ": ";
      member(it.key(), it.value(), depth + 1);
    }
    if (first) {
      out_ += "{}";
      return;
    }
    newline(depth);
    out_ += '}';
  }

  // An array whose elements are each written by `element(value, depth + 1)`.
  template <class Element>
  void array(const nlohmann::json& arr, int depth, Element&& element) {
    check_depth(depth);
    if (arr.empty()) {
      out_ += "[]";
      return;
    }
    bool first = true;
    for (const auto& item : arr) {
      out_ += first ? "[" : ",";
      first = false;
      newline(depth + 1);
      element(item, depth + 1);
    }
    newline(depth);
    out_ += ']';
  }

 private:
  void newline(int depth) {
    out_ += '\n';
    out_.append(static_cast<std::size_t>(depth), ' ');
  }
  static void check_depth(int depth);

  std::string& out_;
};

}  // namespace nbexec::notebook::detail
