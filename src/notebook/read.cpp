#include <nbexec/error.hpp>
#include <nbexec/notebook/lines.hpp>
#include <nbexec/notebook/read.hpp>

#include "json_path.hpp"
#include "json_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace nbexec::notebook {

namespace {

using detail::child_path;
using detail::describe_type;

// The same test as nbformat's rwbase._is_json_mime: such data is JSON, never joined.
bool is_json_mime(std::string_view mime) {
  return mime == "application/json" ||
         (mime.starts_with("application/") && mime.ends_with("+json"));
}

class NotebookParser {
 public:
  explicit NotebookParser(const std::string& origin) : origin_(origin) {}

  void check_and_join(json& doc) {
    if (!doc.is_object())
      fail("", std::string("expected a notebook (a JSON object), found ") + describe_type(doc));
    check_version(doc);
    const auto metadata = doc.find("metadata");
    if (metadata == doc.end()) fail("/metadata", "missing (every nbformat 4 notebook has one)");
    if (!metadata->is_object()) fail_type("/metadata", "an object", *metadata);
    const auto cells = doc.find("cells");
    if (cells == doc.end()) fail("/cells", "missing (every nbformat 4 notebook has a cell list)");
    if (!cells->is_array()) fail_type("/cells", "an array of cells", *cells);
    for (std::size_t i = 0; i < cells->size(); ++i) cell((*cells)[i], child_path("/cells", i));
  }

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw NotebookError(origin_ + ": " + (path.empty() ? "" : path + ": ") + what);
  }

  [[noreturn]] void fail_type(const std::string& path, const char* expected,
                              const json& found) const {
    fail(path, std::string("expected ") + expected + ", found " + describe_type(found));
  }

  void check_version(const json& doc) const {
    const auto major = doc.find("nbformat");
    if (major == doc.end()) fail("/nbformat", "missing (is this a Jupyter notebook?)");
    if (!major->is_number_integer()) fail_type("/nbformat", "an integer", *major);
    if (*major < 4)
      fail("/nbformat", "nbformat " + major->dump() +
                            " notebooks are not supported; convert it to nbformat 4 first "
                            "(jupyter nbconvert --to notebook --nbformat 4)");
    if (*major > 4)
      fail("/nbformat",
           "nbformat " + major->dump() + " is not supported (this nbexec reads nbformat 4)");
    // A missing minor version reads as 0, as nbformat does.
    const auto minor = doc.find("nbformat_minor");
    if (minor != doc.end() && (!minor->is_number_integer() || *minor < 0))
      fail("/nbformat_minor",
           std::string("expected a non-negative integer, found ") +
               (minor->is_number_integer() ? "a negative one" : describe_type(*minor)));
  }

  // nbformat's rejoin_lines: text-like mime data given as a list of lines becomes one string.
  static void join_mimebundle(json& bundle) {
    for (auto it = bundle.begin(); it != bundle.end(); ++it) {
      if (!is_json_mime(it.key()) && it->is_array() && is_multiline(*it)) *it = join_lines(*it);
    }
  }

  void multiline(json& value, const std::string& path) const {
    if (value.is_string()) return;
    if (!is_multiline(value)) fail(path, "expected a string or a list of strings");
    value = join_lines(value);
  }

  void cell(json& c, const std::string& path) const {
    if (!c.is_object()) fail_type(path, "a cell (an object)", c);
    const auto type = c.find("cell_type");
    if (type == c.end()) fail(path, "cell without a cell_type");
    const auto metadata = c.find("metadata");
    if (metadata != c.end() && !metadata->is_object())
      fail_type(child_path(path, "metadata"), "an object", *metadata);
    const std::string kind = type->is_string() ? type->get<std::string>() : std::string();
    if (kind != "code" && kind != "markdown" && kind != "raw") {
      // A cell type from a newer minor version, whose schema asks only for metadata (or a
      // wrong one, which validation reports): kept as it is, its lines joined where they are
      // lines, in the source and in attachments (nbformat's rejoin_lines does both for any
      // cell, and the writer splits both).
      joinable(c, "source");
      if (const auto attachments = c.find("attachments");
          attachments != c.end() && attachments->is_object()) {
        for (auto& bundle : *attachments)
          if (bundle.is_object()) join_mimebundle(bundle);
      }
      return;
    }
    if (const auto source = c.find("source"); source != c.end())
      multiline(*source, child_path(path, "source"));
    if (const auto attachments = c.find("attachments"); attachments != c.end()) {
      const std::string attachments_path = child_path(path, "attachments");
      if (!attachments->is_object()) fail_type(attachments_path, "an object", *attachments);
      for (auto it = attachments->begin(); it != attachments->end(); ++it) {
        if (!it->is_object())
          fail_type(child_path(attachments_path, it.key()), "a mime bundle (an object)", *it);
        join_mimebundle(*it);
      }
    }
    if (kind != "code") return;
    const auto outputs = c.find("outputs");
    if (outputs == c.end()) return;
    const std::string outputs_path = child_path(path, "outputs");
    if (!outputs->is_array()) fail_type(outputs_path, "an array of outputs", *outputs);
    for (std::size_t j = 0; j < outputs->size(); ++j)
      output((*outputs)[j], child_path(outputs_path, j));
  }

  // Joins object[key] when it is a list of strings; anything else stays as it is.
  static void joinable(json& object, const char* key) {
    const auto value = object.find(key);
    if (value != object.end() && value->is_array() && is_multiline(*value))
      *value = join_lines(*value);
  }

  void output(json& o, const std::string& path) const {
    if (!o.is_object()) fail_type(path, "an output (an object)", o);
    const auto type = o.find("output_type");
    if (type == o.end()) fail(path, "output without an output_type");
    const std::string kind = type->is_string() ? type->get<std::string>() : std::string();
    if (kind == "execute_result" || kind == "display_data") {
      const auto data = o.find("data");
      if (data == o.end()) return;
      if (!data->is_object())
        fail_type(child_path(path, "data"), "a mime bundle (an object)", *data);
      join_mimebundle(*data);
    } else if (kind == "stream") {
      const auto text = o.find("text");
      if (text != o.end() && text->is_array()) multiline(*text, child_path(path, "text"));
    } else {
      // An output type from a newer minor version (or a wrong one, which validation
      // reports): kept as it is, its text joined where it is lines.
      joinable(o, "text");
    }
  }

  const std::string& origin_;
};

std::string read_all(int fd, const std::string& name) {
  // Standard input, pipes and devices. A regular file (stdin redirected from one) is read into
  // a string of its size; the others double.
  std::string text;
  struct stat info {};
  if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_size > 0) {
    text.resize(static_cast<std::size_t>(info.st_size) + 1);
  } else {
    text.resize(1 << 16);
  }
  std::size_t used = 0;
  while (true) {
    if (used == text.size()) text.resize(text.size() * 2);
    const ssize_t n = ::read(fd, text.data() + used, text.size() - used);
    if (n > 0) {
      used += static_cast<std::size_t>(n);
    } else if (n == 0) {
      text.resize(used);
      return text;
    } else if (errno != EINTR) {
      throw NotebookError("cannot read " + name + ": " + std::generic_category().message(errno));
    }
  }
}

}  // namespace

json read_json_text(std::string_view text, const std::string& origin) {
  return detail::parse_python_json(text, origin);
}

Notebook parse_notebook(json document, const std::string& origin) {
  NotebookParser(origin).check_and_join(document);
  Notebook nb(std::move(document));
  normalize_cell_ids(nb);
  return nb;
}

Notebook parse_notebook_text(std::string_view text, const std::string& origin) {
  return parse_notebook(read_json_text(text, origin), origin);
}

json read_json_file(const std::filesystem::path& path) {
  if (path == "-") return read_json_text(read_all(STDIN_FILENO, "<stdin>"), "<stdin>");
  const std::string name = path.string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw NotebookError("cannot read " + name + ": " + std::generic_category().message(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  // A regular file is parsed as it is read, in chunks, so its text and the document built
  // from it are never in memory together; anything else (a pipe, a device) is read whole.
  struct stat info {};
  if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode))
    return detail::parse_python_json_file(fd, name);
  return read_json_text(read_all(fd, name), name);
}

Notebook load_notebook(const std::filesystem::path& path) {
  return parse_notebook(read_json_file(path), path == "-" ? "<stdin>" : path.string());
}

}  // namespace nbexec::notebook
