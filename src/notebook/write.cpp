#include <nbexec/notebook/lines.hpp>
#include <nbexec/notebook/write.hpp>

#include "atomic_write.hpp"
#include "json_writer.hpp"

namespace nbexec::notebook {

namespace {

using detail::JsonSink;
using detail::PythonJsonWriter;

bool keep_all(const std::string&) {
  return true;
}

// Writes the document as nbformat's JSONWriter.writes does: split_lines, then strip_transient,
// then json.dumps. The splitting happens while writing instead of on a deep copy, so saving
// costs one pass over the notebook; the sink decides whether the text lands in memory or in a
// file.
class NotebookWriter {
 public:
  explicit NotebookWriter(JsonSink& out) : w_(out) {}

  void document(const json& doc) {
    if (!doc.is_object()) {
      w_.value(doc, 0);
      return;
    }
    w_.object(doc, 0, keep_all, [this](const std::string& key, const json& v, int depth) {
      if (key == "cells" && v.is_array()) {
        w_.array(v, depth, [this](const json& c, int d) { cell(c, d); });
      } else if (key == "metadata" && v.is_object()) {
        // strip_transient: these never belong in a file.
        w_.object(
            v, depth,
            [](const std::string& k) {
              return k != "orig_nbformat" && k != "orig_nbformat_minor" && k != "signature";
            },
            [this](const std::string&, const json& m, int d) { w_.value(m, d); });
      } else {
        w_.value(v, depth);
      }
    });
  }

 private:
  void lines(const json& text, int depth) {
    w_.string_list(split_line_views(text.get_ref<const std::string&>()), depth);
  }

  // nbformat's _split_mimebundle: text/*, JavaScript and SVG strings become line lists.
  void mimebundle(const json& bundle, int depth) {
    w_.object(bundle, depth, keep_all, [this](const std::string& mime, const json& v, int d) {
      if (v.is_string() && (mime.starts_with("text/") || mime == "application/javascript" ||
                            mime == "image/svg+xml"))
        lines(v, d);
      else
        w_.value(v, d);
    });
  }

  void cell(const json& c, int depth) {
    if (!c.is_object()) {
      w_.value(c, depth);
      return;
    }
    const auto type = c.find("cell_type");
    const bool code = type != c.end() && type->is_string() && *type == "code";
    w_.object(c, depth, keep_all, [this, code](const std::string& key, const json& v, int d) {
      if (key == "source" && v.is_string()) {
        lines(v, d);
      } else if (key == "metadata" && v.is_object()) {
        w_.object(
            v, d, [](const std::string& k) { return k != "trusted"; },
            [this](const std::string&, const json& m, int dd) { w_.value(m, dd); });
      } else if (key == "attachments" && v.is_object()) {
        w_.object(v, d, keep_all, [this](const std::string&, const json& bundle, int dd) {
          if (bundle.is_object())
            mimebundle(bundle, dd);
          else
            w_.value(bundle, dd);
        });
      } else if (key == "outputs" && code && v.is_array()) {
        w_.array(v, d, [this](const json& o, int dd) { output(o, dd); });
      } else {
        w_.value(v, d);
      }
    });
  }

  void output(const json& o, int depth) {
    if (!o.is_object()) {
      w_.value(o, depth);
      return;
    }
    const auto type = o.find("output_type");
    const std::string output_type =
        type != o.end() && type->is_string() ? type->get<std::string>() : "";
    const bool rich = output_type == "execute_result" || output_type == "display_data";
    w_.object(o, depth, keep_all,
              [this, rich, &output_type](const std::string& key, const json& v, int d) {
                if (rich && key == "data" && v.is_object())
                  mimebundle(v, d);
                else if (output_type == "stream" && key == "text" && v.is_string())
                  lines(v, d);
                else
                  w_.value(v, d);
              });
  }

  PythonJsonWriter w_;
};

void write_notebook(const Notebook& nb, JsonSink& sink) {
  NotebookWriter(sink).document(nb.document());
  sink += '\n';  // nbformat.write adds the newline json.dumps leaves off
}

}  // namespace

std::string serialize_notebook(const Notebook& nb) {
  JsonSink sink;
  write_notebook(nb, sink);
  return sink.take();
}

std::size_t save_notebook(const Notebook& nb, const std::filesystem::path& path,
                          Durability durability) {
  return detail::write_atomically(path, durability,
                                  [&nb](JsonSink& sink) { write_notebook(nb, sink); });
}

}  // namespace nbexec::notebook
