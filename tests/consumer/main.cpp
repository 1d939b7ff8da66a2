// Parses a notebook, injects a parameter, renders it as HTML and prints the serialized result:
// proves the installed headers and library link and work from another project (for a static
// libnbexec, with its private dependencies, md4c included, found by nbexecConfig.cmake).
#include <nbexec/notebook/read.hpp>
#include <nbexec/notebook/render.hpp>
#include <nbexec/notebook/write.hpp>
#include <nbexec/params/inject/inject.hpp>
#include <nbexec/version.hpp>

#include <iostream>

int main() {
  const char* text = R"({"cells": [{"cell_type": "code", "execution_count": null,
    "metadata": {"tags": ["parameters"]}, "outputs": [], "source": "alpha = 1\n"}],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
    "language": "python"}}, "nbformat": 4, "nbformat_minor": 4})";
  auto nb = nbexec::notebook::parse_notebook_text(text, "inline");
  nbexec::params::Parameters parameters;
  parameters["alpha"] = 0.5;
  nbexec::params::inject_parameters(nb, parameters, "python3", "python");
  std::cout << "nbexec " << nbexec::version << "\n" << nbexec::notebook::serialize_notebook(nb);
  nb.cells().push_back({{"cell_type", "markdown"},
                        {"metadata", nlohmann::json::object()},
                        {"source", "# Rendered"}});
  const std::string page = nbexec::notebook::render_html(nb, {"consumer"});
  const bool rendered = page.find("<h1>Rendered</h1>") != std::string::npos;
  return nb.cells().size() == 3 && rendered ? 0 : 1;
}
