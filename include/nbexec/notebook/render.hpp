#pragma once

#include <nbexec/notebook/notebook.hpp>

#include <string>

namespace nbexec::notebook {

struct RenderOptions {
  // The page's <title>; empty gives "notebook".
  std::string title;
};

// The notebook as one self-contained HTML page (inline CSS, images as data: URIs, nothing
// fetched): markdown rendered (GitHub's dialect, raw HTML shown as text), code cells with
// their In [n]: prompts, outputs in nbconvert's mime order, ANSI colours as spans, error cells
// highlighted and papermill's error banner linked to the failing cell. Outputs are untrusted:
// the page forbids script with a Content-Security-Policy and shows every text/html output in a
// sandboxed iframe (docs/render.md has the security model). Never throws on odd fields: what
// it cannot read it leaves out.
std::string render_html(const Notebook& nb, const RenderOptions& options = {});

}  // namespace nbexec::notebook
