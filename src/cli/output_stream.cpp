#include "output_stream.hpp"

#include <nbexec/error.hpp>

#include <cerrno>
#include <cstring>

namespace nbexec::cli {

namespace {

using json = nlohmann::json;

// A string field of a kernel output, "" when absent or not a string (kernels send anything).
std::string text_field(const json& output, const char* key) {
  const auto found = output.find(key);
  return found != output.end() && found->is_string() ? found->get<std::string>() : std::string();
}

// nbformat allows multiline text as a list of strings; papermill joins them.
std::string joined(const json& text) {
  if (text.is_string()) return text.get<std::string>();
  if (!text.is_array()) return text.is_null() ? std::string() : text.dump();
  std::string out;
  for (const json& part : text) out += part.is_string() ? part.get<std::string>() : part.dump();
  return out;
}

std::unique_ptr<std::ofstream> open_text_file(const std::string& path, const char* option) {
  if (path.empty() || path == "-") return nullptr;
  auto file =
      std::make_unique<std::ofstream>(path, std::ios::out | std::ios::trunc | std::ios::binary);
  if (!*file) {
    throw UsageError(std::string(option) + ": cannot write '" + path +
                     "': " + std::strerror(errno));
  }
  return file;
}

std::string padded(std::string text, std::size_t width) {
  if (text.size() < width) text.append(width - text.size(), '-');
  return text;
}

}  // namespace

std::string cell_start_separator(std::size_t cell_index) {
  return "Executing Cell " + padded(std::to_string(cell_index + 1), 40);
}

std::string cell_end_separator(std::size_t cell_index) {
  return "Ending Cell " + padded(std::to_string(cell_index + 1), 43);
}

CellOutputStream::CellOutputStream(Console& console, OutputRouting routing)
    : console_(console), routing_(std::move(routing)) {
  if (routing_.notebook_on_stdout && (routing_.stdout_file == "-" || routing_.stderr_file == "-")) {
    throw UsageError(
        "--stdout-file - and --stderr-file - write to standard output, which carries the "
        "notebook when OUTPUT is -");
  }
  stdout_file_ = open_text_file(routing_.stdout_file, "--stdout-file");
  stderr_file_ = open_text_file(routing_.stderr_file, "--stderr-file");
}

CellOutputStream::~CellOutputStream() = default;

bool CellOutputStream::active() const {
  return routing_.log_output || !routing_.stdout_file.empty() || !routing_.stderr_file.empty();
}

void CellOutputStream::to_file(std::ofstream* file, bool file_is_stdout, const std::string& text) {
  if (file_is_stdout) {
    console_.out(text);
  } else if (file) {
    *file << text;
    file->flush();
  }
}

void CellOutputStream::on_output(std::size_t, const json& output) {
  const std::string type = text_field(output, "output_type");
  auto to_stdout = [this](const std::string& text) {
    if (routing_.notebook_on_stdout) {
      console_.err(text);
    } else {
      console_.out(text);
    }
  };
  if (type == "stream") {
    const auto stream_text = output.find("text");  // found by reference: streams can be large
    const std::string text = stream_text == output.end() ? std::string() : joined(*stream_text);
    if (text_field(output, "name") == "stderr") {
      if (routing_.log_output) console_.err(text);
      to_file(stderr_file_.get(), routing_.stderr_file == "-", text);
    } else if (text_field(output, "name") == "stdout") {
      if (routing_.log_output) to_stdout(text);
      to_file(stdout_file_.get(), routing_.stdout_file == "-", text);
    }
    return;
  }
  if (!routing_.log_output) return;
  if (type == "error") {
    console_.line(text_field(output, "ename") + ": " + text_field(output, "evalue"));
    return;
  }
  const auto data = output.find("data");
  if (data == output.end() || !data->is_object() || !data->contains("text/plain")) return;
  std::string text = joined((*data)["text/plain"]);
  if (text.empty() || text.back() != '\n') text += "\n";
  to_stdout(text);
}

void CellOutputStream::on_event(const RunEvent& event) {
  if (!routing_.log_output) return;
  const std::string kind = event.value("event", std::string());
  if (kind == "cell_start") {
    console_.line(cell_start_separator(event.value("cell_index", std::size_t{0})));
  } else if (kind == "cell_end") {
    console_.line(cell_end_separator(event.value("cell_index", std::size_t{0})));
  }
}

}  // namespace nbexec::cli
