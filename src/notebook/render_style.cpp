#include "render_style.hpp"

namespace nbexec::notebook::detail {

std::string_view page_security_policy() {
  // frame-src 'none' does not stop srcdoc iframes (nothing is fetched for them; checked in
  // Chromium by tests/python/test_render_browser.py), it stops any other frame.
  return "default-src 'none'; script-src 'none'; object-src 'none'; img-src data:; "
         "style-src 'unsafe-inline'; frame-src 'none'; form-action 'none'; base-uri 'none'";
}

std::string_view page_style() {
  return R"css(
body { margin: 0; background: #fff; color: #1f2328;
  font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 64em; margin: 1.5em auto; padding: 0 1em; }
.cell { margin: .6em 0; padding: .2em .5em; border: 2px solid transparent; border-radius: 4px; }
.cell.error { border-color: #d1242f; background: #fde8e8; }
.input, .output-area { display: flex; align-items: flex-start; }
.prompt { flex: 0 0 5.5em; padding-top: .45em; color: #6e7781; text-align: right;
  font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; margin-right: .6em; }
.prompt.out { color: #bc4c00; }
.output { flex: 1 1 auto; min-width: 0; }
pre { margin: .2em 0; padding: .45em .6em; overflow-x: auto; white-space: pre-wrap;
  word-wrap: break-word; font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre.source { flex: 1 1 auto; min-width: 0; background: #f6f8fa; border: 1px solid #d0d7de;
  border-radius: 4px; }
pre.stderr { background: #fff5e6; }
pre.error-output { background: transparent; }
pre.javascript { background: #f6f8fa; color: #57606a; }
.markdown { padding: 0 .4em; }
.markdown table { border-collapse: collapse; margin: .5em 0; }
.markdown th, .markdown td { border: 1px solid #d0d7de; padding: .25em .7em; }
.markdown code { background: #eff1f3; padding: .1em .3em; border-radius: 3px; font-size: 90%; }
.markdown pre { background: #f6f8fa; border-radius: 4px; }
.markdown pre code { background: none; padding: 0; }
.markdown img, img.image-output { max-width: 100%; height: auto; }
iframe.html-output { display: block; width: 100%; border: 1px solid #d0d7de; border-radius: 4px;
  resize: vertical; overflow: auto; background: #fff; }
.papermill-banner { color: #d1242f; font-size: 1.6em; font-weight: 600; }
.papermill-banner a { color: inherit; }
)css";
}

}  // namespace nbexec::notebook::detail
