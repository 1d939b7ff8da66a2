#include "commands.hpp"

#include <nbexec/error.hpp>
#include <nbexec/render.hpp>

#include <iostream>
#include <memory>

namespace nbexec::cli {
namespace {

struct RenderArgs {
  std::string notebook;
  std::string output;
  std::string title;
};

int render(const RenderArgs& args) {
  const std::filesystem::path output = args.output.empty() ? default_render_output(args.notebook)
                                                           : std::filesystem::path(args.output);
  if (args.output.empty() && args.notebook == "-") {
    throw UsageError("reading the notebook from standard input needs OUT.html (- for stdout)");
  }
  RenderOptions options;
  options.title = args.title;
  render_notebook_file(args.notebook, output, options);
  if (output != "-") std::cerr << "nbexec: wrote " << output.string() << "\n";
  return 0;
}

}  // namespace

Action add_render_command(CLI::App& app) {
  auto args = std::make_shared<RenderArgs>();
  auto* command = app.add_subcommand(
      "render",
      "Render a notebook (usually an executed one) as one self-contained HTML page to read:\n"
      "markdown, code with In [n]: prompts, outputs with images inline, tracebacks in colour,\n"
      "the failing cell highlighted and papermill's error banner linked to it.");
  command->add_option("NOTEBOOK", args->notebook, "Notebook to render; - reads standard input")
      ->required();
  command->add_option("OUT", args->output,
                      "Where the page goes; default: NOTEBOOK with .html; - writes standard "
                      "output");
  command->add_option("--title", args->title, "The page's title; default: the notebook's name");
  command->footer(
      "The page fetches nothing (CSS inline, images as data: URIs) and runs no script: a\n"
      "Content-Security-Policy forbids it, HTML outputs show in sandboxed iframes and raw\n"
      "HTML in markdown shows as text (docs/render.md). The file is replaced atomically.\n"
      "Examples:\n"
      "  nbexec run analysis.ipynb out.ipynb && nbexec render out.ipynb   # -> out.html\n"
      "  nbexec render out.ipynb report.html\n"
      "  nbexec render out.ipynb - | less");
  return [args]() { return render(*args); };
}

}  // namespace nbexec::cli
