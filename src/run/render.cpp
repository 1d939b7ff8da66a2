#include <nbexec/render.hpp>

#include <nbexec/notebook/read.hpp>
#include <nbexec/notebook/write.hpp>

namespace nbexec {
namespace {

std::string finish(const std::string& page, const std::filesystem::path& output) {
  // The whole page is built before the first byte is written: a notebook that cannot be
  // rendered never leaves a partial file, and the write itself is temp file + rename.
  if (!output.empty()) notebook::write_file_atomic(output, page);
  return page;
}

}  // namespace

std::string render_notebook_html(const notebook::Notebook& nb, const RenderOptions& options) {
  return notebook::render_html(nb, options);
}

std::string render_notebook_text(std::string_view text, const RenderOptions& options,
                                 const std::filesystem::path& output, std::string_view origin) {
  const notebook::Notebook nb = notebook::parse_notebook_text(text, std::string(origin));
  return finish(notebook::render_html(nb, options), output);
}

std::string render_notebook_file(const std::filesystem::path& input,
                                 const std::filesystem::path& output,
                                 const RenderOptions& options) {
  const notebook::Notebook nb = notebook::load_notebook(input);
  RenderOptions titled = options;
  if (titled.title.empty() && input != "-") titled.title = input.stem().string();
  return finish(notebook::render_html(nb, titled), output);
}

std::filesystem::path default_render_output(const std::filesystem::path& input) {
  std::filesystem::path out = input;
  out.replace_extension(".html");
  return out;
}

}  // namespace nbexec
