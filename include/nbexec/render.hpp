#pragma once

#include <nbexec/notebook/notebook.hpp>
#include <nbexec/notebook/render.hpp>

#include <filesystem>
#include <string>
#include <string_view>

// The facade's job that turns a notebook into one self-contained HTML page for people to read
// (docs/render.md): markdown, code, outputs, errors, with untrusted outputs unable to run script.
namespace nbexec {

using notebook::RenderOptions;

// The page of a notebook in memory.
std::string render_notebook_html(const notebook::Notebook& nb, const RenderOptions& options = {});

// The page of notebook JSON text (a string a front holds). When `output` is not empty the page
// is also written there atomically ("-" writes standard output). Throws NotebookError naming
// `origin` for malformed JSON or a document that is not an nbformat 4 notebook, and naming
// `output` when it cannot be written (nothing is left there then).
std::string render_notebook_text(std::string_view text, const RenderOptions& options = {},
                                 const std::filesystem::path& output = {},
                                 std::string_view origin = "<string>");

// The page of the notebook file at `input` ("-" reads standard input), titled with its name
// (without .ipynb) unless options.title is set; written atomically to `output` when it is not
// empty ("-" writes standard output). Returns the page. Throws NotebookError naming the file.
std::string render_notebook_file(const std::filesystem::path& input,
                                 const std::filesystem::path& output = {},
                                 const RenderOptions& options = {});

// Where `nbexec render NOTEBOOK` writes by default: NOTEBOOK with its extension replaced by
// .html (analysis.ipynb -> analysis.html).
std::filesystem::path default_render_output(const std::filesystem::path& input);

}  // namespace nbexec
