// The HTML page of a notebook, seen from Python: the raw material of nbexec.render.
#include "bindings.hpp"

#include <nbexec/render.hpp>

#include <string>
#include <string_view>

namespace py = pybind11;

namespace nbexec::python {

void bind_render(py::module_& m) {
  m.def(
      "render_notebook_text",
      [](std::string_view text, const std::string& title, const std::string& output_path) {
        py::gil_scoped_release unlocked;  // the str behind `text` lives through the call
        RenderOptions options;
        options.title = title;
        return render_notebook_text(text, options, output_path);
      },
      py::arg("text"), py::arg("title") = "", py::arg("output_path") = "",
      "The notebook (JSON text) as a self-contained HTML page; also written atomically to "
      "output_path when it is not empty.");
  m.def(
      "render_notebook_file",
      [](const std::string& path, const std::string& output_path, const std::string& title) {
        py::gil_scoped_release unlocked;
        RenderOptions options;
        options.title = title;
        return render_notebook_file(path, output_path, options);
      },
      py::arg("path"), py::arg("output_path") = "", py::arg("title") = "",
      "The notebook file at path as a self-contained HTML page, titled with its name unless "
      "title is given; also written atomically to output_path when it is not empty.");
}

}  // namespace nbexec::python
