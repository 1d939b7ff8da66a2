#include "json_writer.hpp"

#include "core/utf8.hpp"
#include "json_reader.hpp"
#include "json_scan.hpp"

#include <nbexec/error.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <system_error>

namespace nbexec::notebook::detail {

using nbexec::detail::utf8_sequence_length;

std::string python_float_repr(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (value == 0.0) return std::signbit(value) ? "-0.0" : "0.0";

  // to_chars without a precision gives the shortest digits that round-trip, as Python's repr;
  // only the layout differs, so take the digits and exponent and lay them out Python's way.
  char buffer[64];
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  const std::string_view sci(buffer, static_cast<std::size_t>(result.ptr - buffer));
  const std::size_t e = sci.find('e');
  std::string_view mantissa = sci.substr(0, e);
  const int exponent = std::atoi(std::string(sci.substr(e + 1)).c_str());

  std::string out;
  if (mantissa.front() == '-') {
    out += '-';
    mantissa.remove_prefix(1);
  }
  std::string digits;
  for (char c : mantissa)
    if (c != '.') digits += c;
  const auto count = static_cast<int>(digits.size());
  const int point = exponent + 1;  // digits before the decimal point

  if (point > -4 && point <= 16) {
    if (point <= 0) {
      out += "0.";
      out.append(static_cast<std::size_t>(-point), '0');
      out += digits;
    } else if (point >= count) {
      out += digits;
      out.append(static_cast<std::size_t>(point - count), '0');
      out += ".0";
    } else {
      out += digits.substr(0, static_cast<std::size_t>(point));
      out += '.';
      out += digits.substr(static_cast<std::size_t>(point));
    }
    return out;
  }
  out += digits[0];
  if (count > 1) {
    out += '.';
    out += digits.substr(1);
  }
  out += exponent < 0 ? "e-" : "e+";
  const int magnitude = std::abs(exponent);
  if (magnitude < 10) out += '0';
  out += std::to_string(magnitude);
  return out;
}

// Memory mode starts small and doubles; file mode keeps one buffer of the chunk size.
JsonSink::JsonSink() : pos_(buffer_.data()), end_(pos_) {}

JsonSink::JsonSink(int fd, std::size_t chunk) : fd_(fd) {
  buffer_.resize(std::max<std::size_t>(chunk, 1));
  direct_ = std::min<std::size_t>(buffer_.size(), std::size_t{1} << 16);
  pos_ = buffer_.data();
  end_ = pos_ + buffer_.size();
}

void JsonSink::write_out(const char* data, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd_, data + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SinkError(errno);
    }
    done += static_cast<std::size_t>(n);
  }
  flushed_ += size;
}

void JsonSink::flush() {
  if (fd_ < 0) return;
  const auto used = static_cast<std::size_t>(pos_ - buffer_.data());
  if (used > 0) write_out(buffer_.data(), used);
  pos_ = buffer_.data();
}

void JsonSink::make_room(std::size_t bytes) {
  if (fd_ >= 0) {
    flush();  // the buffer is never smaller than 1 byte, so a char always fits afterwards
    return;
  }
  const auto used = static_cast<std::size_t>(pos_ - buffer_.data());
  buffer_.resize(std::max({buffer_.size() * 2, used + bytes, std::size_t{1} << 16}));
  pos_ = buffer_.data() + used;
  end_ = buffer_.data() + buffer_.size();
}

JsonSink& JsonSink::append_slow(std::string_view text) {
  if (fd_ < 0) {
    make_room(text.size());
  } else if (text.size() >= direct_) {
    flush();
    write_out(text.data(), text.size());
    return *this;
  } else {
    // Fill the buffer, write it, and start the next with the rest.
    const auto room = static_cast<std::size_t>(end_ - pos_);
    std::memcpy(pos_, text.data(), room);
    pos_ = end_;
    text.remove_prefix(room);
    flush();
  }
  std::memcpy(pos_, text.data(), text.size());
  pos_ += text.size();
  return *this;
}

void JsonSink::append(std::size_t count, char c) {
  while (count > 0) {
    if (pos_ == end_) make_room(count);
    const std::size_t n = std::min(count, static_cast<std::size_t>(end_ - pos_));
    std::memset(pos_, c, n);
    pos_ += n;
    count -= n;
  }
}

std::string JsonSink::take() {
  buffer_.resize(static_cast<std::size_t>(pos_ - buffer_.data()));
  std::string out = std::move(buffer_);
  buffer_.clear();
  pos_ = end_ = buffer_.data();
  return out;
}

SinkError::SinkError(int error)
    : NotebookError("write failed: " + std::generic_category().message(error)), error_(error) {}

void PythonJsonWriter::check_depth(int depth) {
  if (depth >= max_json_depth)
    throw NotebookError("cannot write the notebook: JSON nested deeper than " +
                        std::to_string(max_json_depth) + " levels");
}

void PythonJsonWriter::value(const nlohmann::json& v, int depth) {
  using value_t = nlohmann::json::value_t;
  switch (v.type()) {
    case value_t::object:
      object(
          v, depth, [](const std::string&) { return true; },
          [this](const std::string&, const nlohmann::json& m, int d) { value(m, d); });
      return;
    case value_t::array:
      array(v, depth, [this](const nlohmann::json& item, int d) { value(item, d); });
      return;
    case value_t::string:
      string(v.get_ref<const std::string&>());
      return;
    case value_t::boolean:
      out_ += v.get<bool>() ? "true" : "false";
      return;
    case value_t::number_integer:
      out_ += std::to_string(v.get<std::int64_t>());
      return;
    case value_t::number_unsigned:
      out_ += std::to_string(v.get<std::uint64_t>());
      return;
    case value_t::number_float:
      out_ += python_float_repr(v.get<double>());
      return;
    case value_t::null:
    case value_t::discarded:
      out_ += "null";
      return;
    case value_t::binary:
      throw NotebookError("cannot write the notebook: it holds binary data, which JSON cannot");
  }
}

void PythonJsonWriter::string(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out_ += '"';
  std::size_t i = 0;
  while (true) {
    const std::size_t run = plain_run(text.data() + i, text.size() - i);
    out_ += text.substr(i, run);
    i += run;
    if (i >= text.size()) break;
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t length = utf8_sequence_length(text, i);
      if (length == 0) {
        out_ += "\xEF\xBF\xBD";  // U+FFFD: a Python str cannot hold invalid UTF-8 either
        ++i;
      } else {
        out_ += text.substr(i, length);
        i += length;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out_ += "\\\"";
        break;
      case '\\':
        out_ += "\\\\";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\r':
        out_ += "\\r";
        break;
      case '\t':
        out_ += "\\t";
        break;
      case '\b':
        out_ += "\\b";
        break;
      case '\f':
        out_ += "\\f";
        break;
      default:
        out_ += "\\u00";
        out_ += hex[c >> 4];
        out_ += hex[c & 0xF];
    }
  }
  out_ += '"';
}

void PythonJsonWriter::string_list(const std::vector<std::string_view>& items, int depth) {
  check_depth(depth);
  if (items.empty()) {
    out_ += "[]";
    return;
  }
  bool first = true;
  for (std::string_view item : items) {
    out_ += first ? "[" : ",";
    first = false;
    newline(depth + 1);
    string(item);
  }
  newline(depth);
  out_ += ']';
}

}  // namespace nbexec::notebook::detail
