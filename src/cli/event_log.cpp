#include "event_log.hpp"

#include <chrono>

namespace nbexec::cli {

namespace {

const auto process_started = std::chrono::steady_clock::now();

}  // namespace

JsonEventLog::JsonEventLog(Console& console, LogLevel threshold)
    : console_(console), threshold_(threshold) {}

void JsonEventLog::on_event(const RunEvent& event) {
  if (ended_) return;
  const std::string kind = event.value("event", std::string());
  if (kind == "log") {
    const LogLevel level =
        event.value("level", std::string()) == "debug" ? LogLevel::debug : LogLevel::info;
    if (static_cast<int>(level) < static_cast<int>(threshold_)) return;
  }
  if (kind == "run_start") {
    started_ = true;
    write(event);
    for (const RunEvent& held : held_) write(held);
    held_.clear();
    return;
  }
  if (kind == "run_end") {
    // A run that failed before run_start (bad input) still reports what it logged.
    for (const RunEvent& held : held_) write(held);
    held_.clear();
    write(event);
    ended_ = true;
    json_error_mode().run_end_written = true;
    return;
  }
  if (!started_) {
    held_.push_back(event);
    return;
  }
  write(event);
}

void JsonEventLog::write(const RunEvent& event) {
  console_.err(event_line(event));
}

std::string event_line(const RunEvent& event) {
  return event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

RunEvent error_run_end(const std::string& output_path, int exit_code, const std::string& message) {
  const double duration =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - process_started).count();
  return RunEvent{{"event", "run_end"},         {"time", utc_now_iso()},
                  {"status", "error"},          {"exit_code", exit_code},
                  {"output_path", output_path}, {"duration", duration},
                  {"cells_executed", 0},        {"saves", 0},
                  {"bytes_written", 0},         {"error", message}};
}

bool json_log_requested(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--log-format=json") return true;
    if (args[i] == "--log-format" && i + 1 < args.size() && args[i + 1] == "json") return true;
  }
  return false;
}

JsonErrorMode& json_error_mode() {
  static JsonErrorMode mode;
  return mode;
}

}  // namespace nbexec::cli
