#include "fake_kernel_connection.hpp"

#include <nbexec/error.hpp>
#include <nbexec/execute/executor.hpp>

#include "execute/output_builder.hpp"

#include <catch2/catch.hpp>

using namespace nbexec;
using namespace nbexec::testing;
using json = nlohmann::json;

namespace {

json code_cell(const std::string& source, json tags = json::array()) {
  json metadata = json::object();
  if (!tags.empty()) metadata["tags"] = tags;
  return {{"cell_type", "code"},
          {"execution_count", nullptr},
          {"metadata", metadata},
          {"outputs", json::array()},
          {"source", source}};
}

notebook::Notebook make_notebook(json cells) {
  return notebook::Notebook(
      json{{"cells", cells}, {"metadata", json::object()}, {"nbformat", 4}, {"nbformat_minor", 5}});
}

// A well-behaved kernel: busy, execute_input, the given outputs, reply, idle.
FakeKernelConnection::Script simple_kernel(
    std::function<std::vector<protocol::Incoming>(const std::string&, const std::string&, int)>
        outputs) {
  auto count = std::make_shared<int>(0);
  return [count, outputs](const std::string& code, const std::string& id) {
    int n = ++*count;
    std::vector<protocol::Incoming> out{
        status(id, "busy"), iopub(id, "execute_input", {{"code", code}, {"execution_count", n}})};
    for (auto& m : outputs(code, id, n)) out.push_back(std::move(m));
    bool failed = code.find("raise") != std::string::npos;
    out.push_back(reply(id, failed ? json{{"status", "error"},
                                          {"ename", "ValueError"},
                                          {"evalue", "bad"},
                                          {"traceback", {"\x1b[31mTB\x1b[0m"}},
                                          {"execution_count", n}}
                                   : ok_reply(n)));
    out.push_back(status(id, "idle"));
    return out;
  };
}

std::vector<protocol::Incoming> no_outputs(const std::string&, const std::string&, int) {
  return {};
}

}  // namespace

TEST_CASE("executor builds outputs the way nbclient does", "[execute]") {
  FakeKernelConnection kernel(
      simple_kernel([](const std::string& code, const std::string& id, int n) {
        std::vector<protocol::Incoming> out;
        if (code == "a") {
          out.push_back(stream(id, "stdout", "hello\n"));
          out.push_back(stream(id, "stderr", "warn\n"));
          out.push_back(iopub(id, "display_data",
                              {{"data", {{"text/plain", "<fig>"}, {"image/png", "iVBOR"}}},
                               {"metadata", json::object()},
                               {"transient", {{"display_id", "d1"}}}}));
          out.push_back(iopub(id, "execute_result",
                              {{"data", {{"text/plain", "42"}}},
                               {"metadata", json::object()},
                               {"execution_count", n}}));
          out.push_back(iopub(id, "comm_open",
                              {{"comm_id", "c"}, {"target_name", "x"}, {"data", json::object()}}));
        }
        return out;
      }));
  auto nb = make_notebook(json::array({code_cell("a")}));
  auto result = execute::execute_notebook(nb, kernel, {});
  REQUIRE_FALSE(result.failure);
  CHECK(result.cells_executed == 1);
  const json& cell = nb.cells()[0];
  CHECK(cell["execution_count"] == 1);
  const json& outs = cell["outputs"];
  REQUIRE(outs.size() == 4);
  CHECK(outs[0] == json{{"output_type", "stream"}, {"name", "stdout"}, {"text", "hello\n"}});
  CHECK(outs[1]["name"] == "stderr");
  CHECK(outs[2]["output_type"] == "display_data");
  CHECK_FALSE(outs[2].contains("transient"));
  CHECK(outs[2]["data"]["image/png"] == "iVBOR");
  CHECK(outs[3] == json{{"output_type", "execute_result"},
                        {"data", {{"text/plain", "42"}}},
                        {"metadata", json::object()},
                        {"execution_count", 1}});
  const json& timing = cell["metadata"]["execution"];
  CHECK(timing.contains("iopub.status.busy"));
  CHECK(timing.contains("iopub.execute_input"));
  CHECK(timing.contains("shell.execute_reply"));
  CHECK(timing.contains("iopub.status.idle"));
  REQUIRE(kernel.requests.size() == 1);
  CHECK(kernel.requests[0].content["code"] == "a");
  CHECK(kernel.requests[0].content["stop_on_error"] == true);
  CHECK(kernel.requests[0].content["allow_stdin"] == false);
}

TEST_CASE("a cell completes only when both its reply and its idle status arrived", "[execute]") {
  SECTION("outputs after the reply but before idle are kept") {
    FakeKernelConnection kernel([](const std::string&, const std::string& id) {
      return std::vector<protocol::Incoming>{status(id, "busy"), reply(id, ok_reply(1)),
                                             stream(id, "stdout", "late\n"), status(id, "idle")};
    });
    auto nb = make_notebook(json::array({code_cell("x")}));
    execute::execute_notebook(nb, kernel, {});
    REQUIRE(nb.cells()[0]["outputs"].size() == 1);
    CHECK(nb.cells()[0]["outputs"][0]["text"] == "late\n");
  }
  SECTION("idle before the reply still waits for the reply") {
    FakeKernelConnection kernel([](const std::string&, const std::string& id) {
      return std::vector<protocol::Incoming>{stream(id, "stdout", "x\n"), status(id, "idle"),
                                             reply(id, ok_reply(7))};
    });
    auto nb = make_notebook(json::array({code_cell("x"), code_cell("y")}));
    auto result = execute::execute_notebook(nb, kernel, {});
    CHECK(result.cells_executed == 2);
    CHECK(kernel.requests.size() == 2);
  }
  SECTION("messages of other requests are ignored") {
    FakeKernelConnection kernel([](const std::string&, const std::string& id) {
      return std::vector<protocol::Incoming>{stream("someone-else", "stdout", "stale\n"),
                                             reply("someone-else", ok_reply(9)),
                                             status("someone-else", "idle"),
                                             stream(id, "stdout", "mine\n"),
                                             reply(id, ok_reply(1)),
                                             status(id, "idle")};
    });
    auto nb = make_notebook(json::array({code_cell("x")}));
    execute::execute_notebook(nb, kernel, {});
    REQUIRE(nb.cells()[0]["outputs"].size() == 1);
    CHECK(nb.cells()[0]["outputs"][0]["text"] == "mine\n");
  }
  SECTION("a parent naming our msg_id but another session is ignored") {
    FakeKernelConnection kernel([](const std::string&, const std::string& id) {
      auto foreign = stream(id, "stdout", "foreign\n");
      foreign.message.parent_header["session"] = "another-session";
      auto foreign_idle = status(id, "idle");
      foreign_idle.message.parent_header["session"] = "another-session";
      auto mine = stream(id, "stdout", "mine\n");
      mine.message.parent_header["session"] = "fake-session";
      return std::vector<protocol::Incoming>{foreign, foreign_idle, mine, reply(id, ok_reply(1)),
                                             status(id, "idle")};
    });
    auto nb = make_notebook(json::array({code_cell("x")}));
    execute::execute_notebook(nb, kernel, {});
    REQUIRE(nb.cells()[0]["outputs"].size() == 1);
    CHECK(nb.cells()[0]["outputs"][0]["text"] == "mine\n");
  }
}

TEST_CASE("the first error stops the run unless errors are allowed", "[execute]") {
  auto script = simple_kernel([](const std::string& code, const std::string& id, int) {
    std::vector<protocol::Incoming> out;
    if (code.find("raise") != std::string::npos) {
      out.push_back(iopub(
          id, "error",
          {{"ename", "ValueError"}, {"evalue", "bad"}, {"traceback", {"\x1b[31mTB\x1b[0m"}}}));
    } else {
      out.push_back(stream(id, "stdout", code + "\n"));
    }
    return out;
  });
  auto cells =
      json::array({code_cell("one"), code_cell("raise ValueError('bad')"), code_cell("three")});

  SECTION("default: stop, report, keep the outputs before") {
    FakeKernelConnection kernel(script);
    auto nb = make_notebook(cells);
    auto result = execute::execute_notebook(nb, kernel, {});
    REQUIRE(result.failure);
    CHECK(result.failure->cell_index == 1);
    CHECK(result.failure->exec_count == 2);
    CHECK(result.failure->ename == "ValueError");
    CHECK(result.failure->evalue == "bad");
    CHECK(result.failure->source == "raise ValueError('bad')");
    REQUIRE(result.failure->traceback.size() == 1);
    CHECK(kernel.requests.size() == 2);
    CHECK(nb.cells()[0]["outputs"][0]["text"] == "one\n");
    CHECK(nb.cells()[1]["outputs"][0]["output_type"] == "error");
    CHECK(nb.cells()[2]["outputs"].empty());
    CHECK(nb.cells()[2]["execution_count"].is_null());
  }
  SECTION("allow_errors runs every cell and sends stop_on_error false") {
    FakeKernelConnection kernel(script);
    auto nb = make_notebook(cells);
    execute::ExecuteOptions options;
    options.allow_errors = true;
    auto result = execute::execute_notebook(nb, kernel, options);
    CHECK_FALSE(result.failure);
    CHECK(kernel.requests.size() == 3);
    CHECK(kernel.requests[1].content["stop_on_error"] == false);
  }
  SECTION("a raises-exception tag allows that cell only") {
    auto tagged = cells;
    tagged[1]["metadata"]["tags"] = {"raises-exception"};
    FakeKernelConnection kernel(script);
    auto nb = make_notebook(tagged);
    auto result = execute::execute_notebook(nb, kernel, {});
    CHECK_FALSE(result.failure);
    CHECK(result.cells_executed == 3);
  }
}

TEST_CASE("cells that are not run", "[execute]") {
  FakeKernelConnection kernel(simple_kernel(no_outputs));
  json markdown = {{"cell_type", "markdown"}, {"metadata", json::object()}, {"source", "# hi"}};
  json raw = {{"cell_type", "raw"}, {"metadata", json::object()}, {"source", "x = 1"}};
  auto stale = code_cell("   \n\t");
  stale["outputs"] =
      json::array({{{"output_type", "stream"}, {"name", "stdout"}, {"text", "old"}}});
  auto nb =
      make_notebook(json::array({markdown, raw, code_cell(""), stale,
                                 code_cell("skipped", {"skip-execution"}), code_cell("run")}));
  auto result = execute::execute_notebook(nb, kernel, {});
  CHECK(result.cells_executed == 1);
  REQUIRE(kernel.requests.size() == 1);
  CHECK(kernel.requests[0].content["code"] == "run");
  // nbclient leaves cells it skips untouched.
  CHECK(nb.cells()[3]["outputs"].size() == 1);
}

TEST_CASE("clear_output and display updates", "[execute]") {
  FakeKernelConnection kernel(
      simple_kernel([](const std::string& code, const std::string& id, int) {
        std::vector<protocol::Incoming> out;
        if (code == "show") {
          out.push_back(iopub(id, "display_data",
                              {{"data", {{"text/plain", "v1"}}},
                               {"metadata", json::object()},
                               {"transient", {{"display_id", "abc"}}}}));
        } else if (code == "update") {
          out.push_back(iopub(id, "update_display_data",
                              {{"data", {{"text/plain", "v2"}}},
                               {"metadata", {{"m", 1}}},
                               {"transient", {{"display_id", "abc"}}}}));
        } else if (code == "wait-clear") {
          out.push_back(stream(id, "stdout", "first\n"));
          out.push_back(iopub(id, "clear_output", {{"wait", true}}));
          out.push_back(stream(id, "stdout", "second\n"));
          out.push_back(iopub(id, "clear_output", {{"wait", true}}));
        } else if (code == "clear-now") {
          out.push_back(stream(id, "stdout", "gone\n"));
          out.push_back(iopub(id, "clear_output", {{"wait", false}}));
          out.push_back(stream(id, "stdout", "kept\n"));
        }
        return out;
      }));
  auto nb = make_notebook(json::array(
      {code_cell("show"), code_cell("update"), code_cell("wait-clear"), code_cell("clear-now")}));
  execute::execute_notebook(nb, kernel, {});
  const json& first = nb.cells()[0]["outputs"];
  REQUIRE(first.size() == 1);
  CHECK(first[0]["data"]["text/plain"] == "v2");
  CHECK(first[0]["metadata"]["m"] == 1);
  CHECK(nb.cells()[1]["outputs"].empty());
  // wait=True: the clear waits for the next output, and a trailing one never fires.
  const json& third = nb.cells()[2]["outputs"];
  REQUIRE(third.size() == 1);
  CHECK(third[0]["text"] == "second\n");
  const json& fourth = nb.cells()[3]["outputs"];
  REQUIRE(fourth.size() == 1);
  CHECK(fourth[0]["text"] == "kept\n");
}

TEST_CASE("display ids are matched as nbclient's dict keys", "[execute]") {
  // IPython sends display(obj, display_id=5) with the number as given; nbclient keys its map by
  // the value, so 5 and 5.0 are one id and "5" another, and a falsy id is no id.
  auto display = [](const std::string& id, const std::string& text, json display_id) {
    return iopub(id, "display_data",
                 {{"data", {{"text/plain", text}}},
                  {"metadata", json::object()},
                  {"transient", {{"display_id", display_id}}}});
  };
  FakeKernelConnection kernel(
      simple_kernel([&](const std::string& code, const std::string& id, int) {
        std::vector<protocol::Incoming> out;
        if (code == "show") {
          out.push_back(display(id, "int", 5));
          out.push_back(display(id, "string", "5"));
          out.push_back(display(id, "zero", 0));
          out.push_back(display(id, "empty", ""));
          out.push_back(iopub(id, "display_data",
                              {{"data", {{"text/plain", "null transient"}}},
                               {"metadata", json::object()},
                               {"transient", nullptr}}));
        } else if (code == "update") {
          for (json display_id : {json(5.0), json(0), json("")}) {
            out.push_back(iopub(id, "update_display_data",
                                {{"data", {{"text/plain", "updated"}}},
                                 {"metadata", json::object()},
                                 {"transient", {{"display_id", display_id}}}}));
          }
        }
        return out;
      }));
  auto nb = make_notebook(json::array({code_cell("show"), code_cell("update")}));
  execute::execute_notebook(nb, kernel, {});
  std::vector<std::string> texts;
  for (const auto& output : nb.cells()[0]["outputs"]) {
    texts.push_back(output["data"]["text/plain"].get<std::string>());
  }
  CHECK(texts == std::vector<std::string>{"updated", "string", "zero", "empty", "null transient"});
  CHECK(nb.cells()[1]["outputs"].empty());
}

TEST_CASE("a dead kernel or a passed deadline ends the run with the outputs kept", "[execute]") {
  SECTION("kernel death") {
    FakeKernelConnection kernel([](const std::string&, const std::string& id) {
      return std::vector<protocol::Incoming>{status(id, "busy"), stream(id, "stdout", "partial\n")};
    });
    kernel.alive = false;
    auto nb = make_notebook(json::array({code_cell("x")}));
    CHECK_THROWS_AS(execute::execute_notebook(nb, kernel, {}), KernelDiedError);
    CHECK(nb.cells()[0]["outputs"][0]["text"] == "partial\n");
  }
  SECTION("cell timeout") {
    FakeKernelConnection kernel([](const std::string&, const std::string& id) {
      return std::vector<protocol::Incoming>{status(id, "busy"), stream(id, "stdout", "tick\n")};
    });
    auto nb = make_notebook(json::array({code_cell("while True: pass")}));
    execute::ExecuteOptions options;
    options.cell_timeout = std::chrono::milliseconds(50);
    CHECK_THROWS_AS(execute::execute_notebook(nb, kernel, options), TimeoutError);
    CHECK(nb.cells()[0]["outputs"][0]["text"] == "tick\n");
  }
  SECTION("cancel flag") {
    std::atomic<bool> cancel{true};
    FakeKernelConnection kernel(simple_kernel(no_outputs));
    auto nb = make_notebook(json::array({code_cell("x")}));
    execute::ExecuteOptions options;
    options.cancel = &cancel;
    auto result = execute::execute_notebook(nb, kernel, options);
    CHECK(result.cancelled);
    CHECK(kernel.requests.empty());
  }
}

TEST_CASE("output_from_message mirrors nbformat.v4.output_from_msg", "[execute]") {
  CHECK(execute::output_from_message("status", {{"execution_state", "idle"}}).is_null());
  auto error = execute::output_from_message(
      "error", {{"ename", "E"}, {"evalue", "v"}, {"traceback", {"a", "b"}}});
  CHECK(error ==
        json{{"output_type", "error"}, {"ename", "E"}, {"evalue", "v"}, {"traceback", {"a", "b"}}});
  auto result = execute::output_from_message("execute_result", {{"data", {{"text/plain", "1"}}}});
  CHECK(result["execution_count"].is_null());
  CHECK(result["metadata"] == json::object());
}

TEST_CASE("kernel content of the wrong JSON types adds no output and throws nothing", "[execute]") {
  // Well signed but wrongly typed: a buggy or hostile kernel. nbclient would copy these fields
  // into the notebook (or fail on them); nbexec leaves them out so the saved notebook stays
  // valid, and the cell still completes on its reply and idle status.
  FakeKernelConnection kernel(simple_kernel([](const std::string&, const std::string& id, int) {
    std::vector<protocol::Incoming> out;
    out.push_back(iopub(id, "status", {{"execution_state", 5}}));
    out.push_back(iopub(id, "stream", {{"name", 3}, {"text", "bad name\n"}}));
    out.push_back(iopub(id, "stream", {{"name", "stdout"}, {"text", {{"x", 1}}}}));
    out.push_back(iopub(id, "stream", {{"name", "stdout"}, {"text", {"a", 1}}}));
    out.push_back(iopub(id, "display_data", {{"data", "not a bundle"}}));
    out.push_back(iopub(id, "display_data", {{"data", json::object()}, {"metadata", 7}}));
    out.push_back(
        iopub(id, "execute_result", {{"data", json::object()}, {"execution_count", "three"}}));
    out.push_back(iopub(id, "execute_result", {{"data", json::object()}, {"execution_count", -1}}));
    out.push_back(iopub(id, "error", {{"ename", json::array()}, {"evalue", "v"}}));
    out.push_back(iopub(id, "error", {{"ename", "E"}, {"traceback", "not a list"}}));
    out.push_back(iopub(id, "clear_output", {{"wait", "yes"}}));
    out.push_back(
        iopub(id, "update_display_data", {{"data", 1}, {"transient", {{"display_id", "d"}}}}));
    out.push_back(iopub(id, "execute_input", {{"execution_count", {{"n", 1}}}}));
    // What is well formed still counts, lines given as a list included.
    out.push_back(iopub(id, "stream", {{"name", "stdout"}, {"text", {"survived", "\n"}}}));
    return out;
  }));
  json future = {{"cell_type", 5}, {"metadata", json::object()}, {"source", {1, 2}}};
  auto nb = make_notebook(json::array({future, code_cell("a")}));
  execute::ExecuteResult result;
  REQUIRE_NOTHROW(result = execute::execute_notebook(nb, kernel, {}));
  CHECK_FALSE(result.failure);
  CHECK(result.cells_executed == 1);
  REQUIRE(kernel.requests.size() == 1);
  const json& cell = nb.cells()[1];
  CHECK(cell["execution_count"] == 1);
  CHECK(cell["outputs"] ==
        json::array({{{"output_type", "stream"}, {"name", "stdout"}, {"text", "survived\n"}}}));
  CHECK(nb.cells()[0] == future);
}
