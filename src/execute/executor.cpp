#include <nbexec/error.hpp>
#include <nbexec/execute/executor.hpp>
#include <nbexec/execute/output_builder.hpp>

#include <algorithm>
#include <sstream>

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

bool is_blank(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); });
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

// nbclient stamps metadata.execution with the header dates of the messages that mark a cell's
// phases (record_timing).
void stamp(json& cell, const char* key, const protocol::Message& message) {
  auto date = message.header.find("date");
  if (date != message.header.end() && date->is_string()) {
    cell["metadata"]["execution"][key] = *date;
  }
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

  // Returns the execute_reply content.
  json run(const std::string& source, bool stop_on_error) {
    json& cell = nb_.cells()[index_];
    cell["metadata"]["execution"] = json::object();
    builder_.begin_cell(cell, index_);

    const std::string msg_id = kernel_.send_request(protocol::Channel::shell, "execute_request",
                                                    json{{"code", source},
                                                         {"silent", false},
                                                         {"store_history", true},
                                                         {"user_expressions", json::object()},
                                                         {"allow_stdin", false},
                                                         {"stop_on_error", stop_on_error}});

    const auto deadline =
        options_.cell_timeout
            ? std::optional<steady::time_point>(steady::now() + *options_.cell_timeout)
            : std::nullopt;
    json reply;
    bool have_reply = false;
    bool idle = false;
    while (!(have_reply && idle)) {
      if (options_.cancel && options_.cancel->load()) return json();
      milliseconds wait = poll_slice;
      if (deadline) {
        auto left = std::chrono::duration_cast<milliseconds>(*deadline - steady::now());
        if (left <= milliseconds::zero()) {
          std::ostringstream seconds;
          seconds << options_.cell_timeout->count() / 1000.0;
          throw TimeoutError("cell " + std::to_string(index_) + " did not finish within " +
                             seconds.str() + " s (--execution-timeout)");
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
      const auto& message = incoming->message;
      if (!answers(message, msg_id, session_)) continue;  // stale or foreign messages
      if (incoming->channel == protocol::Channel::shell) {
        if (message.msg_type() != "execute_reply") continue;
        reply = message.content;
        have_reply = true;
        stamp(nb_.cells()[index_], "shell.execute_reply", message);
      } else if (incoming->channel == protocol::Channel::iopub) {
        handle_iopub(message, idle);
      }
    }
    return reply;
  }

 private:
  void handle_iopub(const protocol::Message& message, bool& idle) {
    const std::string type = message.msg_type();
    json& cell = nb_.cells()[index_];
    if (type == "status") {
      const std::string state = message.content.value("execution_state", std::string());
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

  notebook::Notebook& nb_;
  protocol::KernelConnection& kernel_;
  OutputBuilder& builder_;
  const ExecuteOptions& options_;
  std::size_t index_;
  std::string session_;
};

CellFailure failure_from(const json& cell, std::size_t index, const json& reply) {
  CellFailure failure;
  failure.cell_index = index;
  failure.execution_count = as_count(cell.value("execution_count", json()));
  failure.source = notebook::cell_source(cell);
  failure.ename = reply.value("ename", std::string());
  failure.evalue = reply.value("evalue", std::string());
  failure.traceback = as_strings(reply.value("traceback", json::array()));
  // Some kernels put the details only in the error output, not in the reply.
  if (failure.ename.empty()) {
    for (const auto& output : cell.value("outputs", json::array())) {
      if (output.value("output_type", std::string()) != "error") continue;
      failure.ename = output.value("ename", std::string());
      failure.evalue = output.value("evalue", std::string());
      failure.traceback = as_strings(output.value("traceback", json::array()));
    }
  }
  return failure;
}

}  // namespace

ExecuteResult execute_notebook(notebook::Notebook& nb, protocol::KernelConnection& kernel,
                               const ExecuteOptions& options) {
  ExecuteResult result;
  OutputBuilder builder;
  json& cells = nb.cells();
  for (std::size_t index = 0; index < cells.size(); ++index) {
    if (options.cancel && options.cancel->load()) {
      result.cancelled = true;
      return result;
    }
    if (cells[index].value("cell_type", std::string()) != "code") continue;
    const std::string source = notebook::cell_source(cells[index]);
    if (is_blank(source) || notebook::cell_has_tag(cells[index], "skip-execution")) continue;

    const bool allows_errors =
        options.allow_errors || notebook::cell_has_tag(cells[index], "raises-exception");
    if (options.on_cell_start) options.on_cell_start(index, cells[index]);
    json reply;
    try {
      reply = CellRun(nb, kernel, builder, options, index).run(source, !allows_errors);
    } catch (const Error&) {
      result.interrupted_cell = index;
      throw;
    }
    ++result.cells_executed;
    if (options.cancel && options.cancel->load()) {
      result.cancelled = true;
      result.interrupted_cell = index;
      return result;
    }
    if (options.on_cell_end) options.on_cell_end(index, cells[index]);
    if (reply.value("status", std::string()) == "error" && !allows_errors) {
      result.failure = failure_from(cells[index], index, reply);
      return result;
    }
  }
  return result;
}

}  // namespace nbexec::execute
