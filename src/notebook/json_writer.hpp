#pragma once

#include <nbexec/error.hpp>

#include <nlohmann/json.hpp>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace nbexec::notebook::detail {

// Python's repr(float) as json.dumps writes it: shortest round-trip digits, fixed notation for
// decimal exponents -4..15 ("1.0", "0.0001", "1000000000000000.0"), else scientific with a
// signed two-digit-minimum exponent ("1e-05", "1e+16"); NaN, Infinity and -Infinity.
std::string python_float_repr(double value);

// Where the writer's bytes go: a buffer that either grows into the whole text (for
// serialize_notebook) or is written to a file descriptor each time it fills, so that saving a
// notebook never holds its text in memory. Appends are inline; only a full buffer leaves the
// fast path.
class JsonSink {
 public:
  JsonSink();
  // Writes to `fd` in chunks of `chunk` bytes (long pieces straight from their source). Throws
  // SinkError when a write fails.
  JsonSink(int fd, std::size_t chunk);
  JsonSink(const JsonSink&) = delete;
  JsonSink& operator=(const JsonSink&) = delete;

  JsonSink& operator+=(char c) {
    if (pos_ == end_) make_room(1);
    *pos_++ = c;
    return *this;
  }
  JsonSink& operator+=(std::string_view text) {
    if (static_cast<std::size_t>(end_ - pos_) < text.size() || text.size() >= direct_)
      return append_slow(text);
    std::memcpy(pos_, text.data(), text.size());
    pos_ += text.size();
    return *this;
  }
  JsonSink& operator+=(const char* text) { return *this += std::string_view(text); }
  void append(std::size_t count, char c);

  // Writes out what is buffered (file mode).
  void flush();
  // The text gathered so far (memory mode).
  std::string take();
  // Bytes written or gathered so far.
  std::size_t size() const { return flushed_ + static_cast<std::size_t>(pos_ - buffer_.data()); }

 private:
  JsonSink& append_slow(std::string_view text);
  void make_room(std::size_t bytes);
  void write_out(const char* data, std::size_t size);

  std::string buffer_;  // used as raw storage: [data, pos_) holds output, [pos_, end_) is free
  char* pos_ = nullptr;
  char* end_ = nullptr;
  int fd_ = -1;
  // In file mode, pieces this long (base64 images) go to write(2) straight from the document
  // instead of through the buffer: one copy less.
  std::size_t direct_ = static_cast<std::size_t>(-1);
  std::size_t flushed_ = 0;
};

// A failed write(2) of a JsonSink; the atomic writer turns it into a NotebookError naming the
// file.
class SinkError : public NotebookError {
 public:
  explicit SinkError(int error);
  int error() const { return error_; }

 private:
  int error_;
};

// Writes JSON the way Python's json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False,
// separators=(",", ": ")) does. nlohmann's dump differs in float formatting and NaN/Infinity,
// and offers no hook for nbformat's line splitting, hence this writer. Objects come out in key
// order because nlohmann::json keeps keys sorted by UTF-8 bytes, which is code point order,
// the order Python's sort_keys uses.
class PythonJsonWriter {
 public:
  explicit PythonJsonWriter(JsonSink& out) : out_(out) {}

  // Any value, recursively, at nesting `depth` (0 for the document).
  void value(const nlohmann::json& v, int depth);

  // A JSON string literal: escapes '"', '\\' and control characters only (\n, \r, \t, \b, \f
  // short forms, else \u00xx); invalid UTF-8 becomes U+FFFD. Runs of plain bytes are copied
  // in one go (plain_run).
  void string(std::string_view text);

  // A list of strings, as json.dumps lays out ["a\n", "b"].
  void string_list(const std::vector<std::string_view>& items, int depth);

  // An object whose members pass `keep(key)`, each written by `member(key, value, depth + 1)`;
  // "{}" when none is kept, as Python prints an empty dict.
  template <class Keep, class Member>
  void object(const nlohmann::json& obj, int depth, Keep&& keep, Member&& member) {
    check_depth(depth);
    bool first = true;
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      if (!keep(it.key())) continue;
      out_ += first ? "{" : ",";
      first = false;
      newline(depth + 1);
      string(it.key());
      out_ += ": ";
      member(it.key(), it.value(), depth + 1);
    }
    if (first) {
      out_ += "{}";
      return;
    }
    newline(depth);
    out_ += '}';
  }

  // An array whose elements are each written by `element(value, depth + 1)`.
  template <class Element>
  void array(const nlohmann::json& arr, int depth, Element&& element) {
    check_depth(depth);
    if (arr.empty()) {
      out_ += "[]";
      return;
    }
    bool first = true;
    for (const auto& item : arr) {
      out_ += first ? "[" : ",";
      first = false;
      newline(depth + 1);
      element(item, depth + 1);
    }
    newline(depth);
    out_ += ']';
  }

 private:
  void newline(int depth) {
    out_ += '\n';
    out_.append(static_cast<std::size_t>(depth), ' ');
  }
  static void check_depth(int depth);

  JsonSink& out_;
};

}  // namespace nbexec::notebook::detail
