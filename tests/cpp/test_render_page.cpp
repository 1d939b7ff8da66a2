// The whole HTML page of a notebook: its policy, cells, outputs, errors and papermill's banner.
#include <nbexec/error.hpp>
#include <nbexec/notebook/render.hpp>
#include <nbexec/render.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <utility>
#include <vector>

using nbexec::notebook::json;
using nbexec::notebook::Notebook;
using nbexec::notebook::render_html;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Lists and mappings are built explicitly: a one-element braced list of json is an array for
// g++ but a copy of that element for clang (CWG 2137), and the sanitizer build is clang's.
json code_cell(int count, const std::string& source, const std::vector<json>& outputs,
               json metadata = json::object()) {
  return {{"cell_type", "code"},
          {"execution_count", count},
          {"metadata", std::move(metadata)},
          {"source", source},
          {"outputs", json(outputs)}};
}

json markdown_cell(const std::string& source, json metadata = json::object()) {
  return {{"cell_type", "markdown"}, {"metadata", std::move(metadata)}, {"source", source}};
}

json display(std::initializer_list<std::pair<const std::string, json>> data) {
  return {{"output_type", "display_data"},
          {"metadata", json::object()},
          {"data", json(std::map<std::string, json>(data))}};
}

std::string render(const std::vector<json>& cells, const std::string& title = "report") {
  Notebook nb;
  nb.cells() = json(cells);
  return render_html(nb, {title});
}

const std::string hostile_html =
    "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"
    "<b>kept \"quoted\" &amp;</b>";

}  // namespace

TEST_CASE("the page starts with its policy and forbids script", "[render]") {
  const std::string page = render({}, "a <b> & \"c\"");
  const auto head = page.find("<head>");
  REQUIRE(head != std::string::npos);
  const auto first = page.find('<', head + 6);
  const std::string policy = "<meta http-equiv=\"Content-Security-Policy\" content=\"";
  CHECK(page.compare(first, policy.size(), policy) == 0);
  CHECK(has(page, "default-src 'none'"));
  CHECK(has(page, "script-src 'none'"));
  CHECK(has(page, "img-src data:;"));
  CHECK(has(page, "<title>a &lt;b&gt; &amp; &quot;c&quot;</title>"));
  CHECK(page.starts_with("<!DOCTYPE html>"));
  CHECK(has(render({}, ""), "<title>notebook</title>"));
}

TEST_CASE("text/html outputs go into sandboxed iframes, escaped; no script reaches the page",
          "[render]") {
  const std::string page = render(
      {code_cell(
           1, "show()",
           {display({{"text/html", hostile_html}, {"text/plain", "<IPython.core.display.HTML>"}})}),
       code_cell(2, "js()", {display({{"application/javascript", "alert('<x>')"}})})});
  CHECK(count(page, "<iframe class=\"html-output\" sandbox title=\"HTML output\"") == 1);
  CHECK_FALSE(has(page, "allow-scripts"));
  CHECK_FALSE(has(page, "allow-same-origin"));
  CHECK(has(page, "srcdoc=\"&lt;!DOCTYPE html&gt;"));
  CHECK(has(page, "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"));
  CHECK(has(page, "&lt;b&gt;kept &quot;quoted&quot; &amp;amp;&lt;/b&gt;"));
  // Nowhere outside an attribute: no <script, no live <img src=x, no onerror attribute.
  const std::string low = lower(page);
  CHECK_FALSE(has(low, "<script"));
  CHECK_FALSE(has(low, "<img src=x"));
  CHECK_FALSE(has(low, "onerror=\""));
  // application/javascript is shown as code.
  CHECK(has(page, "<pre class=\"javascript\">alert(&#39;&lt;x&gt;&#39;)</pre>"));
  CHECK_FALSE(has(page, "&lt;IPython.core.display.HTML&gt;"));  // text/html won
}

TEST_CASE("outputs follow nbconvert's mime priority; images inline, SVG only as an image",
          "[render]") {
  const std::string page = render({code_cell(
      3, "plot()",
      {display({{"image/png", "iVBORw0K\n"}, {"text/plain", "<Figure>"}}),
       display({{"image/svg+xml", "<svg onload=\"alert(1)\"/>"}, {"image/png", "AAAA"}}),
       display({{"image/jpeg", "/9j/"}, {"text/markdown", "# no"}}),
       display({{"text/markdown", "**bold** [x](javascript:alert(1))"}, {"text/plain", "md"}}),
       display({{"text/latex", "$x<1$"}, {"text/plain", "latex"}}),
       {{"output_type", "execute_result"},
        {"execution_count", 3},
        {"metadata", json::object()},
        {"data", {{"text/plain", "42 \x1b[31mred\x1b[0m"}}}}})});
  CHECK(has(page, "src=\"data:image/png;base64,iVBORw0K\""));
  CHECK(has(page, "src=\"data:image/svg+xml;base64,"));
  CHECK_FALSE(has(lower(page), "<svg"));
  CHECK_FALSE(has(page, "base64,AAAA"));  // the SVG came first
  CHECK(has(page, "src=\"data:image/jpeg;base64,/9j/\""));
  CHECK(has(page, "<strong>bold</strong> <a href=\"#\">x</a>"));
  CHECK(has(page, "<pre class=\"text\">$x&lt;1$</pre>"));
  CHECK(has(page, "<div class=\"prompt out\">Out[3]:</div>"));
  CHECK(has(page, "42 <span style=\"color:#e75c58;\">red</span>"));
  CHECK_FALSE(has(page, "&lt;Figure&gt;"));
  // Sizes from the output's metadata, when they are sane numbers.
  json sized = display({{"image/png", "iVBORw0K"}});
  sized["metadata"] = {{"image/png", {{"width", 320.7}, {"height", 1e300}}}};
  const std::string with_size = render({code_cell(1, "x", {sized})});
  CHECK(has(with_size, " width=\"320\" src=\"data:image/png"));
  CHECK_FALSE(has(with_size, "height="));
}

TEST_CASE("streams, prompts and hidden parts", "[render]") {
  const json hidden_source = {{"jupyter", {{"source_hidden", true}}}};
  const json hidden_outputs = {{"jupyter", {{"outputs_hidden", true}}}};
  const json out = {{"output_type", "stream"}, {"name", "stdout"}, {"text", "visible out\n"}};
  const json err = {{"output_type", "stream"}, {"name", "stderr"}, {"text", "warn <x>\n"}};
  const std::string page = render({code_cell(7, "print('source one')", {out, err}),
                                   code_cell(8, "secret_source()", {out}, hidden_source),
                                   code_cell(9, "shown_source()", {err}, hidden_outputs),
                                   markdown_cell("hidden markdown", hidden_source)});
  CHECK(has(page,
            "<div class=\"prompt\">In [7]:</div><pre class=\"source\">print(&#39;source "
            "one&#39;)</pre>"));
  CHECK(has(page, "<pre class=\"stream stdout\">visible out\n</pre>"));
  CHECK(has(page, "<pre class=\"stream stderr\">warn &lt;x&gt;\n</pre>"));
  CHECK_FALSE(has(page, "secret_source"));
  CHECK(count(page, "visible out") == 2);  // cell 8's output still shows
  CHECK(has(page, "shown_source()"));
  CHECK(count(page, "warn &lt;x&gt;") == 1);  // cell 9's output is hidden
  CHECK_FALSE(has(page, "hidden markdown"));
}

TEST_CASE("scrap outputs are not shown", "[render]") {
  const std::string page = render({code_cell(
      1, "record()",
      {display({{"application/scrapbook.scrap.json+json", {{"name", "acc"}, {"data", 0.97}}},
                {"text/plain", "scrap-marker-1"}}),
       display({{"application/papermill.record/text/plain", "scrap-marker-2"},
                {"text/plain", "scrap-marker-2"}}),
       display({{"text/plain", "normal output"}})})});
  CHECK_FALSE(has(page, "scrap-marker"));
  CHECK(has(page, "normal output"));
  CHECK(count(page, "class=\"output-area\"") == 1);
}

TEST_CASE("error cells are highlighted and papermill's banner links to the failing cell",
          "[render]") {
  const json error = {
      {"output_type", "error"},
      {"ename", "ZeroDivisionError"},
      {"evalue", "division by zero"},
      {"traceback",
       {"\x1b[0;31m----\x1b[0m", "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"}}};
  const json tag = {{"tags", {"papermill-error-cell-tag"}}};
  const std::string page =
      render({markdown_cell("<span style=\"color:red\">An Exception was encountered at '<a "
                            "href=\"#papermill-error-cell\">In [5]</a>'.</span>",
                            tag),
              code_cell(4, "ok = 1", {}),
              markdown_cell("<span id=\"papermill-error-cell\" style=\"color:red\">Execution using "
                            "papermill encountered an exception here and stopped:</span>",
                            tag),
              code_cell(5, "1 / 0", {error}), code_cell(6, "again()", {error})});
  CHECK(has(page, "<a href=\"#papermill-error-cell\">In [5]</a>"));
  CHECK(count(page, "id=\"papermill-error-cell\"") == 1);
  const auto anchor = page.find("<div class=\"cell code error\" id=\"papermill-error-cell\">");
  REQUIRE(anchor != std::string::npos);
  CHECK(page.find("1 / 0", anchor) < page.find("again()", anchor));
  CHECK(count(page, "class=\"cell code error\"") == 2);
  CHECK(has(page, "encountered an exception here and stopped:</div>"));
  CHECK_FALSE(has(page, "&lt;span"));  // the banner's own markup is not shown as text
  CHECK(has(page, "<span style=\"color:#e75c58;\">ZeroDivisionError</span>: division by zero"));
  CHECK(has(page, ".cell.error {"));
  // No error: no anchor, no error class.
  const std::string fine = render({code_cell(1, "1", {})});
  CHECK_FALSE(has(fine, "papermill-error-cell"));
  CHECK_FALSE(has(fine, "cell code error"));
}

TEST_CASE("odd documents render without throwing", "[render]") {
  CHECK_NOTHROW(render_html(Notebook(json{{"cells", 5}})));
  CHECK_NOTHROW(render_html(Notebook(json::array())));
  const std::string page = render(
      {5,
       json::object(),
       {{"cell_type", "code"}, {"outputs", {7, json::object()}}},
       {{"cell_type", "code"},
        {"source", {"a", "b"}},
        {"execution_count", "x"},
        {"outputs", {{{"output_type", "stream"}, {"text", 3}}, {{"output_type", "error"}}}}},
       {{"cell_type", "raw"}, {"metadata", {{"format", 5}}}, {"source", "raw text"}},
       {{"cell_type", "raw"}, {"metadata", {{"format", "text/html"}}}, {"source", "<i>r</i>"}}});
  CHECK(has(page, "In [ ]:"));
  CHECK(has(page, ">ab</pre>"));
  CHECK_FALSE(has(page, "raw text"));
  CHECK(has(page, "srcdoc=\"&lt;!DOCTYPE html&gt;"));
}

TEST_CASE("the facade renders notebook text and names the origin of bad input", "[render]") {
  const std::string text =
      R"({"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Hi"}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 4})";
  CHECK(has(nbexec::render_notebook_text(text, {"t"}), "<h1>Hi</h1>"));
  CHECK_THROWS_WITH(nbexec::render_notebook_text("{oops", {}, {}, "in.ipynb"),
                    Catch::Contains("in.ipynb"));
  CHECK_THROWS_AS(nbexec::render_notebook_text(R"({"nbformat": 3})"), nbexec::NotebookError);
  CHECK(nbexec::default_render_output("dir/a.b.ipynb") == "dir/a.b.html");
  CHECK(nbexec::default_render_output("plain") == "plain.html");
}
