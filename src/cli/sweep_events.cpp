#include "sweep_events.hpp"

#include "event_log.hpp"
#include "sweep_summary.hpp"

#include <chrono>
#include <map>

namespace nbexec::cli {

namespace {

using nlohmann::json;

const auto process_started = std::chrono::steady_clock::now();

// The sweep's status: completed when every run did, interrupted after a signal, else failed.
std::string sweep_status(const SweepResult& result) {
  if (result.cancelled) return "interrupted";
  return result.exit_code() == 0 ? "completed" : "failed";
}

}  // namespace

RunEvent sweep_start_event(const SweepStartInfo& info) {
  return RunEvent{{"event", "sweep_start"},
                  {"time", utc_now_iso()},
                  {"input_path", info.input_path},
                  {"output_template", info.output_template},
                  {"runs", info.runs},
                  {"total_runs", info.total_runs},
                  {"shard", {{"index", info.shard.index}, {"count", info.shard.count}}},
                  {"jobs", info.jobs},
                  {"preload", info.preload},
                  {"fork", info.fork}};
}

RunEvent sweep_run_end_event(const SweepRecord& record) {
  json row = summary_row(record);
  RunEvent event{{"event", "sweep_run_end"}, {"time", utc_now_iso()}, {"run", record.index}};
  for (auto it = row.begin(); it != row.end(); ++it) {
    if (it.key() == "index") continue;
    if (it.key() == "error" && it.value().is_null()) continue;
    event[it.key()] = it.value();
  }
  return event;
}

RunEvent sweep_end_event(const SweepResult& result) {
  std::map<std::string, std::size_t> counts;
  for (const SweepRecord& record : result.records) ++counts[record.status];
  json statuses = json::object();
  for (const auto& [status, count] : counts) statuses[status] = count;
  return RunEvent{{"event", "sweep_end"},
                  {"time", utc_now_iso()},
                  {"status", sweep_status(result)},
                  {"exit_code", result.exit_code()},
                  {"runs", result.records.size()},
                  {"statuses", statuses},
                  {"duration", result.seconds},
                  {"peak_rss_bytes", result.memory.peak_rss_bytes},
                  {"peak_pss_bytes", result.memory.peak_pss_bytes},
                  {"kernels",
                   {{"started", result.kernels.started},
                    {"forked", result.kernels.forked},
                    {"warm_hits", result.kernels.warm_hits},
                    {"fork_fallback", result.kernels.fork_fallback}}}};
}

RunEvent error_sweep_end(int exit_code, const std::string& message) {
  const double duration =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - process_started).count();
  return RunEvent{
      {"event", "sweep_end"},
      {"time", utc_now_iso()},
      {"status", "error"},
      {"exit_code", exit_code},
      {"runs", 0},
      {"statuses", json::object()},
      {"duration", duration},
      {"peak_rss_bytes", 0},
      {"peak_pss_bytes", 0},
      {"kernels", {{"started", 0}, {"forked", 0}, {"warm_hits", 0}, {"fork_fallback", ""}}},
      {"error", message}};
}

SweepEventLog::SweepEventLog(Console& console, LogLevel threshold)
    : console_(console), threshold_(threshold) {}

bool SweepEventLog::shown(const RunEvent& event) const {
  if (event.value("event", std::string()) != "log") return true;
  const LogLevel level =
      event.value("level", std::string()) == "debug" ? LogLevel::debug : LogLevel::info;
  return static_cast<int>(level) >= static_cast<int>(threshold_);
}

void SweepEventLog::write(const RunEvent& event) {
  if (shown(event)) console_.err(event_line(event));
}

void SweepEventLog::on_run_event(std::size_t run_index, const RunEvent& event) {
  if (!shown(event)) return;
  RunEvent tagged = event;
  tagged["run"] = run_index;
  const std::string kind = event.value("event", std::string());
  std::vector<RunEvent>& held = held_[run_index];
  if (kind == "run_start" || kind == "run_end") {
    // run_start opens the run's lines; a run that ended before it still shows what it logged.
    if (kind == "run_start") console_.err(event_line(tagged));
    for (const RunEvent& line : held) console_.err(event_line(line));
    if (kind == "run_end") console_.err(event_line(tagged));
    held_.erase(run_index);
    started_.insert(run_index);
    return;
  }
  if (started_.count(run_index) == 0) {
    held.push_back(std::move(tagged));
    return;
  }
  console_.err(event_line(tagged));
}

}  // namespace nbexec::cli
