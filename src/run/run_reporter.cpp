#include "run/run_reporter.hpp"

#include "core/json_fields.hpp"
#include "run/papermill_metadata.hpp"

namespace nbexec {

std::string cap_event_text(const std::string& text, std::size_t limit, bool* truncated) {
  if (truncated) *truncated = text.size() > limit;
  if (text.size() <= limit) return text;
  std::size_t end = limit;
  // Step back over continuation bytes so that no UTF-8 sequence is split.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

std::string utc_now_iso() {
  return run_detail::isoformat_utc(std::chrono::system_clock::now());
}

}  // namespace nbexec

namespace nbexec::run_detail {
namespace {

using json = nlohmann::json;

// papermill shows `papermill_description=NAME` from a cell's source in its progress bar.
std::string cell_description(const std::string& source) {
  static const std::string marker = "papermill_description=";
  const auto at = source.find(marker);
  if (at == std::string::npos) return {};
  const auto begin = at + marker.size();
  std::size_t end = begin;
  while (end < source.size() && !std::isspace(static_cast<unsigned char>(source[end]))) ++end;
  return source.substr(begin, end - begin);
}

// The readable text of an output: stream text, an error's ename and evalue, or text/plain.
std::string output_text(const json& output) {
  const std::string type = nbexec::detail::string_field(output, "output_type");
  if (type == "stream") return nbexec::detail::string_field(output, "text");
  if (type == "error") {
    return nbexec::detail::string_field(output, "ename") + ": " +
           nbexec::detail::string_field(output, "evalue");
  }
  const auto data = output.find("data");
  if (data == output.end() || !data->is_object()) return {};
  const auto plain = data->find("text/plain");
  if (plain == data->end()) return {};
  return plain->is_string() ? plain->get<std::string>() : plain->dump();
}

}  // namespace

RunReporter::RunReporter(const RunOptions& options) : options_(options), mask_(options.secrets) {}

void RunReporter::emit(const char* kind, const RunEvent& fields) const {
  if (!options_.on_event) return;
  RunEvent event = {{"event", kind}, {"time", utc_now_iso()}};
  event.update(fields);
  mask_.apply(event);
  options_.on_event(event);
}

void RunReporter::log(LogLevel level, const std::string& line) const {
  const std::string message = mask_.empty() ? line : mask_.apply(line);
  if (options_.log) options_.log(level, message);
  if (level == LogLevel::warning || level == LogLevel::error) {
    emit("warning", {{"message", message}});
  } else {
    emit("log", {{"level", level == LogLevel::debug ? "debug" : "info"}, {"message", message}});
  }
}

void RunReporter::run_start(const std::filesystem::path& input, const std::filesystem::path& output,
                            const std::string& kernel, const std::string& language,
                            const notebook::Notebook& nb) {
  code_cells_ = 0;
  for (const json& cell : nb.cells()) code_cells_ += execute::cell_runs(cell) ? 1 : 0;
  emit("run_start", {{"input_path", input.string()},
                     {"output_path", output.string()},
                     {"parameters", params::notebook_value(options_.parameters)},
                     {"kernel", kernel},
                     {"language", language},
                     {"cells", nb.cells().size()},
                     {"code_cells", code_cells_}});
}

void RunReporter::kernel_ready(const std::string& kernel, int pid, const json& kernel_info) const {
  json fields = {{"kernel", kernel}, {"pid", pid}};
  if (kernel_info.contains("language_info")) fields["language_info"] = kernel_info["language_info"];
  emit("kernel_ready", fields);
}

void RunReporter::cell_start(std::size_t index, const json& cell) {
  ++cells_started_;
  // The text log keeps its line per cell; event consumers get the cell_start event instead.
  if (options_.log) options_.log(LogLevel::info, "Executing cell " + std::to_string(index));
  if (!options_.on_event) return;
  const std::string source = notebook::cell_source(cell);
  bool truncated = false;
  json fields = {{"cell_index", index},
                 {"cell_number", cells_started_},
                 {"code_cells", code_cells_},
                 {"source", cap_event_text(source, event_text_limit, &truncated)},
                 {"truncated", truncated}};
  const std::string description = cell_description(source);
  if (!description.empty()) fields["description"] = description;
  emit("cell_start", fields);
}

void RunReporter::cell_output(std::size_t index, const json& output) const {
  if (!options_.on_event) return;
  const std::string type = nbexec::detail::string_field(output, "output_type");
  bool truncated = false;
  json fields = {{"cell_index", index},
                 {"output_type", type},
                 {"text", cap_event_text(output_text(output), event_text_limit, &truncated)},
                 {"truncated", truncated}};
  if (type == "stream") fields["name"] = nbexec::detail::string_field(output, "name", "stdout");
  const auto data = output.find("data");
  if (data != output.end() && data->is_object()) {
    json mime_types = json::array();
    for (const auto& [mime, value] : data->items()) mime_types.push_back(mime);
    fields["mime_types"] = std::move(mime_types);
  }
  emit("cell_output", fields);
}

void RunReporter::cell_end(std::size_t index, const json& cell, execute::CellOutcome outcome,
                           double duration) const {
  if (!options_.on_event) return;
  json fields = {{"cell_index", index},
                 {"status", execute::to_string(outcome)},
                 {"duration", duration},
                 {"execution_count", nbexec::detail::any_field(cell, "execution_count")}};
  if (outcome == execute::CellOutcome::failed || outcome == execute::CellOutcome::errored) {
    for (const json& output : nbexec::detail::any_field(cell, "outputs", json::array())) {
      if (nbexec::detail::string_field(output, "output_type") != "error") continue;
      fields["ename"] = nbexec::detail::string_field(output, "ename");
      fields["evalue"] =
          cap_event_text(nbexec::detail::string_field(output, "evalue"), event_text_limit);
    }
  }
  emit("cell_end", fields);
}

void RunReporter::save(const std::filesystem::path& path, std::size_t bytes,
                       const char* reason) const {
  emit("save", {{"path", path.string()}, {"bytes", bytes}, {"reason", reason}});
}

void RunReporter::run_end(const std::string& status, int exit_code,
                          const std::filesystem::path& output, std::size_t cells_executed,
                          std::size_t saves, std::size_t bytes_written,
                          const std::string& error) const {
  const double duration =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  json fields = {{"status", status},
                 {"exit_code", exit_code},
                 {"output_path", output.string()},
                 {"duration", duration},
                 {"cells_executed", cells_executed},
                 {"saves", saves},
                 {"bytes_written", bytes_written}};
  if (!error.empty()) fields["error"] = error;
  emit("run_end", fields);
}

}  // namespace nbexec::run_detail
