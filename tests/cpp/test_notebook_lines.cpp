#include <nbexec/notebook/lines.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

using nbexec::notebook::join_lines;
using nbexec::notebook::split_line_views;
using nbexec::notebook::split_lines_keepends;
using Lines = std::vector<std::string>;

// Every expected value below is Python 3.11's str.splitlines(True) of the same text.
TEST_CASE("split_lines_keepends matches Python's splitlines(keepends=True)", "[notebook]") {
  struct Case {
    std::string text;
    Lines lines;
  };
  const std::vector<Case> cases = {
      {"", {}},
      {"a", {"a"}},
      {"a\n", {"a\n"}},
      {"\n", {"\n"}},
      {"\n\n", {"\n", "\n"}},
      {"a\r\nb", {"a\r\n", "b"}},
      {"a\rb", {"a\r", "b"}},
      {"a\r\rb", {"a\r", "\r", "b"}},
      {"\r\n\r\n", {"\r\n", "\r\n"}},
      {"\r\r\n", {"\r", "\r\n"}},
      {"a\n\rb", {"a\n", "\r", "b"}},
      {"a\vb\fc", {"a\v", "b\f", "c"}},
      {"a\x1c"
       "b\x1d"
       "c\x1e"
       "d",
       {"a\x1c", "b\x1d", "c\x1e", "d"}},
      {"a\u0085b", {"a\u0085", "b"}},
      {"a\u2028b\u2029c", {"a\u2028", "b\u2029", "c"}},
      {"no end", {"no end"}},
      {"\u00e9\n\u00fc", {"\u00e9\n", "\u00fc"}},
      {"x\x1fy", {"x\x1fy"}},              // U+001F is not a line break
      {"\u2027\u202a", {"\u2027\u202a"}},  // neighbours of U+2028/U+2029 are not either
      {"tail\r", {"tail\r"}},
  };
  for (const auto& c : cases) {
    INFO("text: " << c.text);
    CHECK(split_lines_keepends(c.text) == c.lines);
    const auto views = split_line_views(c.text);
    CHECK(Lines(views.begin(), views.end()) == c.lines);
  }
}

TEST_CASE("split_lines_keepends handles a NUL and a truncated multi-byte break", "[notebook]") {
  CHECK(split_lines_keepends(std::string("a\0b\nc", 5)) == Lines{std::string("a\0b\n", 4), "c"});
  // A lone 0xC2 or a cut-off U+2028 at the end is no line break (and never read past the end).
  CHECK(split_lines_keepends("x\xc2") == Lines{"x\xc2"});
  CHECK(split_lines_keepends("x\xe2\x80") == Lines{"x\xe2\x80"});
}

TEST_CASE("split then join gives back the text", "[notebook]") {
  for (std::string text : {"", "a\r\n\r\rb\n", "\u2028\u2029\u0085\v\f", "last line"}) {
    nlohmann::json lines = split_lines_keepends(text);
    CHECK(join_lines(lines) == text);
  }
}

TEST_CASE("join_lines accepts a string or a list of strings only", "[notebook]") {
  CHECK(join_lines(nlohmann::json("one string\n")) == "one string\n");
  CHECK(join_lines(nlohmann::json::array({"a", "b\n", "", "c"})) == "ab\nc");
  CHECK(join_lines(nlohmann::json::array()) == "");
  CHECK_THROWS_AS(join_lines(nlohmann::json::array({"a", 1})), std::invalid_argument);
  CHECK_THROWS_AS(join_lines(nlohmann::json(3)), std::invalid_argument);
  CHECK_THROWS_AS(join_lines(nlohmann::json(nullptr)), std::invalid_argument);
}
