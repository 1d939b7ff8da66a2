// The pieces of the HTML page: markdown through md4c with its links checked, terminal colours,
// and the small escaping helpers.
#include "notebook/render_ansi.hpp"
#include "notebook/render_escape.hpp"
#include "notebook/render_markdown.hpp"

#include <catch2/catch.hpp>

#include <string>

using nbexec::notebook::detail::base64_encode;
using nbexec::notebook::detail::clean_base64;
using nbexec::notebook::detail::html_escape;
using nbexec::notebook::detail::image_data_uri;
using nbexec::notebook::detail::is_safe_link;
using nbexec::notebook::detail::render_ansi;
using nbexec::notebook::detail::render_markdown;
using json = nlohmann::json;

namespace {
bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}
}  // namespace

TEST_CASE("markdown headings, lists, tables, code, links and strikethrough render", "[render]") {
  const std::string html = render_markdown(
      "# Results é\n\n## Sub\n\n- one\n- two\n\n1. first\n\n| model | score |\n|---|--:|\n"
      "| a | 0.9 |\n\n`x < 1` and ~~old~~ and [docs](https://example.org/a?b=1&c=2)\n\n"
      "```python\nif a < b: pass\n```\n");
  CHECK(has(html, "<h1>Results é</h1>"));
  CHECK(has(html, "<h2>Sub</h2>"));
  CHECK(has(html, "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"));
  CHECK(has(html, "<ol>\n<li>first</li>"));
  CHECK(has(html, "<table>"));
  CHECK(has(html, "<th>model</th>"));
  CHECK(has(html, "<td align=\"right\">0.9</td>"));
  CHECK(has(html, "<code>x &lt; 1</code>"));
  CHECK(has(html, "<del>old</del>"));
  CHECK(has(html, "<a href=\"https://example.org/a?b=1&amp;c=2\">docs</a>"));
  CHECK(has(html, "<code class=\"language-python\">if a &lt; b: pass\n</code>"));
}

TEST_CASE("raw HTML in markdown shows as text, never as markup", "[render]") {
  const std::string html = render_markdown(
      "<script>alert(1)</script>\n\nText <img src=x onerror=alert(1)> and <b>bold</b>\n\n"
      "<div onclick=\"x()\">block</div>\n");
  CHECK_FALSE(has(html, "<script"));
  CHECK_FALSE(has(html, "<img"));
  CHECK_FALSE(has(html, "<b>"));
  CHECK_FALSE(has(html, "<div"));
  CHECK(has(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  CHECK(has(html, "&lt;img src=x onerror=alert(1)&gt;"));
}

TEST_CASE("javascript:, data: and other link schemes are neutralised", "[render]") {
  for (const std::string target :
       {"javascript:alert(1)", "JaVaScRiPt:alert(1)", "&#106;avascript:alert(1)",
        "java&#x73;cript:alert(1)", "data:text/html;base64,PHNjcmlwdD4=", "vbscript:x",
        "file:///etc/passwd"}) {
    CAPTURE(target);
    const std::string html = render_markdown("[click](" + target + ")\n\n<" + target + ">\n");
    CHECK(has(html, "<a href=\"#\">click</a>"));
    CHECK_FALSE(has(html, "href=\"javascript"));
    CHECK_FALSE(has(html, "href=\"data:"));
  }
  // The links people write stay.
  CHECK(has(render_markdown("[a](#results)"), "<a href=\"#results\">a</a>"));
  CHECK(has(render_markdown("[a](other.html)"), "<a href=\"other.html\">a</a>"));
  CHECK(has(render_markdown("[a](mailto:x@y.org)"), "<a href=\"mailto:x@y.org\">a</a>"));
  CHECK(has(render_markdown("<https://x.org/p>"), "<a href=\"https://x.org/p\">"));
  CHECK(has(render_markdown("[a](a/b:c)"), "<a href=\"a/b:c\">a</a>"));  // a path, no scheme
  // Not a scheme for a browser either (a relative path): harmless, kept.
  CHECK(has(render_markdown("[a](%20javascript:x)"), "<a href=\"%20javascript:x\">a</a>"));
}

TEST_CASE("markdown images: data: images and attachments stay, script URLs are dropped",
          "[render]") {
  CHECK(has(render_markdown("![x](javascript:alert(1))"), "<img src=\"\" alt=\"x\">"));
  CHECK(has(render_markdown("![x](data:text/html,<b>)"), "<img src=\"\" alt=\"x\">"));
  CHECK(has(render_markdown("![x](data:image/png;base64,AAAA)"),
            "<img src=\"data:image/png;base64,AAAA\""));
  const json attachments = {{"plot one.png", {{"image/png", "iVBO\nRw0K"}}}};
  const std::string html = render_markdown("![plot](attachment:plot%20one.png)", attachments);
  CHECK(has(html, "<img src=\"data:image/png;base64,iVBORw0K\" alt=\"plot\">"));
  CHECK(has(render_markdown("![p](attachment:missing.png)", attachments), "<img src=\"\""));
}

TEST_CASE("is_safe_link reads a URL as a browser does", "[render]") {
  CHECK(is_safe_link("https://x.org"));
  CHECK(is_safe_link("HTTP://x.org"));
  CHECK(is_safe_link("#anchor"));
  CHECK(is_safe_link("relative/path.html"));
  CHECK(is_safe_link("?q=1:2"));
  CHECK_FALSE(is_safe_link("javascript:alert(1)"));
  CHECK_FALSE(is_safe_link(" \x01javascript:alert(1)"));
  CHECK_FALSE(is_safe_link("java\tscript:alert(1)"));
  CHECK_FALSE(is_safe_link("jav\nascript:alert(1)"));
  CHECK_FALSE(is_safe_link("DATA:text/html,x"));
  CHECK_FALSE(is_safe_link("vbscript:x"));
}

TEST_CASE("ANSI colour codes become spans", "[render]") {
  CHECK(render_ansi("plain <text> & more") == "plain &lt;text&gt; &amp; more");
  CHECK(render_ansi("\x1b[31mred\x1b[0m then") == "<span style=\"color:#e75c58;\">red</span> then");
  CHECK(render_ansi("\x1b[1;92mok\x1b[39m!\x1b[0m") ==
        "<span style=\"color:#007427;font-weight:bold;\">ok</span>"
        "<span style=\"font-weight:bold;\">!</span>");
  CHECK(render_ansi("\x1b[41mbg\x1b[m") == "<span style=\"background-color:#e75c58;\">bg</span>");
  CHECK(render_ansi("\x1b[38;5;196mx\x1b[0m") == "<span style=\"color:#ff0000;\">x</span>");
  CHECK(render_ansi("\x1b[38;5;244mx\x1b[0m") == "<span style=\"color:#808080;\">x</span>");
  CHECK(render_ansi("\x1b[38;2;1;2;3mx") == "<span style=\"color:#010203;\">x</span>");
  // Other escape sequences (cursor moves, erase) are dropped; a lone \r rewrites its line.
  CHECK(render_ansi("a\x1b[2Kb\x1b[1Ac") == "abc");
  CHECK(render_ansi("10%\r50%\r100%\ndone\r\n") == "100%\ndone\n");
  // An unterminated sequence does not swallow the text before it or crash.
  CHECK(render_ansi("tail\x1b[31") == "tail");
  CHECK(render_ansi("\x1b") == "");
}

TEST_CASE("escaping and base64 helpers", "[render]") {
  CHECK(html_escape("<a href=\"x\">'&'</a>") ==
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  CHECK(html_escape("ünï — 日本") == "ünï — 日本");
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("<svg/>") == "PHN2Zy8+");
  CHECK(clean_base64("iVBO\nRw0K\n") == "iVBORw0K");
  CHECK(clean_base64("AAAA\" onerror=\"x") == "");  // nothing can leave the attribute
  CHECK(image_data_uri("image/svg+xml", "<svg/>") == "data:image/svg+xml;base64,PHN2Zy8+");
  CHECK(image_data_uri("image/png", json::array({"iVBO\n", "Rw0K"})) ==
        "data:image/png;base64,iVBORw0K");
  CHECK(image_data_uri("text/html", "x").empty());
}
