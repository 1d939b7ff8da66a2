// A secret split across stream messages: the stream mask holds back a tail that could start a
// secret, and the executor gives it back in order (before other outputs, another stream, a
// clear_output, and at the cell's end). The real kernel printing a value in pieces is covered by
// tests/python/test_cli_secrets.py.
#include "fake_kernel_connection.hpp"

#include <nbexec/error.hpp>
#include <nbexec/execute/executor.hpp>

#include "run/secret_mask.hpp"

#include <catch2/catch.hpp>

#include <memory>

using namespace nbexec;
using namespace nbexec::testing;
using nbexec::run_detail::RunStreamMasks;
using nbexec::run_detail::SecretMask;
using nbexec::run_detail::SecretStreamMask;
using json = nlohmann::json;

namespace {

const std::string secret = "s3cr3t-Value";
const char* const masked = "********";

SecretMask make_mask() {
  return SecretMask(std::map<std::string, std::string>{{"token", secret}});
}

// A kernel that answers every cell with `outputs`, then its reply and idle status.
FakeKernelConnection::Script answering(const std::vector<std::pair<std::string, json>>& outputs,
                                       bool dies = false) {
  return [outputs, dies](const std::string&, const std::string& id) {
    std::vector<protocol::Incoming> out{status(id, "busy")};
    for (const auto& [type, content] : outputs) out.push_back(iopub(id, type, content));
    if (!dies) {
      out.push_back(reply(id, ok_reply(1)));
      out.push_back(status(id, "idle"));
    }
    return out;
  };
}

json stream_content(const std::string& name, const std::string& text) {
  return {{"name", name}, {"text", text}};
}

notebook::Notebook one_cell() {
  return notebook::Notebook(json{{"cells",
                                  {{{"cell_type", "code"},
                                    {"execution_count", nullptr},
                                    {"metadata", json::object()},
                                    {"outputs", json::array()},
                                    {"source", "print(token)"}}}},
                                 {"metadata", json::object()},
                                 {"nbformat", 4},
                                 {"nbformat_minor", 5}});
}

struct Masked {
  json outputs;
  std::string reported;  // the stream text on_output saw, in order (the stream files' view)
};

Masked run_masked(FakeKernelConnection& kernel, const SecretMask& mask) {
  auto nb = one_cell();
  Masked result;
  execute::ExecuteOptions options;
  options.filter_content = [&mask](json& content) { mask.apply(content); };
  options.stream_filter = std::make_shared<SecretStreamMask>(mask);
  options.on_output = [&result](std::size_t, const json& output) {
    if (output.value("output_type", "") == "stream") {
      result.reported += output.value("text", std::string());
    }
  };
  try {
    execute::execute_notebook(nb, kernel, options);
  } catch (const KernelDiedError&) {
  }
  result.outputs = nb.cells()[0]["outputs"];
  return result;
}

}  // namespace

TEST_CASE("the stream mask holds back only what could start a secret", "[secrets]") {
  const SecretMask mask = make_mask();
  SECTION("a value in two pieces is masked whole") {
    SecretStreamMask stream(mask);
    CHECK(stream.feed("stdout", "token: s3cr") == "token: ");
    CHECK(stream.feed("stdout", "3t-Value!\n") == std::string(masked) + "!\n");
    CHECK(stream.release().empty());
  }
  SECTION("in three pieces, one of them held whole") {
    SecretStreamMask stream(mask);
    CHECK(stream.feed("stdout", "s3").empty());
    CHECK(stream.feed("stdout", "cr3t").empty());
    CHECK(stream.feed("stdout", "-Value") == masked);
  }
  SECTION("inside a JSON string") {
    SecretStreamMask stream(mask);
    CHECK(stream.feed("stdout", "{\"token\": \"s3cr3t") == "{\"token\": \"");
    CHECK(stream.feed("stdout", "-Value\"}") == std::string(masked) + "\"}");
  }
  SECTION("a start that is not continued is given back as it was") {
    SecretStreamMask stream(mask);
    CHECK(stream.feed("stdout", "it says s3cr") == "it says ");
    CHECK(stream.feed("stdout", "een\n") == "s3creen\n");
    CHECK(stream.feed("stdout", "ends with s") == "ends with ");
    CHECK(stream.release() == "s");
    CHECK(stream.release().empty());
  }
  SECTION("a whole value followed by the start of another") {
    SecretStreamMask stream(mask);
    CHECK(stream.feed("stdout", "s3cr3t-Values3c") == masked);
    CHECK(stream.release() == "s3c");
  }
  SECTION("text with nothing like a secret at its end is shown at once") {
    SecretStreamMask stream(mask);
    CHECK(stream.feed("stdout", "loss 0.25\n") == "loss 0.25\n");
    CHECK(stream.release().empty());
  }
}

TEST_CASE("the stream mask never masks a mask again", "[secrets]") {
  // A secret made of the mask's own character: the first mask must stay as it is.
  const SecretMask mask(std::map<std::string, std::string>{{"stars", "**"}});
  SecretStreamMask stream(mask);
  const std::string shown = stream.feed("stdout", "a**");
  CHECK(shown == std::string("a") + masked);
  CHECK(stream.release().empty());
  CHECK(stream.feed("stdout", "b*") == "b");
  CHECK(stream.feed("stdout", "*c") == std::string(masked) + "c");
}

TEST_CASE("the executor masks a secret printed in two stream messages", "[secrets]") {
  const SecretMask mask = make_mask();
  FakeKernelConnection kernel(answering({{"stream", stream_content("stdout", "token=s3cr3")},
                                         {"stream", stream_content("stdout", "t-Value\n")}}));
  const Masked result = run_masked(kernel, mask);
  REQUIRE(result.outputs.size() == 2);
  CHECK(result.outputs[0]["text"] == "token=");
  CHECK(result.outputs[1]["text"] == std::string(masked) + "\n");
  CHECK(result.reported == std::string("token=") + masked + "\n");
  CHECK(result.outputs.dump().find("s3cr3") == std::string::npos);
}

TEST_CASE("held stream text comes back in order and is never lost", "[secrets]") {
  const SecretMask mask = make_mask();
  SECTION("at the cell's end, into the output it was held from") {
    FakeKernelConnection kernel(answering({{"stream", stream_content("stdout", "progress: s")}}));
    const Masked result = run_masked(kernel, mask);
    REQUIRE(result.outputs.size() == 1);
    CHECK(result.outputs[0]["text"] == "progress: s");
    CHECK(result.reported == "progress: s");
  }
  SECTION("a message held whole becomes an output at the cell's end") {
    FakeKernelConnection kernel(answering({{"stream", stream_content("stderr", "s3c")}}));
    const Masked result = run_masked(kernel, mask);
    REQUIRE(result.outputs.size() == 1);
    CHECK(result.outputs[0] ==
          json{{"output_type", "stream"}, {"name", "stderr"}, {"text", "s3c"}});
  }
  SECTION("before a display, and the rest is not joined across it") {
    FakeKernelConnection kernel(answering(
        {{"stream", stream_content("stdout", "a s3cr")},
         {"display_data", {{"data", {{"text/plain", "<figure>"}}}, {"metadata", json::object()}}},
         {"stream", stream_content("stdout", "3t-Value\n")}}));
    const Masked result = run_masked(kernel, mask);
    REQUIRE(result.outputs.size() == 3);
    CHECK(result.outputs[0]["text"] == "a s3cr");
    CHECK(result.outputs[1]["output_type"] == "display_data");
    CHECK(result.outputs[2]["text"] == "3t-Value\n");
  }
  SECTION("before another stream's text") {
    FakeKernelConnection kernel(answering({{"stream", stream_content("stdout", "out s3")},
                                           {"stream", stream_content("stderr", "err\n")},
                                           {"stream", stream_content("stdout", "more\n")}}));
    const Masked result = run_masked(kernel, mask);
    REQUIRE(result.outputs.size() == 3);
    CHECK(result.outputs[0]["text"] == "out s3");
    CHECK(result.outputs[1]["name"] == "stderr");
    CHECK(result.outputs[2]["text"] == "more\n");
  }
  SECTION("before a clear_output, which then clears it") {
    FakeKernelConnection kernel(answering({{"stream", stream_content("stdout", "50% s")},
                                           {"clear_output", {{"wait", false}}},
                                           {"stream", stream_content("stdout", "100%\n")}}));
    const Masked result = run_masked(kernel, mask);
    REQUIRE(result.outputs.size() == 1);
    CHECK(result.outputs[0]["text"] == "100%\n");
    CHECK(result.reported == "50% s100%\n");
  }
  SECTION("after a pending clear_output(wait=True), as a new output") {
    FakeKernelConnection kernel(answering({{"stream", stream_content("stdout", "old\n")},
                                           {"clear_output", {{"wait", true}}},
                                           {"stream", stream_content("stdout", "s3")}}));
    const Masked result = run_masked(kernel, mask);
    REQUIRE(result.outputs.size() == 1);
    CHECK(result.outputs[0]["text"] == "s3");
  }
  SECTION("when the kernel dies in the middle of the cell") {
    FakeKernelConnection kernel(answering({{"stream", stream_content("stdout", "last words s3")}},
                                          /*dies=*/true));
    kernel.alive = false;
    const Masked result = run_masked(kernel, mask);
    REQUIRE(result.outputs.size() == 1);
    CHECK(result.outputs[0]["text"] == "last words s3");
  }
}

TEST_CASE("without a stream filter, stream messages are outputs as they come", "[secrets]") {
  FakeKernelConnection kernel(answering({{"stream", stream_content("stdout", "a s3cr")},
                                         {"stream", stream_content("stdout", "3t-Value\n")}}));
  auto nb = one_cell();
  execute::execute_notebook(nb, kernel, {});
  const json& outputs = nb.cells()[0]["outputs"];
  REQUIRE(outputs.size() == 2);
  CHECK(outputs[0]["text"] == "a s3cr");
  CHECK(outputs[1]["text"] == "3t-Value\n");
}

TEST_CASE("a run's stream views hold a tail across outputs and cells, per stream", "[secrets]") {
  // What the stream files and the log get: the notebook's outputs, one after another.
  const SecretMask mask = make_mask();
  RunStreamMasks views(mask);
  CHECK(views.feed("stdout", "cell 1: s3cr") == "cell 1: ");
  CHECK(views.feed("stderr", "s3c") == "");  // its own tail
  CHECK(views.feed("stdout", "3t-Value\n") == std::string(masked) + "\n");
  CHECK(views.feed("stderr", "r3t-Value") == masked);
  CHECK(views.feed("stdout", "done s") == "done ");
  const auto held = views.release();
  REQUIRE(held.size() == 1);
  CHECK(held[0] == std::pair<std::string, std::string>("stdout", "s"));
  CHECK(views.release().empty());
}
