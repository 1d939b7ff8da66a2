// The Python-compatible JSON reader and writer behind read.hpp and write.hpp. Expected strings
// are what Python 3.11's json module produces (json.dumps(..., ensure_ascii=False) or
// json.loads) for the same values.
#include <nbexec/error.hpp>
#include <nbexec/notebook/read.hpp>

#include "notebook/json_reader.hpp"
#include "notebook/json_scan.hpp"
#include "notebook/json_writer.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

using nbexec::NotebookError;
using nbexec::notebook::json;
using nbexec::notebook::read_json_text;
using nbexec::notebook::detail::JsonSink;
using nbexec::notebook::detail::python_float_repr;
using nbexec::notebook::detail::PythonJsonWriter;

namespace {

std::string dump(const json& value) {
  JsonSink out;
  PythonJsonWriter(out).value(value, 0);
  return out.take();
}

std::string parse_error(const std::string& text) {
  try {
    read_json_text(text, "in.ipynb");
  } catch (const NotebookError& e) {
    return e.what();
  }
  return "no error";
}

// `text` read from a scratch file in chunks of `chunk` bytes (read_json_file's reader), or its
// error message.
struct FileResult {
  json document;
  std::string error;
};

FileResult read_as_file(const std::string& text, std::size_t chunk) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("nbexec-json-" + std::to_string(::getpid()) + ".json");
  std::ofstream(path, std::ios::binary) << text;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  FileResult result;
  try {
    result.document = nbexec::notebook::detail::parse_python_json_file(fd, "in.ipynb", chunk);
  } catch (const NotebookError& e) {
    result.error = e.what();
  }
  ::close(fd);
  std::filesystem::remove(path);
  return result;
}

}  // namespace

TEST_CASE("floats are written as Python's repr", "[notebook]") {
  // Python: json.dumps(x) for each x. nlohmann's dump differs on the marked ones.
  CHECK(python_float_repr(1.0) == "1.0");
  CHECK(python_float_repr(0.1) == "0.1");
  CHECK(python_float_repr(1e-05) == "1e-05");
  CHECK(python_float_repr(0.0001) == "0.0001");
  CHECK(python_float_repr(1e16) == "1e+16");
  CHECK(python_float_repr(1e15) == "1000000000000000.0");  // nlohmann: 1e+15
  CHECK(python_float_repr(9999999999999998.0) ==
        "9999999999999998.0");  // nlohmann: 9.999999999999998e+15
  CHECK(python_float_repr(-4030779821599471.5) ==
        "-4030779821599471.5");  // nlohmann: -4.0307798215994715e+15
  CHECK(python_float_repr(0.0451735639738776) ==
        "0.0451735639738776");  // nlohmann: 0.045173563973877597
  CHECK(python_float_repr(-814315193048357.2) ==
        "-814315193048357.2");  // nlohmann: -814315193048357.3
  CHECK(python_float_repr(6.195626866399892e-221) ==
        "6.195626866399892e-221");  // nlohmann: ...8915e-221
  CHECK(python_float_repr(123456789012345678.0) == "1.2345678901234568e+17");
  CHECK(python_float_repr(5e-324) == "5e-324");
  CHECK(python_float_repr(1.7976931348623157e308) == "1.7976931348623157e+308");
  CHECK(python_float_repr(-0.0) == "-0.0");
  CHECK(python_float_repr(0.0) == "0.0");
  CHECK(python_float_repr(1e22) == "1e+22");
  CHECK(python_float_repr(1.5e-7) == "1.5e-07");
  CHECK(python_float_repr(100.0) == "100.0");
  CHECK(python_float_repr(-1234.5678) == "-1234.5678");
  CHECK(python_float_repr(1e100) == "1e+100");
  CHECK(python_float_repr(1e-100) == "1e-100");
  CHECK(python_float_repr(0.30000000000000004) == "0.30000000000000004");
  CHECK(python_float_repr(std::numeric_limits<double>::quiet_NaN()) == "NaN");  // nlohmann: null
  CHECK(python_float_repr(std::numeric_limits<double>::infinity()) ==
        "Infinity");  // nlohmann: null
  CHECK(python_float_repr(-std::numeric_limits<double>::infinity()) ==
        "-Infinity");  // nlohmann: null
}

TEST_CASE("strings are escaped as json.dumps(ensure_ascii=False) does", "[notebook]") {
  const std::string text = std::string("q\" b\\ n\n r\r t\t b\b f\f nul") + '\0' +
                           " us\x1f del\x7f sl/ \u00e9 \u65e5 \U0001F389 \u2028";
  CHECK(dump(text) ==
        "\"q\\\" b\\\\ n\\n r\\r t\\t b\\b f\\f nul\\u0000 us\\u001f del\x7f sl/ \u00e9 \u65e5 "
        "\U0001F389 \u2028\"");
  // Not UTF-8 at all: a Python str cannot hold this, so it is replaced, never written raw.
  CHECK(dump(json(std::string("a\xff"
                              "b"))) == "\"a\uFFFDb\"");
}

TEST_CASE("containers are laid out with indent 1 and sorted keys", "[notebook]") {
  const json value = json::parse(
      R"({"b": [1, {}], "a": {"y": [], "x": "s"}, "\u00e9": null, "Z": true, "\u00e4": false})");
  // Python: json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False, separators=(",", ": "))
  CHECK(
      dump(value) ==
      "{\n \"Z\": true,\n \"a\": {\n  \"x\": \"s\",\n  \"y\": []\n },\n \"b\": [\n  1,\n  {}\n ],\n"
      " \"\u00e4\": false,\n \"\u00e9\": null\n}");
  CHECK(dump(json::array({std::numeric_limits<std::int64_t>::max(),
                          std::numeric_limits<std::int64_t>::min(),
                          std::numeric_limits<std::uint64_t>::max()})) ==
        "[\n 9223372036854775807,\n -9223372036854775808,\n 18446744073709551615\n]");
}

TEST_CASE("numbers are read as Python reads them", "[notebook]") {
  // Python: json.loads('[1E5, 2.50, -0, 0.1e1, 1e400, -1e400, 1e-400, 9007199254740993, -0.0]')
  //   == [100000.0, 2.5, 0, 1.0, inf, -inf, 0.0, 9007199254740993, -0.0]
  const json v =
      read_json_text("[1E5, 2.50, -0, 0.1e1, 1e400, -1e400, 1e-400, 9007199254740993, -0.0]");
  CHECK(dump(v) ==
        "[\n 100000.0,\n 2.5,\n 0,\n 1.0,\n Infinity,\n -Infinity,\n 0.0,\n 9007199254740993,\n "
        "-0.0\n]");
  CHECK(v[2].is_number_integer());
  CHECK(v[7].get<std::uint64_t>() == 9007199254740993ULL);  // not rounded through a double
  CHECK(read_json_text("-9223372036854775808").get<std::int64_t>() ==
        std::numeric_limits<std::int64_t>::min());
  CHECK(read_json_text("0.000000000000000000000000000001e-400").get<double>() == 0.0);
  CHECK(std::isinf(read_json_text("123456789e400").get<double>()));
}

TEST_CASE("NaN and Infinity are read and written back as Python does", "[notebook]") {
  // nlohmann's parser rejects these tokens; Python's json.loads accepts them and json.dumps
  // writes them (papermill records a float('nan') parameter that way).
  const json v = read_json_text(R"({"x": NaN, "hi": Infinity, "lo": -Infinity})");
  CHECK(std::isnan(v["x"].get<double>()));
  CHECK(dump(v) == "{\n \"hi\": Infinity,\n \"lo\": -Infinity,\n \"x\": NaN\n}");
}

TEST_CASE("strings are read with escapes, surrogate pairs and UTF-8 checks", "[notebook]") {
  CHECK(read_json_text(R"("\u00e9\ud83c\udf89\/\b\f\n\r\t\"\\\u0000")").get<std::string>() ==
        std::string("\u00e9\U0001F389/\b\f\n\r\t\"\\") + '\0');
  CHECK(read_json_text("\"\xe6\x97\xa5\"").get<std::string>() == "\u65e5");
  CHECK(read_json_text(R"({"k": 1, "k": 2})")["k"] == 2);     // Python's dict keeps the last
  CHECK(read_json_text("\xef\xbb\xbf{\"a\": 1}")["a"] == 1);  // a byte order mark is skipped
}

TEST_CASE("malformed JSON names the file, line and column like Python's JSONDecodeError",
          "[notebook]") {
  // Positions are those of Python's json.loads error on the same text (column in characters).
  CHECK(parse_error("{\"a\": 1,}") ==
        "in.ipynb:1:9: malformed JSON: expecting a property name enclosed in double quotes");
  CHECK(parse_error("{\"a\" 1}") ==
        "in.ipynb:1:6: malformed JSON: expecting ':' after a property name");
  CHECK(parse_error("{\n \"cells\": [\n  1,\n  tru\n ]\n}") ==
        "in.ipynb:4:3: malformed JSON: expecting a value");
  CHECK(parse_error("{\"\u00e9\": \"\u00fc\", x}") ==
        "in.ipynb:1:12: malformed JSON: expecting a property name enclosed in double quotes");
  CHECK(parse_error("[1, 2") ==
        "in.ipynb:1:6: malformed JSON: expecting ',' or ']' after an array element");
  CHECK(parse_error("\"abc") == "in.ipynb:1:1: malformed JSON: unterminated string");
  CHECK(parse_error("[1] [2]") ==
        "in.ipynb:1:5: malformed JSON: extra data after the JSON document");
  CHECK(parse_error("") ==
        "in.ipynb:1:1: malformed JSON: expecting a value, found the end of the text");
  CHECK(parse_error("{\"a\": \"\\x\"}") == "in.ipynb:1:8: malformed JSON: invalid escape \\x");
  CHECK(parse_error("{\"a\": 01}") ==
        "in.ipynb:1:8: malformed JSON: expecting ',' or '}' after an object member");
  CHECK(parse_error("[1.]") ==
        "in.ipynb:1:3: malformed JSON: expecting ',' or ']' after an array element");
  CHECK(parse_error("[-]") == "in.ipynb:1:2: malformed JSON: expecting a value");
  CHECK(parse_error("[\"a\tb\"]") ==
        "in.ipynb:1:4: malformed JSON: invalid control character in a string (it must be escaped)");
}

TEST_CASE("JSON that nbformat could not write back is refused", "[notebook]") {
  // Python reads a lone surrogate escape into a str that its UTF-8 writer then rejects.
  CHECK(parse_error("[\"\\ud800\"]") ==
        "in.ipynb:1:3: malformed JSON: lone surrogate in a \\u escape (not a valid Unicode "
        "character)");
  CHECK(parse_error("[\"\\udc00\"]").find("lone surrogate") != std::string::npos);
  CHECK(parse_error("{\"a\": \"\xff\"}") ==
        "in.ipynb:1:8: malformed JSON: invalid UTF-8 byte in a string");
  CHECK(parse_error("[\"\xc0\xaf\"]").find("invalid UTF-8") != std::string::npos);      // overlong
  CHECK(parse_error("[\"\xed\xa0\x80\"]").find("invalid UTF-8") != std::string::npos);  // surrogate
  CHECK(parse_error("[\"\xf4\x90\x80\x80\"]").find("invalid UTF-8") !=
        std::string::npos);  // > U+10FFFF
}

TEST_CASE("nesting is bounded on read and on write", "[notebook]") {
  const int depth = nbexec::notebook::detail::max_json_depth;
  const std::string ok = std::string(static_cast<std::size_t>(depth), '[') +
                         std::string(static_cast<std::size_t>(depth), ']');
  const json deep = read_json_text(ok);
  CHECK(dump(deep).size() > ok.size());
  const std::string too_deep = "[" + ok + "]";
  CHECK(parse_error(too_deep).find("nesting deeper than") != std::string::npos);
  json deeper = json::array({deep});
  CHECK_THROWS_AS(dump(deeper), NotebookError);
}

TEST_CASE("plain_run stops at the first byte a JSON string cannot hold as it is", "[notebook]") {
  using nbexec::notebook::detail::plain_run;
  // Every position (inside the 16-byte steps and in the tail) and every kind of stop byte.
  for (const char stop : {'"', '\\', '\0', '\n', '\x1f', '\x80', '\xc3', '\xff'}) {
    for (std::size_t at = 0; at < 40; ++at) {
      std::string text(40, 'a');
      text[at] = stop;
      CHECK(plain_run(text.data(), text.size()) == at);
    }
  }
  const std::string plain = " ~\x7f/+=azAZ09";  // space, tilde and DEL are plain
  CHECK(plain_run(plain.data(), plain.size()) == plain.size());
  CHECK(plain_run(plain.data(), 0) == 0);
}

TEST_CASE("the file reader splits every token at every byte as read_json_text reads it whole",
          "[notebook]") {
  // Every kind of token, with escapes, surrogate pairs and multi-byte UTF-8, read in chunks of
  // 1 to 17 bytes: each token is cut by a chunk boundary at every place, and chunks shorter
  // than a token make the buffer grow.
  const std::string text =
      "\xEF\xBB\xBF {\"a\": [-12345.678e-9, 1e400, 0, -0, 18446744073709551615, true, false, "
      "null, NaN, Infinity, -Infinity, 1.5E+3],\n \"b\": \"x\\ud83d\\ude00y\\n\\\"\\u00e9\\/\", "
      "\"c\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\": {\"k\": [[], {}, \"\"]},\r\n\t\"d\": 7 } \n";
  const json expected = read_json_text(text);
  for (std::size_t chunk = 1; chunk <= 17; ++chunk) {
    INFO("chunk " << chunk);
    const FileResult file = read_as_file(text, chunk);
    REQUIRE(file.error.empty());
    CHECK(dump(file.document) == dump(expected));  // NaN is not equal to itself
  }
  // Through read_json_file's own chunk size: a string several chunks long.
  const std::size_t chunk = nbexec::notebook::detail::read_chunk_size;
  const std::string long_string = "[\"" + std::string(3 * chunk + 7, 'y') + "\\n\", 1]";
  CHECK(read_as_file(long_string, chunk).document == read_json_text(long_string));
}

TEST_CASE("long strings are read whole and allocated once whatever ends their plain run",
          "[notebook]") {
  // Strings past the reader's long-string size are reserved at their raw length when an
  // escape or a non-ASCII byte stops their first run: base64 images end in an escaped "\n".
  // The search for the closing quote must skip escaped quotes and count backslashes.
  const std::string base(100000, 'Q');
  const std::vector<std::pair<std::string, std::string>> cases = {
      {base + "\\n", base + "\n"},           // ends in "\n", as nbformat writes images
      {base + "\\\\\\\"x", base + "\\\"x"},  // \\ then \" then x
      {base + "ab\\\\", base + "ab\\"},      // \\ right before the closing quote
      {base + "\\\"", base + "\""},          // escaped quote last
      {base + "\xc3\xa9\\u00e9", base + "\xc3\xa9\xc3\xa9"},  // UTF-8 then \u escape
      {base, base},                                           // plain to the end
  };
  for (const auto& [raw, decoded] : cases) {
    const std::string text = "[\"" + raw + "\", \"" + raw + "\"]";
    const json memory = read_json_text(text);
    REQUIRE(memory.size() == 2);
    CHECK(memory[0].get_ref<const std::string&>() == decoded);
    CHECK(memory[1].get_ref<const std::string&>() == decoded);
    // One allocation of the raw length, not a doubling for the escape at the end.
    CHECK(memory[0].get_ref<const std::string&>().capacity() <= raw.size() + 1);
    for (const std::size_t chunk :
         {std::size_t{7}, std::size_t{65536}, std::size_t{150000}, std::size_t{1} << 20}) {
      INFO("chunk " << chunk << ", " << decoded.size() << " bytes");
      const FileResult file = read_as_file(text, chunk);
      REQUIRE(file.error.empty());
      CHECK(file.document == memory);
    }
  }
}

TEST_CASE("the file reader reports errors at the same line and column as read_json_text",
          "[notebook]") {
  const std::string big(100, 'z');
  const std::vector<std::string> texts = {
      "{\n \"a\": \"" + big + "\",\n  oops\n}",            // bad member on line 3
      "{\"a\": \"\xc3\xa9" + big + "\", \"b\": \"" + big,  // unterminated second string
      "[\"" + big + "\", tru]",                            // literal cut short
      "[\"" + big + "\\q\"]",                              // bad escape
      "[\"" + big + "\\ud800\"]",                          // lone surrogate
      "[\"" + big + "\"] [",                               // extra data
      "[\"" + big + "\", \"\xff\"]",                       // invalid UTF-8
      "[\"" + big + "\", 1.]",                             // number cut short
      "[\"" + big + "\", -",                               // sign at the end
      "",                                                  // nothing at all
  };
  for (const auto& text : texts) {
    const std::string expected = parse_error(text);
    REQUIRE(expected != "no error");
    for (const std::size_t chunk : {1, 3, 16, 4096}) {
      INFO(expected << " in chunks of " << chunk);
      CHECK(read_as_file(text, chunk).error == expected);
    }
  }
}
