#include <nbexec/error.hpp>
#include <nbexec/execute/executor.hpp>
#include <nbexec/notebook/lines.hpp>

#include "core/json_fields.hpp"
#include "core/utc_time.hpp"
#include "core/utf8.hpp"
#include "execute/output_builder.hpp"

#include <algorithm>
#include <optional>
#include <sstream>
#include <string_view>
#include <utility>

namespace nbexec::execute {

namespace {

using json = nlohmann::json;
using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long one receive waits before liveness and deadlines are checked again.
constexpr milliseconds poll_slice{200};

// A message answers our request only if it names it as parent; when the parent header also
// names a session, that must be ours too (a kernel shared with another client, or a forged
// parent, must not write into our cells).
bool answers(const protocol::Message& message, const std::string& msg_id,
             const std::string& session) {
  if (message.parent_msg_id() != msg_id) return false;
  auto parent_session = message.parent_header.find("session");
  return parent_session == message.parent_header.end() || !parent_session->is_string() ||
         parent_session->get<std::string>() == session;
}

// nbclient skips a cell whose source.strip() is empty, and Python's strip() removes Unicode
// whitespace too (no-break space, ideographic space, line separators, ...).
bool is_blank(const std::string& text) {
  const auto code_points = detail::decode_utf8(text);
  if (!code_points) return false;  // not text the kernel could run either; let it say so
  return std::all_of(code_points->begin(), code_points->end(), detail::is_python_space);
}

std::optional<int> as_count(const json& value) {
  if (value.is_number_integer()) return value.get<int>();
  return std::nullopt;
}

std::vector<std::string> as_strings(const json& value) {
  std::vector<std::string> out;
  if (!value.is_array()) return out;
  for (const auto& item : value) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

bool digits_at(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return false;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

// The time nbclient's timestamp() records for a message: jupyter_client parses header.date
// when it is ISO 8601 with at most 6 fraction digits, and nbclient prints the parsed fields as
// %Y-%m-%dT%H:%M:%S.%fZ (the offset is dropped, not applied); any other date, or none, is
// replaced by the current UTC time. Accepted: YYYY-MM-DD[T ]HH:MM:SS[.f{1,6}][Z][(+|-)HH[:]MM].
// Parsed by hand: this runs for four messages of every cell.
std::optional<std::string> reformat_header_date(std::string_view text) {
  const bool date_ok = digits_at(text, 0, 4) && text.size() > 10 && text[4] == '-' &&
                       digits_at(text, 5, 2) && text[7] == '-' && digits_at(text, 8, 2) &&
                       (text[10] == 'T' || text[10] == ' ');
  const bool time_ok = date_ok && digits_at(text, 11, 2) && text.size() > 16 && text[13] == ':' &&
                       digits_at(text, 14, 2) && text[16] == ':' && digits_at(text, 17, 2);
  if (!time_ok) return std::nullopt;
  std::size_t at = 19;
  std::string fraction;
  if (at < text.size() && text[at] == '.') {
    std::size_t end = ++at;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    if (end == at || end - at > 6) return std::nullopt;
    fraction = text.substr(at, end - at);
    at = end;
  }
  if (at < text.size() && text[at] == 'Z') ++at;
  if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    if (!digits_at(text, at + 1, 2)) return std::nullopt;
    at += 3;
    if (at < text.size() && text[at] == ':') ++at;
    if (!digits_at(text, at, 2)) return std::nullopt;
    at += 2;
  }
  if (at != text.size()) return std::nullopt;
  fraction.resize(6, '0');
  std::string out(text.substr(0, 10));
  out += 'T';
  out += text.substr(11, 8);
  out += '.';
  out += fraction;
  out += 'Z';
  return out;
}

std::string nbclient_timestamp(const json& header) {
  const auto date = header.find("date");
  if (date != header.end() && date->is_string()) {
    if (auto parsed = reformat_header_date(date->get_ref<const std::string&>())) return *parsed;
  }
  return detail::format_utc(std::chrono::system_clock::now(), "Z", detail::Fraction::unless_zero);
}

// nbclient stamps metadata.execution with the times of the messages that mark a cell's phases
// (record_timing).
void stamp(json& cell, const char* key, const protocol::Message& message) {
  cell["metadata"]["execution"][key] = nbclient_timestamp(message.header);
}

class CellRun {
 public:
  CellRun(notebook::Notebook& nb, protocol::KernelConnection& kernel, OutputBuilder& builder,
          const ExecuteOptions& options, std::size_t index)
      : nb_(nb),
        kernel_(kernel),
        builder_(builder),
        options_(options),
        index_(index),
        session_(kernel.session_id()) {}

  // Returns the execute_reply content; null when the run was cancelled or the cell was
  // interrupted after its deadline (then timed_out() is true).
  json run(const std::string& source, bool stop_on_error) {
    json& cell = nb_.cells()[index_];
    cell["metadata"]["execution"] = json::object();
    builder_.begin_cell(cell, index_);
    // A run already past its deadline sends nothing more to the kernel.
    if (options_.run_deadline && steady::now() >= *options_.run_deadline) throw_run_deadline();

    const std::string msg_id = kernel_.send_request(protocol::Channel::shell, "execute_request",
                                                    json{{"code", source},
                                                         {"silent", false},
                                                         {"store_history", true},
                                                         {"user_expressions", json::object()},
                                                         {"allow_stdin", false},
                                                         {"stop_on_error", stop_on_error}});

    std::optional<steady::time_point> deadline;
    if (options_.cell_timeout) deadline = steady::now() + *options_.cell_timeout;
    json reply;
    bool have_reply = false;
    bool idle = false;
    while (!(have_reply && idle)) {
      if (options_.cancel && options_.cancel->load()) return json();
      if (options_.on_tick) options_.on_tick(index_);
      milliseconds wait = poll_slice;
      // The run's deadline bounds every wait too; it ends the run, interrupt_on_timeout or not.
      if (options_.run_deadline) {
        auto left =
            std::chrono::duration_cast<milliseconds>(*options_.run_deadline - steady::now());
        if (left <= milliseconds::zero()) throw_run_deadline();
        wait = std::min(wait, left);
      }
      if (deadline) {
        auto left = std::chrono::duration_cast<milliseconds>(*deadline - steady::now());
        if (left <= milliseconds::zero()) {
          if (timed_out_ || !options_.interrupt_on_timeout || !options_.interrupt) {
            throw TimeoutError(deadline_message(), Remedy::execution_timeout);
          }
          // nbclient's interrupt_on_timeout: interrupt, keep the outputs the interrupt
          // produces (KeyboardInterrupt), and go on once the kernel is idle again.
          timed_out_ = true;
          options_.interrupt();
          deadline = steady::now() + options_.interrupt_grace;
          continue;
        }
        wait = std::min(wait, left);
      }
      auto incoming = kernel_.receive(wait);
      if (!incoming) {
        if (!kernel_.kernel_alive()) {
          throw KernelDiedError("the kernel died while executing cell " + std::to_string(index_));
        }
        continue;
      }
      auto& message = incoming->message;
      if (!answers(message, msg_id, session_)) continue;  // stale or foreign messages
      if (incoming->channel == protocol::Channel::shell) {
        if (options_.filter_content) options_.filter_content(message.content);
        if (message.msg_type() != "execute_reply") continue;
        reply = message.content;
        have_reply = true;
        stamp(nb_.cells()[index_], "shell.execute_reply", message);
      } else if (incoming->channel == protocol::Channel::iopub) {
        handle_iopub(message, idle);
      }
    }
    return timed_out_ ? json() : reply;
  }

  bool timed_out() const { return timed_out_; }
  bool run_deadline_passed() const { return run_deadline_passed_; }

  // Shows what the stream filter still holds, as an output of its stream: called when the
  // cell's turn ends, however it ended.
  void release_held() {
    if (!held_stream_) return;
    const std::string stream = *std::exchange(held_stream_, std::nullopt);
    std::string text = options_.stream_filter->release();
    if (text.empty()) return;
    // The held text ends the stream's last message: it goes back into that output, so the
    // notebook has the outputs it would have had with nothing held.
    if (builder_.extend_last_stream(nb_.cells()[index_], stream, text)) {
      if (options_.on_output) {
        options_.on_output(index_,
                           json{{"output_type", "stream"}, {"name", stream}, {"text", text}});
      }
      return;
    }
    protocol::Message message;
    message.header["msg_type"] = "stream";
    message.content = json{{"name", stream}, {"text", std::move(text)}};
    const json* output = builder_.handle(message, nb_.cells(), index_);
    if (output && options_.on_output) options_.on_output(index_, *output);
  }

 private:
  void handle_iopub(protocol::Message& message, bool& idle) {
    const std::string type = message.msg_type();
    if (type == "stream" && options_.stream_filter) {
      if (!filter_stream(message.content)) return;  // all of its text held back for now
    } else {
      if (options_.filter_content) options_.filter_content(message.content);
      // Held stream text came before this output (or before what this clears).
      if (type == "display_data" || type == "execute_result" || type == "error" ||
          type == "clear_output") {
        release_held();
      }
    }
    json& cell = nb_.cells()[index_];
    if (type == "status") {
      const std::string state = nbexec::detail::string_field(message.content, "execution_state");
      if (state == "busy") stamp(cell, "iopub.status.busy", message);
      if (state == "idle") {
        stamp(cell, "iopub.status.idle", message);
        idle = true;
      }
      return;
    }
    if (type == "execute_input") stamp(cell, "iopub.execute_input", message);
    const json* output = builder_.handle(message, nb_.cells(), index_);
    if (output && options_.on_output) options_.on_output(index_, *output);
  }

  // A stream message's text through the stream filter, its other fields through
  // filter_content. False when none of its text is to be shown yet.
  bool filter_stream(json& content) {
    const auto text = content.find("text");
    const auto name = content.find("name");
    if (text == content.end() || !notebook::is_multiline(*text) ||
        (name != content.end() && !name->is_string())) {
      // Not a stream output nbformat allows (the builder drops it): filtered as any message.
      if (options_.filter_content) options_.filter_content(content);
      return true;
    }
    std::string joined = notebook::join_lines(*text);
    content.erase("text");
    if (options_.filter_content) options_.filter_content(content);
    const std::string stream = nbexec::detail::string_field(content, "name", "stdout");
    if (held_stream_ && *held_stream_ != stream) release_held();
    held_stream_ = stream;
    std::string shown = options_.stream_filter->feed(stream, joined);
    // An empty message stays an (empty) output, as without a filter.
    if (shown.empty() && !joined.empty()) return false;
    content["text"] = std::move(shown);
    return true;
  }

  [[noreturn]] void throw_run_deadline() {
    run_deadline_passed_ = true;
    std::ostringstream seconds;
    seconds << options_.run_limit.count() / 1000.0;
    throw TimeoutError("the run did not finish within its deadline of " + seconds.str() +
                       " s; cell " + std::to_string(index_) + " was cut short");
  }

  std::string deadline_message() const {
    std::ostringstream seconds;
    seconds << options_.cell_timeout->count() / 1000.0;
    if (timed_out_) {
      return "cell " + std::to_string(index_) + " did not stop within " +
             std::to_string(options_.interrupt_grace.count() / 1000) +
             " s of being interrupted after its " + seconds.str() + " s deadline";
    }
    return "cell " + std::to_string(index_) + " did not finish within " + seconds.str() + " s";
  }

  notebook::Notebook& nb_;
  protocol::KernelConnection& kernel_;
  OutputBuilder& builder_;
  const ExecuteOptions& options_;
  std::size_t index_;
  std::string session_;
  bool timed_out_ = false;
  bool run_deadline_passed_ = false;
  // The stream whose text the stream filter may be holding back.
  std::optional<std::string> held_stream_;
};

ExecutionError failure_from(const json& cell, std::size_t index, const json& reply) {
  std::string ename = nbexec::detail::string_field(reply, "ename");
  std::string evalue = nbexec::detail::string_field(reply, "evalue");
  auto traceback = as_strings(nbexec::detail::any_field(reply, "traceback", json::array()));
  // Some kernels put the details only in the error output, not in the reply.
  if (ename.empty()) {
    for (const auto& output : nbexec::detail::any_field(cell, "outputs", json::array())) {
      if (nbexec::detail::string_field(output, "output_type") != "error") continue;
      ename = nbexec::detail::string_field(output, "ename");
      evalue = nbexec::detail::string_field(output, "evalue");
      traceback = as_strings(nbexec::detail::any_field(output, "traceback", json::array()));
    }
  }
  return ExecutionError(index, as_count(nbexec::detail::any_field(cell, "execution_count")),
                        notebook::cell_source(cell), std::move(ename), std::move(evalue),
                        std::move(traceback));
}

}  // namespace

const char* to_string(CellOutcome outcome) {
  switch (outcome) {
    case CellOutcome::completed:
      return "completed";
    case CellOutcome::failed:
      return "failed";
    case CellOutcome::errored:
      return "errored";
    case CellOutcome::timed_out:
    case CellOutcome::deadline:
      // Events group both limits under one status; the cell's stop_reason tells them apart.
      return "timeout";
    case CellOutcome::interrupted:
      return "interrupted";
    case CellOutcome::kernel_died:
      return "kernel_died";
  }
  return "completed";
}

bool cell_runs(const json& cell) {
  return cell.is_object() && nbexec::detail::string_field(cell, "cell_type") == "code" &&
         !is_blank(notebook::cell_source(cell)) && !notebook::cell_has_tag(cell, "skip-execution");
}

bool is_clean_system_exit(const std::string& ename, const std::string& evalue) {
  return ename == "SystemExit" && (evalue.empty() || evalue == "0");
}

ExecuteResult execute_notebook(notebook::Notebook& nb, protocol::KernelConnection& kernel,
                               const ExecuteOptions& options) {
  ExecuteResult result;
  OutputBuilder builder;
  json& cells = nb.cells();
  auto cell_end = [&](std::size_t index, CellOutcome outcome) {
    if (options.on_cell_end) options.on_cell_end(index, cells[index], outcome);
  };
  for (std::size_t index = 0; index < cells.size(); ++index) {
    if (options.cancel && options.cancel->load()) {
      result.cancelled = true;
      return result;
    }
    const bool runs = cell_runs(cells[index]);
    if (options.on_cell_start) options.on_cell_start(index, cells[index], runs);
    if (!runs) {
      cell_end(index, CellOutcome::completed);
      continue;
    }

    const bool allows_errors =
        options.allow_errors || notebook::cell_has_tag(cells[index], "raises-exception");
    CellRun cell_run(nb, kernel, builder, options, index);
    json reply;
    try {
      const std::string source = notebook::cell_source(cells[index]);
      reply = cell_run.run(options.kernel_source ? options.kernel_source(index, source) : source,
                           !allows_errors);
      cell_run.release_held();
    } catch (const Error& error) {
      try {
        cell_run.release_held();
      } catch (...) {  // the cell's own failure is the one to report
      }
      result.interrupted_cell = index;
      const bool died = dynamic_cast<const KernelDiedError*>(&error) != nullptr;
      const bool late = dynamic_cast<const TimeoutError*>(&error) != nullptr;
      cell_end(index, died                             ? CellOutcome::kernel_died
                      : cell_run.run_deadline_passed() ? CellOutcome::deadline
                      : late                           ? CellOutcome::timed_out
                                                       : CellOutcome::interrupted);
      throw;
    }
    ++result.cells_executed;
    if (options.cancel && options.cancel->load()) {
      result.cancelled = true;
      result.interrupted_cell = index;
      cell_end(index, CellOutcome::interrupted);
      return result;
    }
    if (cell_run.timed_out()) {
      result.timed_out_cells.push_back(index);
      cell_end(index, CellOutcome::timed_out);
      continue;
    }
    if (nbexec::detail::string_field(reply, "status") != "error") {
      cell_end(index, CellOutcome::completed);
      continue;
    }
    if (allows_errors) {
      cell_end(index, CellOutcome::errored);
      continue;
    }
    ExecutionError failure = failure_from(cells[index], index, reply);
    cell_end(index, CellOutcome::failed);
    if (is_clean_system_exit(failure.ename, failure.evalue)) {
      result.stopped_by_system_exit = true;
    } else {
      result.failure = std::move(failure);
    }
    return result;
  }
  return result;
}

}  // namespace nbexec::execute
